// The time rules end to end, on the real binaries run with a shifted wall clock
// (tests/support/fake_time.h): redis-server, buildings, hazards and notify see the same clock,
// which the test moves forward by days or hours (stream ids, TTLs and the services' Clock
// agree); the dev broker keeps the real time.
// Proves: a responsibility chain filed after its five-working-day filing period is recorded as
// filed late, by how many working days, in the building and in the ledger; an overdue hazard
// escalates to the street at its deadline and to the district a week
// later (config/hazards_rules.textproto), and an unacknowledged hazard task is re-notified one
// tier up after notify's default acknowledgement timeout (4 h), while an acknowledged one is not;
// the hazards statistics of a day are kept when the day ends at midnight in Asia/Shanghai,
// replacing the start-up snapshot of that day.
#include <memory>
#include <optional>

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/fake_time.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;
using google::protobuf::util::TimeUtil;

constexpr char kCommunity[] = "500109001002";
constexpr char kStreet[] = "500109001";

class TimeRulesE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ =
        std::make_unique<testing::RedisServer>(testing::RedisServerOptions{.env = clock_.Env()});
    ASSERT_TRUE(redis_->Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis_->address(),
                                     broker_.bootstrap(), key_file, dir_.path(), clock_.Env());
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    // Timers are looked at often; the rules (deadlines, escalation after a week, the 4 h
    // acknowledgement timeout) are the production defaults.
    hazards_ = service(
        FIREGRID_HAZARDS_BIN, "hazards",
        {"--rules-file=" + cfg + "/hazards_rules.textproto",
         "--guidance-file=" + cfg + "/hazards_guidance.textproto", "--timer-interval=200ms"});
    notify_ = service(FIREGRID_NOTIFY_BIN, "notify",
                      {"--plan-file=" + cfg + "/plan_tasks.textproto", "--timer-interval=200ms"});
    for (auto* s : {buildings_.get(), hazards_.get(), notify_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
    auto channel = [](const testing::ServiceProcess& s) {
      return grpc::CreateChannel(s.grpc_address(), grpc::InsecureChannelCredentials());
    };
    bstub_ = bv1::BuildingService::NewStub(channel(*buildings_));
    hstub_ = hv1::HazardService::NewStub(channel(*hazards_));
    nstub_ = nv1::NotifyService::NewStub(channel(*notify_));
  }

  void TearDown() override {
    for (auto* s : {notify_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0) << "service did not drain cleanly";
      }
    }
  }

  std::string Admin() { return tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin"); }
  std::string Worker() { return tokens_.Make(auth::Role::kCommunityWorker, kCommunity, "grid-1"); }
  std::string Street() { return tokens_.Make(auth::Role::kStreetOfficer, kStreet, "street-1"); }
  std::string Urban() {
    return tokens_.Make(auth::Role::kDepartmentOfficer, "500109", "um-1", "urban_management");
  }
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  // Moves the shifted clock forward and waits until every service runs on the new time. absl's
  // clock extrapolates from its last reading of the kernel's for up to about two seconds, so a
  // service sees a step a moment after the file changed; until then it refuses tokens minted for
  // the new time as issued in the future. Accepted tokens are the sign that it caught up.
  void AdvanceClock(absl::Duration d) {
    ASSERT_TRUE(clock_.Advance(d).ok());
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          const std::string admin = Admin();
          bv1::ListOrgUnitsRequest ou;
          ou.set_page_size(1);
          bv1::ListOrgUnitsResponse ou_resp;
          hv1::ListHazardsRequest hz;
          hz.set_page_size(1);
          hv1::ListHazardsResponse hz_resp;
          nv1::ListInboxRequest in;
          in.set_page_size(1);
          nv1::ListInboxResponse in_resp;
          return bstub_->ListOrgUnits(Ctx(admin).get(), ou, &ou_resp).ok() &&
                 hstub_->ListHazards(Ctx(admin).get(), hz, &hz_resp).ok() &&
                 nstub_->ListInbox(Ctx(admin).get(), in, &in_resp).ok();
        },
        absl::Seconds(30)))
        << "the services did not take up the new time";
  }

  std::string RegisterBuilding() {
    return testing::RegisterCommunityBuilding(*bstub_, Admin()).building_id();
  }

  // Reports a fire-lane hazard once the hazards service has learnt the building (from Kafka).
  hv1::Hazard Report(const std::string& building) {
    hv1::ReportHazardRequest req;
    req.set_building_id(building);
    req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description("消防车道被占用");
    req.set_idempotency_key("time-rules-" + building);
    hv1::ReportHazardResponse reported;
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return hstub_->ReportHazard(Ctx(Worker()).get(), req, &reported).ok(); },
        absl::Seconds(60)));
    return reported.hazard();
  }

  hv1::Hazard Get(const std::string& id) {
    hv1::GetHazardRequest req;
    req.set_hazard_id(id);
    hv1::Hazard h;
    grpc::Status s = hstub_->GetHazard(Ctx(Admin()).get(), req, &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return h;
  }

  // Every notification in the inboxes `token` reads (all pages).
  std::vector<nv1::Notification> Inbox(const std::string& token) {
    return testing::ReadInbox(*nstub_, token);
  }

  // The first notification in `token`'s inboxes that `match` accepts, waiting for it.
  std::optional<nv1::Notification> WaitInbox(
      const std::string& token, const std::function<bool(const nv1::Notification&)>& match,
      absl::Duration timeout = absl::Seconds(60)) {
    std::optional<nv1::Notification> found;
    testing::WaitUntil(
        [&] {
          for (const auto& n : Inbox(token)) {
            if (match(n)) {
              found = n;
              return true;
            }
          }
          return false;
        },
        timeout);
    return found;
  }

  testing::TempDir dir_{"time-rules-e2e"};
  testing::FakeTime clock_{dir_.path()};
  testing::DevTokens tokens_{[this] { return clock_.Now(); }};
  std::unique_ptr<testing::RedisServer> redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, notify_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::unique_ptr<hv1::HazardService::Stub> hstub_;
  std::unique_ptr<nv1::NotifyService::Stub> nstub_;
};

TEST_F(TimeRulesE2E, OverdueHazardEscalatesToTheStreetAtItsDeadlineAndToTheDistrictAWeekLater) {
  const std::string building = RegisterBuilding();
  hv1::Hazard h = Report(building);
  ASSERT_FALSE(h.hazard_id().empty());

  hv1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  grpc::Status s = hstub_->VerifyHazard(Ctx(Urban()).get(), v, &h);
  ASSERT_TRUE(s.ok()) << s.error_message();
  hv1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("朝阳物业");
  *a.mutable_deadline() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  s = hstub_->AssignHazard(Ctx(Street()).get(), a, &h);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(h.escalation(), hv1::ESCALATION_LEVEL_UNSPECIFIED);
  ASSERT_FALSE(h.overdue());

  // Three days on: past the deadline, still open → overdue, escalated to the street.
  AdvanceClock(absl::Hours(72));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Get(h.hazard_id()).escalation() == hv1::ESCALATION_LEVEL_STREET; },
      absl::Seconds(60)))
      << "not escalated to the street after its deadline";
  EXPECT_TRUE(Get(h.hazard_id()).overdue());

  // Not yet a week after the deadline: still the street.
  AdvanceClock(absl::Hours(24 * 4));
  auto street_only = Get(h.hazard_id());
  EXPECT_EQ(street_only.escalation(), hv1::ESCALATION_LEVEL_STREET);

  // More than a week after the deadline: the district.
  AdvanceClock(absl::Hours(24 * 2));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Get(h.hazard_id()).escalation() == hv1::ESCALATION_LEVEL_DISTRICT; },
      absl::Seconds(60)))
      << "not escalated to the district a week after its deadline";
  // And the district hears of it.
  auto up = WaitInbox(Admin(), [&](const nv1::Notification& n) {
    return n.hazard_id() == h.hazard_id() && n.kind() == nv1::KIND_ESCALATION &&
           n.recipient() == "org:500109";
  });
  EXPECT_TRUE(up.has_value()) << "the district was not notified of the escalation";
}

TEST_F(TimeRulesE2E, UnacknowledgedTaskIsRenotifiedOneTierUpAfterTheAcknowledgementTimeout) {
  const std::string building = RegisterBuilding();
  hv1::Hazard h = Report(building);
  ASSERT_FALSE(h.hazard_id().empty());
  auto is_task_for = [&](const std::string& recipient) {
    return [&, recipient](const nv1::Notification& n) {
      return n.hazard_id() == h.hazard_id() && n.kind() == nv1::KIND_HAZARD_TASK &&
             n.recipient() == recipient;
    };
  };
  auto dept_task = WaitInbox(Urban(), is_task_for("org:500109.urban_management"));
  auto community_task = WaitInbox(Worker(), is_task_for(std::string("org:") + kCommunity));
  ASSERT_TRUE(dept_task.has_value());
  ASSERT_TRUE(community_task.has_value());
  // The community acknowledges its task; the department does not.
  nv1::AcknowledgeRequest ack;
  ack.set_notification_id(community_task->notification_id());
  nv1::Notification acked;
  grpc::Status s = nstub_->Acknowledge(Ctx(Worker()).get(), ack, &acked);
  ASSERT_TRUE(s.ok()) << s.error_message();

  auto renotified_from = [&](const std::string& id) {
    return [id](const nv1::Notification& n) { return n.renotified_from() == id; };
  };
  // Five hours on (past the 4 h timeout): the department's task goes up to the district; the
  // community's, acknowledged, does not go to the street.
  AdvanceClock(absl::Hours(5));
  auto up = WaitInbox(Admin(), renotified_from(dept_task->notification_id()));
  ASSERT_TRUE(up.has_value()) << "the unacknowledged task was not re-notified to the district";
  EXPECT_EQ(up->recipient(), "org:500109");
  for (const auto& n : Inbox(Street())) {
    EXPECT_NE(n.renotified_from(), community_task->notification_id())
        << "an acknowledged task was re-notified";
  }
}

TEST_F(TimeRulesE2E, FilingAfterItsFiveWorkingDayPeriodIsRecordedAsFiledLateInBuildingAndLedger) {
  const std::string id = RegisterBuilding();
  const std::string admin = Admin();
  auto get = [&] {
    bv1::GetBuildingRequest req;
    req.set_building_id(id);
    bv1::Building b;
    grpc::Status s = bstub_->GetBuilding(Ctx(Admin()).get(), req, &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b;
  };
  bv1::ResponsibilityChain chain;
  chain.set_management_unit("朝阳物业");
  chain.mutable_responsible_person()->set_name("张伟");
  chain.mutable_responsible_person()->set_phone("13800000001");
  chain.mutable_manager()->set_name("李娜");
  chain.mutable_manager()->set_phone("13800000002");
  chain.mutable_building_head()->set_name("王强");
  chain.mutable_building_head()->set_phone("13800000003");
  chain.set_property_company("朝阳物业");
  // The chain is named; the filing period (5 working days) starts.
  bv1::FileResponsibilityRequest name;
  name.set_building_id(id);
  name.set_expected_version(get().version());
  *name.mutable_chain() = chain;
  bv1::Building b;
  grpc::Status s = bstub_->FileResponsibility(Ctx(admin).get(), name, &b);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(get().responsibility().filing_state(), bv1::FILING_STATE_PENDING);

  // Ten calendar days on, not filed: late.
  AdvanceClock(absl::Hours(24 * 10));
  EXPECT_EQ(get().responsibility().filing_state(), bv1::FILING_STATE_LATE);

  // Filed now: filed late, by the working days past the period, and counted so in the ledger.
  bv1::FileResponsibilityRequest file = name;
  file.set_expected_version(get().version());
  file.mutable_filing()->set_document_number("北碚天生消备〔2026〕7号");
  *file.mutable_filing()->mutable_filed_at() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
  s = bstub_->FileResponsibility(Ctx(Admin()).get(), file, &b);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const bv1::Building filed = get();
  EXPECT_EQ(filed.responsibility().filing_state(), bv1::FILING_STATE_FILED_LATE);
  EXPECT_GE(filed.responsibility().working_days_late(), 1);
  EXPECT_LE(filed.responsibility().working_days_late(), 6);  // 10 calendar days: ≤ 8 working days
  bv1::GetLedgerRequest lr;
  lr.set_tier_path(kStreet);
  bv1::Ledger ledger;
  s = bstub_->GetLedger(Ctx(Admin()).get(), lr, &ledger);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ledger.totals().filed_late(), 1);

  // Later still, it stays filed late: lateness is a fact of the filing, not of the reading time.
  AdvanceClock(absl::Hours(24 * 30));
  EXPECT_EQ(get().responsibility().filing_state(), bv1::FILING_STATE_FILED_LATE);
}

TEST_F(TimeRulesE2E, TheStatisticsOfADayAreKeptWhenItEndsAtMidnightInShanghai) {
  const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  auto trend = [&] {
    hv1::GetStatisticsTrendRequest req;
    req.set_days(7);
    hv1::StatisticsTrend t;
    grpc::Status s = hstub_->GetStatisticsTrend(Ctx(Admin()).get(), req, &t);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return t;
  };
  // Start-up: today so far, before any hazard — and, when the stack starts in the first 6 hours
  // of a day (the end-of-day snapshot's window), how the day before ended, first.
  const std::string today = absl::FormatCivilTime(absl::ToCivilDay(clock_.Now(), shanghai));
  hv1::StatisticsTrend at_start;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        at_start = trend();
        const int n = at_start.days_size();
        return n >= 1 && at_start.days(n - 1).date() == today;
      },
      absl::Seconds(30)))
      << at_start.DebugString();
  const int points = at_start.days_size();
  ASSERT_LE(points, 2);
  const hv1::DailyStatistics started = at_start.days(points - 1);
  EXPECT_EQ(started.totals().reported(), 0);
  const std::string day = started.date();

  Report(RegisterBuilding());
  const absl::Time now = clock_.Now();
  const absl::Time midnight = absl::FromCivil(absl::ToCivilDay(now, shanghai) + 1, shanghai);
  AdvanceClock(midnight - now + absl::Seconds(30));

  // The day that ended is kept with the hazard reported during it; the new day has no point yet.
  hv1::StatisticsTrend kept;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        kept = trend();
        return kept.days_size() == points &&
               kept.days(points - 1).totals().reported() == 1;
      },
      absl::Seconds(60)))
      << kept.DebugString();
  EXPECT_EQ(kept.days(points - 1).date(), day);
  EXPECT_EQ(kept.days(points - 1).totals().key(), "500109");
}

}  // namespace
}  // namespace firegrid
