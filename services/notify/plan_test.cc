// Hermetic tests of the plan tasks: the configuration, deadlines, which reminders are due when,
// and what a reminder says to whom. Progress and the exactly-once delivery are in
// plan_integration_test.cc (real redis-server).
#include "services/notify/plan.h"

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"

namespace firegrid::notify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::TimeZone kCst = absl::FixedTimeZone(8 * 60 * 60);

// A moment in China Standard Time.
absl::Time Cst(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), kCst);
}

PlanBook MustLoad() {
  absl::StatusOr<PlanBook> book = LoadPlanBook(FIREGRID_PLAN_TASKS);
  EXPECT_TRUE(book.ok()) << book.status();
  return book.ok() ? *book : PlanBook();
}

v1::PlanTask Task(int number, std::string deadline, std::vector<std::string> leads,
                  std::vector<std::string> assisting = {}) {
  v1::PlanTask t;
  t.set_number(number);
  t.set_title("任务" + std::to_string(number));
  t.set_deadline(std::move(deadline));
  for (auto& l : leads) t.add_lead_departments(l);
  for (auto& a : assisting) t.add_assisting_departments(a);
  return t;
}

// A small valid book: task 2 due 2020-04-30 (streets), 6 due 2020-06-30 (fire rescue, housing
// assisting), 25 due 2020-06-30 (housing and fire rescue), 1 due 2022-12-31.
PlanBook SmallBook(std::vector<int> reminder_days = {30, 7, 0}) {
  PlanBook b;
  b.set_district("500109");
  b.add_streets("500109001");
  b.add_streets("500109100");
  for (int d : reminder_days) b.add_reminders()->set_days_before(d);
  *b.add_tasks() = Task(2, "2020-04-30", {"streets"});
  *b.add_tasks() = Task(6, "2020-06-30", {"fire_rescue"}, {"streets", "housing"});
  *b.add_tasks() = Task(25, "2020-06-30", {"housing", "fire_rescue"}, {"streets"});
  *b.add_tasks() = Task(1, "2022-12-31", {"justice", "fire_rescue"}, {"all_departments"});
  return b;
}

// ---- The configuration ----

TEST(PlanConfigTest, ConfigFileHoldsTheThirtyFiveTasksNumberedOneToThirtyFive) {
  PlanBook book = MustLoad();
  ASSERT_EQ(book.tasks_size(), 35);
  std::set<int> numbers;
  for (const auto& t : book.tasks()) numbers.insert(t.number());
  EXPECT_EQ(numbers.size(), 35u);
  EXPECT_EQ(*numbers.begin(), 1);
  EXPECT_EQ(*numbers.rbegin(), 35);
}

TEST(PlanConfigTest, ConfigDeadlinesAreLastDaysOfMonthsIn2020To2022) {
  const PlanBook book = MustLoad();
  for (const auto& t : book.tasks()) {
    SCOPED_TRACE(t.number());
    absl::StatusOr<absl::Time> end = DeadlineEnd(t.deadline());
    ASSERT_TRUE(end.ok()) << end.status();
    // The end of the last day of a month is the first moment of the next month.
    const absl::CivilSecond next = absl::ToCivilSecond(*end, kCst);
    EXPECT_EQ(next.day(), 1);
    EXPECT_EQ(next.hour(), 0);
    EXPECT_GE(t.deadline(), "2020-01-01");
    EXPECT_LE(t.deadline(), "2022-12-31");
  }
}

TEST(PlanConfigTest, ConfigNamesOnlyKnownSlugsAndEveryTaskHasALead) {
  const PlanBook book = MustLoad();
  for (const auto& t : book.tasks()) {
    SCOPED_TRACE(t.number());
    EXPECT_FALSE(t.title().empty());
    EXPECT_FALSE(t.lead_departments().empty());
    for (const auto& s : t.lead_departments()) EXPECT_TRUE(IsPlanDepartment(s)) << s;
    for (const auto& s : t.assisting_departments()) EXPECT_TRUE(IsPlanDepartment(s)) << s;
  }
}

TEST(PlanConfigTest, ConfigMatchesTheAppendixRowsSpotChecked) {
  PlanBook book = MustLoad();
  EXPECT_EQ(book.district(), "500109");
  EXPECT_EQ(book.streets_size(), 12);
  std::vector<int> days;
  for (const auto& r : book.reminders()) days.push_back(r.days_before());
  EXPECT_THAT(days, ElementsAre(30, 7, 0));
  auto task = [&](int n) {
    for (const auto& t : book.tasks()) {
      if (t.number() == n) return t;
    }
    return v1::PlanTask();
  };
  // 1: 区司法局、区消防救援支队 lead; 各街道办事处、镇人民政府，区级有关部门 assist; 2022年12月.
  EXPECT_THAT(task(1).lead_departments(), ElementsAre("justice", "fire_rescue"));
  EXPECT_THAT(task(1).assisting_departments(), ElementsAre("streets", "all_departments"));
  EXPECT_EQ(task(1).deadline(), "2022-12-31");
  // 2: the streets, 2020年4月, nobody assists.
  EXPECT_EQ(task(2).title(), "摸清高层建筑底数、建立台账、列出火灾隐患清单");
  EXPECT_EQ(task(2).deadline(), "2020-04-30");
  EXPECT_THAT(task(2).lead_departments(), ElementsAre("streets"));
  EXPECT_THAT(task(2).assisting_departments(), IsEmpty());
  // 5: 区级有关部门和单位.
  EXPECT_THAT(task(5).lead_departments(), ElementsAre("all_departments"));
  // 13: urban management, 2020年6月, five assisting.
  EXPECT_EQ(task(13).deadline(), "2020-06-30");
  EXPECT_THAT(task(13).assisting_departments(),
              ElementsAre("streets", "planning", "housing", "police", "fire_rescue"));
  // 24: 2020年12月.
  EXPECT_EQ(task(24).deadline(), "2020-12-31");
  // 30: economy_it with the enterprises (有关企业).
  EXPECT_THAT(task(30).lead_departments(), ElementsAre("economy_it"));
  EXPECT_THAT(task(30).assisting_departments(), ElementsAre("streets", "enterprises"));
  // 31: nine assisting departments, among them the ones hazards does not know.
  EXPECT_THAT(task(31).assisting_departments(),
              ElementsAre("publicity", "development_reform", "education", "justice", "finance",
                          "hr_social_security", "culture_tourism", "emergency", "fire_rescue"));
  // 34: finance leads.
  EXPECT_THAT(task(34).lead_departments(), ElementsAre("finance"));
}

TEST(PlanConfigTest, SmallBookIsValid) { EXPECT_TRUE(ValidatePlanBook(SmallBook()).ok()); }

// Each broken book is rejected with INVALID_ARGUMENT naming the field.
TEST(PlanConfigTest, ValidationRejectsBrokenBooksNamingTheField) {
  struct Case {
    const char* what;
    std::function<void(PlanBook&)> breakit;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"district not 6 digits", [](PlanBook& b) { b.set_district("50010"); }, "district"},
      {"street of another district", [](PlanBook& b) { b.set_streets(1, "500110001"); },
       "streets[1]"},
      {"street code too short", [](PlanBook& b) { b.set_streets(0, "50010900"); }, "streets[0]"},
      {"duplicate street", [](PlanBook& b) { b.set_streets(1, "500109001"); }, "streets[1]"},
      {"negative reminder", [](PlanBook& b) { b.mutable_reminders(1)->set_days_before(-1); },
       "reminders[1].days_before"},
      {"duplicate reminder", [](PlanBook& b) { b.mutable_reminders(2)->set_days_before(7); },
       "reminders[2].days_before"},
      {"no tasks", [](PlanBook& b) { b.clear_tasks(); }, "tasks"},
      {"number 0", [](PlanBook& b) { b.mutable_tasks(1)->set_number(0); }, "tasks[1].number"},
      {"duplicate number", [](PlanBook& b) { b.mutable_tasks(2)->set_number(6); },
       "tasks[2].number"},
      {"no title", [](PlanBook& b) { b.mutable_tasks(0)->clear_title(); }, "tasks[0].title"},
      {"deadline not a date", [](PlanBook& b) { b.mutable_tasks(0)->set_deadline("2020-02-30"); },
       "tasks[0].deadline"},
      {"deadline without padding",
       [](PlanBook& b) { b.mutable_tasks(0)->set_deadline("2020-4-30"); }, "tasks[0].deadline"},
      {"deadline a month", [](PlanBook& b) { b.mutable_tasks(0)->set_deadline("2020-04"); },
       "tasks[0].deadline"},
      {"no lead", [](PlanBook& b) { b.mutable_tasks(1)->clear_lead_departments(); },
       "tasks[1].lead_departments"},
      {"unknown lead", [](PlanBook& b) { b.mutable_tasks(1)->set_lead_departments(0, "fire"); },
       "tasks[1].lead_departments[0]"},
      {"unknown assisting",
       [](PlanBook& b) { b.mutable_tasks(1)->add_assisting_departments("Housing"); },
       "tasks[1].assisting_departments[2]"},
      {"repeated lead", [](PlanBook& b) { b.mutable_tasks(2)->add_lead_departments("housing"); },
       "tasks[2].lead_departments[2]"},
      {"lead also assisting",
       [](PlanBook& b) { b.mutable_tasks(1)->add_assisting_departments("fire_rescue"); },
       "tasks[1].assisting_departments"},
      {"enterprises lead",
       [](PlanBook& b) { b.mutable_tasks(1)->set_lead_departments(0, "enterprises"); },
       "tasks[1].lead_departments"},
      {"streets lead without streets", [](PlanBook& b) { b.clear_streets(); }, "streets"},
      {"progress configured", [](PlanBook& b) { b.mutable_tasks(3)->set_progress_percent(50); },
       "tasks[3]"},
      {"overdue configured", [](PlanBook& b) { b.mutable_tasks(3)->set_overdue(true); },
       "tasks[3]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    PlanBook b = SmallBook();
    c.breakit(b);
    absl::Status s = ValidatePlanBook(b);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(c.field) + ":"));
  }
}

TEST(PlanConfigTest, LoadPlanBookReportsAMissingFile) {
  EXPECT_EQ(LoadPlanBook("/nonexistent/plan_tasks.textproto").status().code(),
            absl::StatusCode::kNotFound);
}

// ---- Deadlines ----

TEST(DeadlineTest, DeadlineEndsAtMidnightChinaStandardTime) {
  absl::StatusOr<absl::Time> end = DeadlineEnd("2020-04-30");
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, absl::FromCivil(absl::CivilSecond(2020, 4, 30, 16, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(*DeadlineEnd("2022-12-31"), Cst(2023, 1, 1));
  EXPECT_EQ(*DeadlineEnd("2020-02-29"), Cst(2020, 3, 1));  // a leap day
}

TEST(DeadlineTest, DeadlineRejectsWhatIsNotARealDate) {
  for (const char* bad : {"2021-02-29", "2020-13-01", "2020-00-10", "2020-04-31", "2020/04/30",
                          "2020-04-30 ", " 2020-04-30", "+020-04-30", "2020-4-3", "", "20200430"}) {
    EXPECT_EQ(DeadlineEnd(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// ---- Which reminders are due ----

TEST(DueRemindersTest, NothingIsDueBeforeTheFirstWindowOpens) {
  // Task 2's 30-day window opens at 2020-04-01 00:00 CST (30 days before the end of 04-30).
  EXPECT_THAT(DueReminders(SmallBook(), {}, Cst(2020, 3, 31, 23, 59, 59)), IsEmpty());
}

TEST(DueRemindersTest, EachWindowBoundaryIsExact) {
  const PlanBook b = SmallBook();
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 4, 1)), ElementsAre(DueReminder{2, 30}));
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 4, 23, 23, 59, 59)), ElementsAre(DueReminder{2, 30}));
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 4, 24)), ElementsAre(DueReminder{2, 7}));
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 4, 30, 23, 59, 59)), ElementsAre(DueReminder{2, 7}));
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 5, 1)), ElementsAre(DueReminder{2, 0}));
}

TEST(DueRemindersTest, OverdueStaysDueAfterTheDeadline) {
  EXPECT_THAT(DueReminders(SmallBook(), {}, Cst(2020, 5, 20)), ElementsAre(DueReminder{2, 0}));
}

TEST(DueRemindersTest, ALateFirstRunSendsOnlyTheMostUrgentRule) {
  // Three days before the deadline both the 30- and the 7-day windows are open: only 7 is due.
  EXPECT_THAT(DueReminders(SmallBook(), {}, Cst(2020, 4, 28)), ElementsAre(DueReminder{2, 7}));
}

TEST(DueRemindersTest, CompletedTasksAreNotRemindedButAlmostCompletedAre) {
  const PlanBook b = SmallBook();
  EXPECT_THAT(DueReminders(b, {{2, 100}}, Cst(2020, 4, 28)), IsEmpty());
  EXPECT_THAT(DueReminders(b, {{2, 100}}, Cst(2020, 5, 28)), IsEmpty());
  EXPECT_THAT(DueReminders(b, {{2, 99}}, Cst(2020, 5, 28)), ElementsAre(DueReminder{2, 0}));
}

TEST(DueRemindersTest, SeveralTasksAreDueTogetherSortedByNumber) {
  // 2020-06-01 00:00 CST: task 2 overdue, tasks 6 and 25 thirty days out; task 1 not yet.
  EXPECT_THAT(DueReminders(SmallBook(), {{6, 10}}, Cst(2020, 6, 1)),
              ElementsAre(DueReminder{2, 0}, DueReminder{6, 30}, DueReminder{25, 30}));
}

TEST(DueRemindersTest, WithoutARuleZeroNothingIsDueAfterTheDeadline) {
  const PlanBook b = SmallBook({30, 7});
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 4, 30, 12)), ElementsAre(DueReminder{2, 7}));
  EXPECT_THAT(DueReminders(b, {}, Cst(2020, 5, 1)), IsEmpty());
}

TEST(DueRemindersTest, WalkingTheClockThroughSpring2020YieldsEachRuleOnceInOrder) {
  // Hour by hour from March to mid-May, task 2 (due 2020-04-30) goes through its three windows,
  // each first due exactly when the window opens.
  const PlanBook b = SmallBook();
  FakeClock clock(Cst(2020, 3, 1));
  std::vector<std::pair<DueReminder, absl::Time>> firsts;
  std::set<std::pair<int, int>> seen;
  while (clock.Now() < Cst(2020, 5, 15)) {
    for (const DueReminder& d : DueReminders(b, {}, clock.Now())) {
      if (seen.insert({d.number, d.days_before}).second) firsts.push_back({d, clock.Now()});
    }
    clock.Advance(absl::Hours(1));
  }
  ASSERT_EQ(firsts.size(), 3u);
  EXPECT_EQ(firsts[0].first, (DueReminder{2, 30}));
  EXPECT_EQ(firsts[0].second, Cst(2020, 4, 1));
  EXPECT_EQ(firsts[1].first, (DueReminder{2, 7}));
  EXPECT_EQ(firsts[1].second, Cst(2020, 4, 24));
  EXPECT_EQ(firsts[2].first, (DueReminder{2, 0}));
  EXPECT_EQ(firsts[2].second, Cst(2020, 5, 1));
}

TEST(DueRemindersTest, OnTheRealConfigJune2020StartsTheThirtyDayWindowOfTheJuneTasks) {
  // 2020-06-01 00:00 CST: task 2 (April) is overdue; 6, 13, 23, 25 (June) have 30 days left.
  std::vector<int> numbers;
  for (const auto& d : DueReminders(MustLoad(), {}, Cst(2020, 6, 1))) {
    numbers.push_back(d.number);
    EXPECT_EQ(d.days_before, d.number == 2 ? 0 : 30) << d.number;
  }
  EXPECT_THAT(numbers, ElementsAre(2, 6, 13, 23, 25));
}

// ---- What a reminder says, to whom ----

TEST(ReminderTest, StreetsLedTasksRemindEveryStreet) {
  const PlanBook b = SmallBook();
  EXPECT_THAT(ReminderRecipients(b, b.tasks(0)), ElementsAre("org:500109001", "org:500109100"));
}

TEST(ReminderTest, DepartmentLeadsAreRemindedAndAssistantsAreNot) {
  const PlanBook b = SmallBook();
  EXPECT_THAT(ReminderRecipients(b, b.tasks(1)), ElementsAre("org:500109.fire_rescue"));
  EXPECT_THAT(ReminderRecipients(b, b.tasks(2)),
              ElementsAre("org:500109.housing", "org:500109.fire_rescue"));
}

TEST(ReminderTest, AllDepartmentsLeadRemindsTheDistrict) {
  PlanBook b = SmallBook();
  *b.add_tasks() = Task(5, "2022-12-31", {"all_departments"});
  EXPECT_THAT(ReminderRecipients(b, b.tasks(4)), ElementsAre("org:500109"));
}

TEST(ReminderTest, ApproachingReminderNamesTaskDeadlineDaysLeftProgressAndLeads) {
  const PlanBook b = SmallBook();
  v1::PlanTask t = b.tasks(1);  // 6, due 2020-06-30
  t.set_progress_percent(40);
  const absl::Time now = Cst(2020, 6, 24);  // 7 days before the end of 06-30
  v1::Notification n = ReminderNotification(b, t, 7, now);
  EXPECT_EQ(n.kind(), v1::KIND_PLAN_REMINDER);
  EXPECT_EQ(n.plan_task(), 6);
  EXPECT_FALSE(n.requires_ack());
  EXPECT_EQ(n.created_at().seconds(), absl::ToUnixSeconds(now));
  EXPECT_THAT(n.title(), HasSubstr("计划任务6"));
  EXPECT_THAT(n.title(), HasSubstr("2020-06-30"));
  EXPECT_THAT(n.body(), HasSubstr("「任务6」"));
  EXPECT_THAT(n.body(), HasSubstr("还剩7天"));
  EXPECT_THAT(n.body(), HasSubstr("当前进度40%"));
  EXPECT_THAT(n.body(), HasSubstr("牵头部门：区消防救援支队"));
  EXPECT_THAT(n.body(), HasSubstr("配合部门：各街道办事处、镇人民政府、区住房城乡建委"));
}

TEST(ReminderTest, DaysLeftAreCountedFromTheSendingTime) {
  // A 30-day reminder first sent 27.5 days before the end says 28 days, not 30.
  const PlanBook b = SmallBook();
  v1::Notification n = ReminderNotification(b, b.tasks(1), 30, Cst(2020, 6, 3, 12));
  EXPECT_THAT(n.body(), HasSubstr("还剩28天"));
}

TEST(ReminderTest, OverdueReminderSaysTheDeadlinePassed) {
  const PlanBook b = SmallBook();
  v1::Notification n = ReminderNotification(b, b.tasks(0), 0, Cst(2020, 5, 1));
  EXPECT_THAT(n.title(), HasSubstr("已逾期"));
  EXPECT_THAT(n.body(), HasSubstr("完成期限2020-04-30已过"));
  EXPECT_THAT(n.body(), HasSubstr("当前进度0%"));
  EXPECT_THAT(n.body(), HasSubstr("牵头部门：各街道办事处、镇人民政府。"));
}

TEST(ReminderTest, OnceKeysAreDistinctPerTaskAndRule) {
  EXPECT_EQ(ReminderOnceKey("notify", 6, 30), "notify:plan-reminder:6:30");
  EXPECT_NE(ReminderOnceKey("notify", 6, 3), ReminderOnceKey("notify", 63, 0));
  EXPECT_EQ(PlanProgressKey("notify", 6), "notify:plan:task:6");
}

TEST(PlanDepartmentTest, KnowsHazardsSlugsThePlansExtrasAndTheCollectives) {
  for (const char* s : {"fire_rescue",
                        "emergency",
                        "urban_management",
                        "planning",
                        "housing",
                        "economy_it",
                        "market_supervision",
                        "police",
                        "education",
                        "civil_affairs",
                        "commerce",
                        "culture_tourism",
                        "health",
                        "water_company",
                        "gas_company",
                        "power_company",
                        "justice",
                        "development_reform",
                        "finance",
                        "publicity",
                        "hr_social_security",
                        "streets",
                        "all_departments",
                        "enterprises"}) {
    EXPECT_TRUE(IsPlanDepartment(s)) << s;
  }
  EXPECT_FALSE(IsPlanDepartment("fire"));
  EXPECT_FALSE(IsPlanDepartment(""));
  EXPECT_EQ(PlanDepartmentName("hr_social_security"), "区人力社保局");
}

}  // namespace
}  // namespace firegrid::notify
