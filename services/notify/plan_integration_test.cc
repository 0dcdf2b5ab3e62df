// The plan tasks against a real redis-server (started by the test): progress reports, their
// authorisation and validation, the overview, and reminders exactly once across replicas,
// rounds and restarts.
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/notify/inbox.h"
#include "services/notify/plan.h"
#include "tests/support/redis_server.h"

namespace firegrid::notify {
namespace {

using ::firegrid::auth::Principal;
using ::firegrid::auth::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

absl::Time Cst(int y, int m, int d, int hh = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::FixedTimeZone(8 * 3600));
}

Principal Make(Role role, std::string tier, std::string subject, std::string department = "") {
  Principal p;
  p.role = role;
  p.tier_path = tier;
  p.org_unit = department.empty() ? tier : tier + "." + department;
  p.subject = std::move(subject);
  p.department = std::move(department);
  p.expiry = absl::InfiniteFuture();
  return p;
}

// A stand-in for the lead's Notifier with the same contract: the once_key is claimed with
// SET NX in Redis (shared by every PlanTasks instance), so a repeated key is ALREADY_EXISTS and
// delivers nothing. Deliveries are recorded.
class RedisOnceNotifier final : public Notifier {
 public:
  struct Call {
    std::vector<std::string> recipients;
    v1::Notification notification;
    std::string once_key;
  };
  explicit RedisOnceNotifier(redis::Pool* pool) : pool_(pool) {}

  absl::Status Notify(const std::vector<std::string>& recipients,
                      const v1::Notification& notification, const std::string& once_key) override {
    if (fail_.load()) return absl::UnavailableError("notifier down");
    absl::StatusOr<redis::Reply> r = pool_->Command({"SET", once_key, "1", "NX"});
    if (!r.ok()) return r.status();
    if (r->IsNil()) return absl::AlreadyExistsError(once_key);
    absl::MutexLock lock(&mu_);
    calls_.push_back({recipients, notification, once_key});
    return absl::OkStatus();
  }

  std::vector<Call> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& c : calls()) out.push_back(c.once_key);
    return out;
  }
  void set_fail(bool f) { fail_.store(f); }

 private:
  redis::Pool* pool_;
  std::atomic<bool> fail_{false};
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

class PlanTasksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::RedisServer();
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    redis::PoolOptions o;
    ASSERT_TRUE(redis::ParseAddress(server_->address(), &o).ok());
    pool_ = redis::Pool::Create(o);
    ASSERT_TRUE(pool_->Command({"FLUSHALL"}).ok());
    absl::StatusOr<PlanBook> book = LoadPlanBook(FIREGRID_PLAN_TASKS);
    ASSERT_TRUE(book.ok()) << book.status();
    book_ = *book;
    notifier_ = std::make_unique<RedisOnceNotifier>(pool_.get());
    plan_ = NewInstance();
  }

  // Another replica (or the same one after a restart): shares only Redis.
  std::unique_ptr<PlanTasks> NewInstance() {
    return std::make_unique<PlanTasks>(pool_.get(), "notify", book_, &clock_, notifier_.get());
  }

  absl::StatusOr<v1::PlanTask> Report(const Principal& p, int number, int percent,
                                      std::string note = "") {
    v1::ReportPlanProgressRequest r;
    r.set_number(number);
    r.set_progress_percent(percent);
    r.set_note(std::move(note));
    return plan_->ReportProgress(p, r);
  }
  void MustReport(int number, int percent) {
    absl::StatusOr<v1::PlanTask> t = Report(admin_, number, percent);
    ASSERT_TRUE(t.ok()) << t.status();
  }

  v1::PlanTask Get(int number) {
    absl::StatusOr<v1::ListPlanTasksResponse> all = plan_->List(admin_, {});
    EXPECT_TRUE(all.ok()) << all.status();
    for (const auto& t : all->tasks()) {
      if (t.number() == number) return t;
    }
    ADD_FAILURE() << "no task " << number;
    return v1::PlanTask();
  }

  // Nothing stored for the task.
  bool Untouched(int number) {
    absl::StatusOr<redis::Reply> r = pool_->Command({"EXISTS", PlanProgressKey("notify", number)});
    return r.ok() && r->integer == 0;
  }

  int MustRun(PlanTasks& p) {
    absl::StatusOr<int> n = p.RunReminders();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  static testing::RedisServer* server_;
  FakeClock clock_{Cst(2020, 3, 1)};
  std::unique_ptr<redis::Pool> pool_;
  PlanBook book_;
  std::unique_ptr<RedisOnceNotifier> notifier_;
  std::unique_ptr<PlanTasks> plan_;

  Principal admin_ = Make(Role::kDistrictAdmin, "500109", "admin");
  Principal fire_ = Make(Role::kDepartmentOfficer, "500109", "fire1", "fire_rescue");
  Principal housing_ = Make(Role::kDepartmentOfficer, "500109", "hous1", "housing");
  Principal finance_ = Make(Role::kDepartmentOfficer, "500109", "fin1", "finance");
  Principal street_ = Make(Role::kStreetOfficer, "500109001", "tiansheng");
  Principal worker_ = Make(Role::kCommunityWorker, "500109001002", "grid");
};

testing::RedisServer* PlanTasksTest::server_ = nullptr;

// ---- Progress ----

TEST_F(PlanTasksTest, ListShowsAllThirtyFiveTasksWithoutProgressAtFirst) {
  absl::StatusOr<v1::ListPlanTasksResponse> r = plan_->List(worker_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->tasks_size(), 35);
  for (int i = 0; i < 35; ++i) {
    EXPECT_EQ(r->tasks(i).number(), i + 1);
    EXPECT_EQ(r->tasks(i).progress_percent(), 0);
    EXPECT_FALSE(r->tasks(i).overdue());  // 2020-03-01: no deadline has passed
  }
}

TEST_F(PlanTasksTest, ReportedProgressIsStoredWithWhoAndWhen) {
  clock_.Set(Cst(2020, 5, 10, 9));
  absl::StatusOr<v1::PlanTask> t = Report(fire_, 6, 40, "已完成12个街镇的责任人备案");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->progress_percent(), 40);
  v1::PlanTask stored = NewInstance()->List(worker_, {})->tasks(5);
  EXPECT_EQ(stored.number(), 6);
  EXPECT_EQ(stored.progress_percent(), 40);
  EXPECT_EQ(stored.progress_note(), "已完成12个街镇的责任人备案");
  EXPECT_EQ(stored.progress_by(), "fire1");
  EXPECT_EQ(stored.progress_at().seconds(), absl::ToUnixSeconds(Cst(2020, 5, 10, 9)));
  EXPECT_EQ(stored.title(), t->title());
  EXPECT_EQ(stored.deadline(), "2020-06-30");
}

TEST_F(PlanTasksTest, ALaterReportReplacesTheEarlierOne) {
  ASSERT_TRUE(Report(fire_, 6, 40, "first").ok());
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(Report(admin_, 6, 70).ok());
  v1::PlanTask t = Get(6);
  EXPECT_EQ(t.progress_percent(), 70);
  EXPECT_EQ(t.progress_note(), "");
  EXPECT_EQ(t.progress_by(), "admin");
}

TEST_F(PlanTasksTest, DepartmentOfficersReportOnlyTasksTheirDepartmentLeads) {
  EXPECT_TRUE(Report(fire_, 6, 10).ok());      // 6: fire rescue leads
  EXPECT_TRUE(Report(housing_, 25, 10).ok());  // 25: housing and fire rescue lead
  EXPECT_TRUE(Report(fire_, 25, 20).ok());
  // 6: housing only assists.
  EXPECT_EQ(Report(housing_, 6, 10).status().code(), absl::StatusCode::kPermissionDenied);
  // 2: the streets lead.
  EXPECT_EQ(Report(fire_, 2, 10).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Untouched(2));
  Principal no_department = Make(Role::kDepartmentOfficer, "500109", "x");
  EXPECT_EQ(Report(no_department, 6, 10).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PlanTasksTest, AnyDepartmentOfficerReportsATaskLedByAllDepartments) {
  // 5: 区级有关部门和单位.
  EXPECT_TRUE(Report(finance_, 5, 30).ok());
  EXPECT_TRUE(Report(housing_, 5, 35).ok());
  EXPECT_EQ(Get(5).progress_by(), "hous1");
  Principal bogus = Make(Role::kDepartmentOfficer, "500109", "b", "all_departments");
  EXPECT_EQ(Report(bogus, 5, 10).status().code(), absl::StatusCode::kPermissionDenied);
  Principal streets = Make(Role::kDepartmentOfficer, "500109", "s", "streets");
  EXPECT_EQ(Report(streets, 2, 10).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Untouched(2));
}

TEST_F(PlanTasksTest, StreetOfficersReportOnlyStreetsLedTasks) {
  EXPECT_TRUE(Report(street_, 2, 80).ok());
  EXPECT_EQ(Report(street_, 6, 10).status().code(), absl::StatusCode::kPermissionDenied);
  // A street not in the plan's list.
  Principal stranger = Make(Role::kStreetOfficer, "500110001", "elsewhere");
  EXPECT_EQ(Report(stranger, 2, 10).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(2).progress_percent(), 80);
}

TEST_F(PlanTasksTest, DistrictAdminReportsAnyTaskOfItsDistrictOnly) {
  EXPECT_TRUE(Report(admin_, 2, 10).ok());
  EXPECT_TRUE(Report(admin_, 34, 10).ok());
  Principal other = Make(Role::kDistrictAdmin, "500110", "other-admin");
  EXPECT_EQ(Report(other, 3, 10).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Untouched(3));
}

TEST_F(PlanTasksTest, OtherRolesMayReadButNotReport) {
  for (Role r : {Role::kCommunityWorker, Role::kBuildingManager, Role::kServiceAgency,
                 Role::kInternalService}) {
    Principal p = Make(r, "500109", "someone");
    EXPECT_EQ(Report(p, 6, 10).status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(plan_->List(p, {}).ok());
    EXPECT_TRUE(plan_->Overview(p, {}).ok());
  }
  EXPECT_TRUE(Untouched(6));
  Principal nobody;
  EXPECT_EQ(plan_->List(nobody, {}).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(plan_->Overview(nobody, {}).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Report(nobody, 6, 10).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(PlanTasksTest, InvalidReportsAreRejectedNamingTheFieldAndWriteNothing) {
  for (int bad : {-1, 101, 1000}) {
    absl::Status s = Report(fire_, 6, bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("progress_percent")) << bad;
  }
  absl::Status long_note = Report(fire_, 6, 10, std::string(1001, 'x')).status();
  EXPECT_EQ(long_note.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(long_note.message()), HasSubstr("note"));
  absl::Status bad_utf8 = Report(fire_, 6, 10, "进度\xff").status();
  EXPECT_EQ(bad_utf8.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_utf8.message()), HasSubstr("note"));
  EXPECT_TRUE(Untouched(6));
  // The limits themselves are accepted.
  EXPECT_TRUE(Report(fire_, 6, 0, std::string(1000, 'x')).ok());
  EXPECT_TRUE(Report(fire_, 6, 100).ok());
}

TEST_F(PlanTasksTest, UnknownTaskNumbersAreNotFound) {
  for (int n : {0, 36, -3}) {
    EXPECT_EQ(Report(admin_, n, 10).status().code(), absl::StatusCode::kNotFound) << n;
  }
}

TEST_F(PlanTasksTest, ListFiltersByLeadOrAssistingDepartment) {
  v1::ListPlanTasksRequest r;
  r.set_department("finance");
  absl::StatusOr<v1::ListPlanTasksResponse> out = plan_->List(finance_, r);
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<int> numbers;
  for (const auto& t : out->tasks()) numbers.push_back(t.number());
  // Assists 18, 19, 20, 22, 31, 33; leads 34.
  EXPECT_THAT(numbers, ElementsAre(18, 19, 20, 22, 31, 33, 34));
  r.set_department("treasury");
  absl::Status s = plan_->List(finance_, r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("department"));
}

TEST_F(PlanTasksTest, TasksPastTheirDeadlineBelowOneHundredAreOverdue) {
  MustReport(2, 100);
  MustReport(6, 99);
  clock_.Set(Cst(2020, 6, 30, 23));  // June deadlines not yet passed
  EXPECT_FALSE(Get(6).overdue());
  EXPECT_FALSE(Get(2).overdue());  // passed, but complete
  clock_.Set(Cst(2020, 7, 1));
  EXPECT_TRUE(Get(6).overdue());
  EXPECT_TRUE(Get(13).overdue());
  EXPECT_FALSE(Get(14).overdue());  // 2022
  EXPECT_FALSE(Get(2).overdue());
}

TEST_F(PlanTasksTest, OverviewCountsPerLeadDepartmentAndInTotal) {
  MustReport(2, 100);           // streets, April
  MustReport(6, 50);            // fire rescue, June
  MustReport(13, 100);          // urban management, June
  MustReport(25, 20);           // housing + fire rescue, June
  MustReport(34, 60);           // finance, 2022
  clock_.Set(Cst(2020, 7, 1));  // April and June deadlines passed: 2, 6, 13, 23, 25
  absl::StatusOr<v1::PlanOverview> o = plan_->Overview(worker_, {});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tasks(), 35);
  EXPECT_EQ(o->completed(), 2);  // 2, 13
  EXPECT_EQ(o->overdue(), 3);    // 6, 23, 25
  std::vector<std::string> slugs;
  for (const auto& d : o->departments()) slugs.push_back(d.department());
  EXPECT_THAT(slugs, ElementsAre("all_departments", "economy_it", "finance", "fire_rescue",
                                 "housing", "justice", "planning", "streets", "urban_management"));
  auto dept = [&](const std::string& slug) {
    for (const auto& d : o->departments()) {
      if (d.department() == slug) return d;
    }
    return v1::DepartmentProgress();
  };
  // Fire rescue leads 1, 6, 12, 18 to 29 and 33.
  EXPECT_EQ(dept("fire_rescue").tasks(), 16);
  EXPECT_EQ(dept("fire_rescue").completed(), 0);
  EXPECT_EQ(dept("fire_rescue").overdue(), 3);  // 6, 23, 25
  EXPECT_DOUBLE_EQ(dept("fire_rescue").average_progress_percent(), (50.0 + 20.0) / 16);
  // Housing leads 9, 10, 11, 25, 27, 28, 29.
  EXPECT_EQ(dept("housing").tasks(), 7);
  EXPECT_EQ(dept("housing").overdue(), 1);
  EXPECT_DOUBLE_EQ(dept("housing").average_progress_percent(), 20.0 / 7);
  // The streets lead 2, 3, 4, 31, 32, 35.
  EXPECT_EQ(dept("streets").tasks(), 6);
  EXPECT_EQ(dept("streets").completed(), 1);
  EXPECT_EQ(dept("streets").overdue(), 0);
  EXPECT_DOUBLE_EQ(dept("streets").average_progress_percent(), 100.0 / 6);
  // Urban management leads 13-17.
  EXPECT_EQ(dept("urban_management").tasks(), 5);
  EXPECT_EQ(dept("urban_management").completed(), 1);
  EXPECT_DOUBLE_EQ(dept("urban_management").average_progress_percent(), 20.0);
  EXPECT_EQ(dept("finance").tasks(), 1);
  EXPECT_DOUBLE_EQ(dept("finance").average_progress_percent(), 60.0);
  EXPECT_EQ(dept("planning").tasks(), 2);
  EXPECT_EQ(dept("all_departments").tasks(), 1);
}

// ---- Reminders ----

TEST_F(PlanTasksTest, NoReminderBeforeAnyWindowOpens) {
  EXPECT_EQ(MustRun(*plan_), 0);
  EXPECT_TRUE(notifier_->calls().empty());
}

TEST_F(PlanTasksTest, ThirtyDaysOutTheStreetsAreRemindedOnceAcrossReplicasAndRounds) {
  clock_.Set(Cst(2020, 4, 1));  // task 2 (due 2020-04-30): 30 days left
  std::unique_ptr<PlanTasks> other = NewInstance();
  EXPECT_EQ(MustRun(*plan_), 1);
  EXPECT_EQ(MustRun(*other), 0);
  EXPECT_EQ(MustRun(*plan_), 0);
  clock_.Advance(absl::Hours(36));
  EXPECT_EQ(MustRun(*other), 0);
  std::vector<RedisOnceNotifier::Call> calls = notifier_->calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].once_key, "notify:plan-reminder:2:30");
  EXPECT_EQ(calls[0].recipients.size(), 12u);
  EXPECT_EQ(calls[0].recipients.front(), "org:500109001");
  EXPECT_EQ(calls[0].recipients.back(), "org:500109103");
  EXPECT_EQ(calls[0].notification.kind(), v1::KIND_PLAN_REMINDER);
  EXPECT_EQ(calls[0].notification.plan_task(), 2);
  EXPECT_THAT(calls[0].notification.body(), HasSubstr("摸清高层建筑底数"));
  EXPECT_THAT(calls[0].notification.body(), HasSubstr("还剩30天"));
}

TEST_F(PlanTasksTest, ConcurrentReplicasSendEachDueReminderExactlyOnce) {
  clock_.Set(Cst(2020, 6, 1));  // 2 overdue; 6, 13, 23, 25 thirty days out
  std::vector<std::unique_ptr<PlanTasks>> replicas;
  for (int i = 0; i < 4; ++i) replicas.push_back(NewInstance());
  std::atomic<int> sent{0};
  std::vector<std::thread> threads;
  for (auto& r : replicas) {
    threads.emplace_back([&, p = r.get()] {
      for (int round = 0; round < 3; ++round) {
        absl::StatusOr<int> n = p->RunReminders();
        if (n.ok()) sent += *n;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sent.load(), 5);
  EXPECT_THAT(notifier_->keys(),
              UnorderedElementsAre("notify:plan-reminder:2:0", "notify:plan-reminder:6:30",
                                   "notify:plan-reminder:13:30", "notify:plan-reminder:23:30",
                                   "notify:plan-reminder:25:30"));
  for (const auto& c : notifier_->calls()) {
    if (c.notification.plan_task() == 25) {
      EXPECT_THAT(c.recipients, ElementsAre("org:500109.housing", "org:500109.fire_rescue"));
    }
    if (c.notification.plan_task() == 2) {
      EXPECT_THAT(c.notification.title(), HasSubstr("已逾期"));
    }
  }
}

TEST_F(PlanTasksTest, CompletedTasksStopBeingRemindedAndRestartsResendNothing) {
  clock_.Set(Cst(2020, 6, 1));
  EXPECT_EQ(MustRun(*plan_), 5);
  MustReport(6, 100);
  clock_.Set(Cst(2020, 6, 24));   // 7 days left for the June tasks
  EXPECT_EQ(MustRun(*plan_), 3);  // 13, 23, 25; not 6
  std::vector<std::string> keys = notifier_->keys();
  EXPECT_THAT(std::vector<std::string>(keys.begin() + 5, keys.end()),
              ElementsAre("notify:plan-reminder:13:7", "notify:plan-reminder:23:7",
                          "notify:plan-reminder:25:7"));
  // A restarted replica finds everything sent.
  plan_ = NewInstance();
  EXPECT_EQ(MustRun(*plan_), 0);
  clock_.Set(Cst(2020, 7, 1));  // deadline passed
  EXPECT_EQ(MustRun(*plan_), 3);
  EXPECT_EQ(MustRun(*NewInstance()), 0);
  EXPECT_EQ(notifier_->calls().size(), 11u);
}

TEST_F(PlanTasksTest, ReminderCarriesTheReportedProgress) {
  ASSERT_TRUE(Report(housing_, 25, 45).ok());
  clock_.Set(Cst(2020, 6, 24));
  EXPECT_EQ(MustRun(*plan_), 5);  // 2 overdue; 6, 13, 23, 25 with 7 days left
  bool seen = false;
  for (const auto& c : notifier_->calls()) {
    if (c.notification.plan_task() != 25) continue;
    seen = true;
    EXPECT_THAT(c.notification.body(), HasSubstr("当前进度45%"));
    EXPECT_THAT(c.notification.body(), HasSubstr("还剩7天"));
    EXPECT_THAT(c.notification.body(), HasSubstr("2020-06-30"));
  }
  EXPECT_TRUE(seen);
}

TEST_F(PlanTasksTest, AFailingNotifierFailsTheRoundAndTheNextRoundCatchesUp) {
  clock_.Set(Cst(2020, 4, 1));
  notifier_->set_fail(true);
  absl::StatusOr<int> failed = plan_->RunReminders();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  notifier_->set_fail(false);
  EXPECT_EQ(MustRun(*plan_), 1);
  EXPECT_THAT(notifier_->keys(), ElementsAre("notify:plan-reminder:2:30"));
}

TEST_F(PlanTasksTest, OverdueReminderIsNotResentWhenTheNotifiersOnceKeyExpires) {
  clock_.Set(Cst(2020, 5, 1));  // task 2 overdue
  EXPECT_EQ(MustRun(*plan_), 1);
  // The Inbox keeps once keys 30 days; the overdue rule stays due for ever.
  ASSERT_TRUE(pool_->Command({"DEL", "notify:plan-reminder:2:0"}).ok());
  clock_.Set(Cst(2020, 6, 15));
  std::unique_ptr<PlanTasks> restarted = NewInstance();
  EXPECT_EQ(MustRun(*restarted), 4);  // the June tasks' 30-day reminders, not task 2 again
  EXPECT_THAT(notifier_->keys(), ::testing::Contains("notify:plan-reminder:2:0").Times(1));
}

TEST_F(PlanTasksTest, ASendTheMarkerMissedIsMarkedFromTheOnceKeyNextRound) {
  // A replica crashed after Notify and before marking: the once key says "sent".
  clock_.Set(Cst(2020, 4, 1));
  EXPECT_EQ(MustRun(*plan_), 1);
  ASSERT_TRUE(pool_->Command({"DEL", PlanRemindedKey("notify")}).ok());
  EXPECT_EQ(MustRun(*NewInstance()), 0);
  absl::StatusOr<redis::Reply> marked =
      pool_->Command({"HEXISTS", PlanRemindedKey("notify"), "2:30"});
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(marked->integer, 1);
  EXPECT_EQ(notifier_->calls().size(), 1u);
}

// With the service's real Notifier (services/notify/inbox.h): every street's inbox receives the
// reminder once, however many replicas run.
TEST_F(PlanTasksTest, RemindersLandOnceInTheRealInboxes) {
  RandomIdGenerator ids;
  Inbox inbox(pool_.get(), "notify", &clock_, &ids);
  PlanTasks a(pool_.get(), "notify", book_, &clock_, &inbox);
  PlanTasks b(pool_.get(), "notify", book_, &clock_, &inbox);
  clock_.Set(Cst(2020, 4, 24));  // task 2: 7 days left
  absl::StatusOr<int> first = a.RunReminders();
  absl::StatusOr<int> second = b.RunReminders();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first + *second, 1);
  for (const std::string& street : book_.streets()) {
    absl::StatusOr<std::vector<v1::Notification>> got =
        inbox.ReadAfter(OrgRecipient(street), "", 10);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), 1u) << street;
    EXPECT_EQ((*got)[0].kind(), v1::KIND_PLAN_REMINDER);
    EXPECT_EQ((*got)[0].plan_task(), 2);
    EXPECT_EQ((*got)[0].recipient(), OrgRecipient(street));
    EXPECT_THAT((*got)[0].body(), HasSubstr("还剩7天"));
  }
  absl::StatusOr<std::vector<v1::Notification>> fire =
      inbox.ReadAfter("org:500109.fire_rescue", "", 10);
  ASSERT_TRUE(fire.ok());
  EXPECT_TRUE(fire->empty());
}

}  // namespace
}  // namespace firegrid::notify
