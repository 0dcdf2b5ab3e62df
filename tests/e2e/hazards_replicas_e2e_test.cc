// Two replicas of firegrid-hazards on one redis-server and one dev broker, as real binaries run
// with a shifted wall clock (tests/support/fake_time.h): reports, verifications and assignments
// alternate between the replicas, both run the deadline timer loop every 50 ms, and the test
// moves the clock past each hazard's due-soon reminder, its deadline, and a week after it.
// Proves: every deadline timer fires exactly once across the replicas — each hazard has exactly
// one HazardDueSoon, one HazardOverdue and two HazardEscalated events (to the street, then the
// district), counted by event id over everything the replicas wrote (the hazards topic and what
// is left in the outbox) once both replicas have exited, so no late second firing can hide; and
// with two notify replicas as well (what notify_latency_bench --replicas=2 measures), reports
// alternating between the hazards replicas reach the lead department's stream on one notify
// replica and the community worker's on the other, each task exactly once per stream.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/events/topics.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/fake_time.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

using google::protobuf::util::TimeUtil;

constexpr char kCommunity[] = "500109001002";
constexpr char kStreet[] = "500109001";
constexpr char kDistrict[] = "500109";
constexpr int kHazards = 6;

class HazardsReplicasE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = testing::WriteKeyFile(dir_.path());
    redis_ =
        std::make_unique<testing::RedisServer>(testing::RedisServerOptions{.env = clock_.Env()});
    ASSERT_TRUE(redis_->Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    buildings_ = Service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    ASSERT_TRUE(buildings_->Start().ok());
    bstub_ = bv1::BuildingService::NewStub(
        grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
    // Both replicas look at the timers every 50 ms: a due timer is seen by both in the same
    // pass far more often than not.
    for (const char* name : {"hazards-a", "hazards-b"}) {
      hazards_.push_back(Service(
          FIREGRID_HAZARDS_BIN, name,
          {"--rules-file=" + cfg + "/hazards_rules.textproto",
           "--guidance-file=" + cfg + "/hazards_guidance.textproto", "--timer-interval=50ms"}));
      absl::Status st = hazards_.back()->Start();
      ASSERT_TRUE(st.ok()) << st;
      hstubs_.push_back(hv1::HazardService::NewStub(grpc::CreateChannel(
          hazards_.back()->grpc_address(), grpc::InsecureChannelCredentials())));
    }
    redis::PoolOptions po;
    po.port = redis_->port();
    pool_ = redis::Pool::Create(po);
  }

  void TearDown() override {
    for (auto& s : notify_) {
      if (s->running()) (void)s->Stop();
    }
    for (auto& s : hazards_) {
      if (s->running()) (void)s->Stop();
    }
    if (buildings_ != nullptr && buildings_->running()) (void)buildings_->Stop();
  }

  std::unique_ptr<testing::ServiceProcess> Service(const char* binary, const std::string& name,
                                                   std::vector<std::string> flags) {
    return testing::PollingService(binary, name, std::move(flags), redis_->address(),
                                   broker_.bootstrap(), key_file_, dir_.path(), clock_.Env());
  }

  void StartNotifyReplicas() {
    for (const char* name : {"notify-a", "notify-b"}) {
      notify_.push_back(
          Service(FIREGRID_NOTIFY_BIN, name,
                  {"--plan-file=" + std::string(FIREGRID_CONFIG_DIR) + "/plan_tasks.textproto"}));
      absl::Status st = notify_.back()->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
  }

  std::string Admin() { return tokens_.Make(auth::Role::kDistrictAdmin, kDistrict, "admin"); }
  std::string Worker() { return tokens_.Make(auth::Role::kCommunityWorker, kCommunity, "grid-1"); }
  std::string Street() { return tokens_.Make(auth::Role::kStreetOfficer, kStreet, "street-1"); }
  std::string Urban() {
    return tokens_.Make(auth::Role::kDepartmentOfficer, kDistrict, "um-1", "urban_management");
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  // Moves the shifted clock forward and waits until every service accepts tokens minted for the
  // new time (absl's clock takes up a step of the wall clock a moment later).
  void AdvanceClock(absl::Duration d) {
    ASSERT_TRUE(clock_.Advance(d).ok());
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          const std::string admin = Admin();
          bv1::ListOrgUnitsRequest ou;
          ou.set_page_size(1);
          bv1::ListOrgUnitsResponse ou_resp;
          if (!bstub_->ListOrgUnits(Ctx(admin).get(), ou, &ou_resp).ok()) return false;
          for (auto& stub : hstubs_) {
            hv1::ListHazardsRequest hz;
            hz.set_page_size(1);
            hv1::ListHazardsResponse hz_resp;
            if (!stub->ListHazards(Ctx(admin).get(), hz, &hz_resp).ok()) return false;
          }
          return true;
        },
        absl::Seconds(30)))
        << "the services did not take up the new time";
  }

  std::string RegisterBuilding() {
    return testing::RegisterCommunityBuilding(*bstub_, Admin()).building_id();
  }

  // A hazard of `category` in `building`, reported by the community worker on replica `r`.
  hv1::Hazard Report(int r, const std::string& building, hv1::HazardCategory category) {
    hv1::ReportHazardRequest req;
    req.set_building_id(building);
    req.set_category(category);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description("消防车道被占用");
    req.set_idempotency_key(absl::StrCat("replicas-", building, "-", category));
    hv1::ReportHazardResponse reported;
    grpc::Status last;
    // The replica learns the building from the buildings events.
    testing::WaitUntil(
        [&] {
          last = hstubs_[r]->ReportHazard(Ctx(Worker()).get(), req, &reported);
          return last.error_code() != grpc::StatusCode::NOT_FOUND;
        },
        absl::Seconds(60));
    EXPECT_TRUE(last.ok()) << last.error_message();
    return reported.hazard();
  }

  // A fire-lane hazard in a building of its own, reported on replica `r`, verified on the other
  // and assigned on `r` again with a deadline 48 hours on.
  hv1::Hazard ReportVerifyAssign(int r) {
    hv1::Hazard h = Report(r, RegisterBuilding(), hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    hv1::VerifyHazardRequest v;
    v.set_hazard_id(h.hazard_id());
    v.set_expected_version(h.version());
    grpc::Status s = hstubs_[1 - r]->VerifyHazard(Ctx(Urban()).get(), v, &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    hv1::AssignHazardRequest a;
    a.set_hazard_id(h.hazard_id());
    a.set_expected_version(h.version());
    a.set_responsible_party("朝阳物业");
    *a.mutable_deadline() =
        TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
    s = hstubs_[r]->AssignHazard(Ctx(Street()).get(), a, &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return h;
  }

  bool AllEscalatedTo(const std::vector<std::string>& ids, hv1::EscalationLevel level) {
    for (const std::string& id : ids) {
      hv1::GetHazardRequest req;
      req.set_hazard_id(id);
      hv1::Hazard h;
      if (!hstubs_[0]->GetHazard(Ctx(Admin()).get(), req, &h).ok() || h.escalation() != level) {
        return false;
      }
    }
    return true;
  }

  // Every timer event the replicas wrote, by hazard id: "due_soon", "overdue", "escalated:<to>"
  // -> the distinct event ids. From the hazards topic and the outbox entries not relayed yet
  // (an event relayed twice counts once: it has one id).
  std::map<std::string, std::map<std::string, std::set<std::string>>> TimerEvents() {
    std::vector<std::string> values;
    auto messages = testing::ReadTopicToEnd(broker_.bootstrap(), std::string(events::kHazardsTopic),
                                            absl::Seconds(20));
    EXPECT_TRUE(messages.ok()) << messages.status();
    if (messages.ok()) {
      for (const auto& m : *messages) values.push_back(m.value);
    }
    auto outbox = pool_->Command({"XRANGE", "fg:hazards:outbox", "-", "+"});
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    if (outbox.ok()) {
      for (const auto& entry : outbox->elements) {
        if (entry.elements.size() < 2) continue;
        const auto& fields = entry.elements[1].elements;
        for (size_t i = 0; i + 1 < fields.size(); i += 2) {
          if (fields[i].str == events::kOutboxValueField) values.push_back(fields[i + 1].str);
        }
      }
    }
    std::map<std::string, std::map<std::string, std::set<std::string>>> out;
    for (const std::string& value : values) {
      auto env = events::ParseEnvelope(value);
      if (!env.ok()) continue;
      if (auto e = events::Unpack<hv1::HazardDueSoon>(*env); e.ok()) {
        out[e->hazard().hazard_id()]["due_soon"].insert(env->event_id());
      } else if (auto e = events::Unpack<hv1::HazardOverdue>(*env); e.ok()) {
        out[e->hazard().hazard_id()]["overdue"].insert(env->event_id());
      } else if (auto e = events::Unpack<hv1::HazardEscalated>(*env); e.ok()) {
        out[e->hazard().hazard_id()]["escalated:" + e->escalated_to()].insert(env->event_id());
      }
    }
    return out;
  }

  // Each hazard has exactly one due-soon, one overdue and one escalation to the street and one to
  // the district, by event id (call once both replicas have exited).
  void ExpectEachTimerFiredOnce(const std::vector<std::string>& ids) {
    const auto events = TimerEvents();
    for (const std::string& id : ids) {
      SCOPED_TRACE(id);
      ASSERT_TRUE(events.count(id));
      const auto& kinds = events.at(id);
      auto count = [&](const std::string& kind) {
        auto it = kinds.find(kind);
        return it == kinds.end() ? 0 : static_cast<int>(it->second.size());
      };
      EXPECT_EQ(count("due_soon"), 1);
      EXPECT_EQ(count("overdue"), 1);
      EXPECT_EQ(count(absl::StrCat("escalated:", kStreet)), 1);
      EXPECT_EQ(count(absl::StrCat("escalated:", kDistrict)), 1);
      EXPECT_EQ(kinds.size(), 4u) << "an escalation elsewhere";
    }
  }

  int64_t PendingTimers() {
    auto n = pool_->Command({"ZCARD", "fg:hazards:timers"});
    return n.ok() ? n->integer : -1;
  }

  testing::TempDir dir_{"hazards-replicas-e2e"};
  testing::FakeTime clock_{dir_.path()};
  testing::DevTokens tokens_{[this] { return clock_.Now(); }};
  std::string key_file_;
  std::unique_ptr<testing::RedisServer> redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_;
  std::vector<std::unique_ptr<testing::ServiceProcess>> hazards_, notify_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::vector<std::unique_ptr<hv1::HazardService::Stub>> hstubs_;
  std::unique_ptr<redis::Pool> pool_;
};

TEST_F(HazardsReplicasE2E, TwoReplicasFireEachDeadlineTimerExactlyOnce) {
  std::vector<std::string> ids;
  for (int i = 0; i < kHazards; ++i) {
    const hv1::Hazard h = ReportVerifyAssign(i % 2);
    ASSERT_FALSE(h.hazard_id().empty());
    ASSERT_TRUE(h.has_assignment());
    ids.push_back(h.hazard_id());
  }
  ASSERT_EQ(PendingTimers(), 3 * kHazards) << "a due-soon, an overdue and a district timer each";

  // 30 hours on: the due-soon reminders (half the 48-hour period before the deadline).
  AdvanceClock(absl::Hours(30));
  ASSERT_TRUE(
      testing::WaitUntil([&] { return PendingTimers() == 2 * kHazards; }, absl::Seconds(60)))
      << PendingTimers() << " timers pending";
  // Past the deadline: overdue, escalated to the street.
  AdvanceClock(absl::Hours(24));
  ASSERT_TRUE(testing::WaitUntil([&] { return AllEscalatedTo(ids, hv1::ESCALATION_LEVEL_STREET); },
                                 absl::Seconds(60)));
  // More than a week after the deadline: escalated to the district; no timer left.
  AdvanceClock(absl::Hours(24 * 7));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return AllEscalatedTo(ids, hv1::ESCALATION_LEVEL_DISTRICT) && PendingTimers() == 0; },
      absl::Seconds(60)));

  // Both replicas drain and exit: nothing can fire any more.
  for (auto& s : hazards_) {
    auto code = s->Stop();
    ASSERT_TRUE(code.ok() && *code == 0)
        << "a hazards replica did not drain cleanly: " << testing::WhyNotClean(code, *s);
  }
  ExpectEachTimerFiredOnce(ids);
}

// The same timers while the replicas restart in turn (SIGTERM, started again on their port)
// right as each batch of timers falls due: a replica that stops in the middle of a pass hands
// nothing twice to the other, and one that comes back does not fire what already fired.
TEST_F(HazardsReplicasE2E, DeadlineTimersFireExactlyOnceWhileTheReplicasRestartInTurn) {
  std::vector<std::string> ids;
  for (int i = 0; i < kHazards; ++i) {
    const hv1::Hazard h = ReportVerifyAssign(i % 2);
    ASSERT_FALSE(h.hazard_id().empty());
    ids.push_back(h.hazard_id());
  }
  ASSERT_EQ(PendingTimers(), 3 * kHazards);
  auto restart = [&](int r) {
    auto code = hazards_[r]->Stop();  // SIGTERM: the replica drains and exits
    ASSERT_TRUE(code.ok() && *code == 0)
        << "hazards replica " << r
        << " did not drain cleanly: " << testing::WhyNotClean(code, *hazards_[r]);
    absl::Status st = hazards_[r]->Start();
    ASSERT_TRUE(st.ok()) << st;
  };
  AdvanceClock(absl::Hours(30));  // due-soon reminders due
  restart(0);
  ASSERT_TRUE(
      testing::WaitUntil([&] { return PendingTimers() == 2 * kHazards; }, absl::Seconds(60)))
      << PendingTimers() << " timers pending";
  AdvanceClock(absl::Hours(24));  // overdue, escalated to the street
  restart(1);
  ASSERT_TRUE(testing::WaitUntil([&] { return AllEscalatedTo(ids, hv1::ESCALATION_LEVEL_STREET); },
                                 absl::Seconds(60)));
  AdvanceClock(absl::Hours(24 * 7));  // escalated to the district
  restart(0);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return AllEscalatedTo(ids, hv1::ESCALATION_LEVEL_DISTRICT) && PendingTimers() == 0; },
      absl::Seconds(60)));
  for (auto& s : hazards_) {
    auto code = s->Stop();
    ASSERT_TRUE(code.ok() && *code == 0)
        << "a hazards replica did not drain cleanly: " << testing::WhyNotClean(code, *s);
  }
  ExpectEachTimerFiredOnce(ids);
}

TEST_F(HazardsReplicasE2E, ReportsOnEitherReplicaArePushedOnceToAStreamOnEachNotifyReplica) {
  StartNotifyReplicas();
  if (HasFatalFailure()) return;
  testing::Subscription lead(
      notify_[0]->grpc_address(),
      tokens_.Make(auth::Role::kDepartmentOfficer, kDistrict, "fr-1", "fire_rescue"));
  testing::Subscription community(notify_[1]->grpc_address(), Worker());
  ASSERT_TRUE(lead.WaitCaughtUp());
  ASSERT_TRUE(community.WaitCaughtUp());
  auto task_of = [](const std::string& id) {
    return [id](const notify::v1::Notification& n) {
      return n.kind() == notify::v1::KIND_HAZARD_TASK && n.hazard_id() == id;
    };
  };

  // Categories fire_rescue leads, in buildings of their own; report i on hazards replica i % 2.
  std::vector<std::string> ids;
  for (int b = 0; b < 3; ++b) {
    const std::string building = RegisterBuilding();
    for (auto category :
         {hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER, hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT}) {
      const hv1::Hazard h = Report(static_cast<int>(ids.size() % 2), building, category);
      ASSERT_FALSE(h.hazard_id().empty());
      ids.push_back(h.hazard_id());
    }
  }
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(lead.WaitFor(task_of(id)).has_value()) << "not on the lead department's stream";
    EXPECT_TRUE(community.WaitFor(task_of(id)).has_value()) << "not on the community's stream";
  }
  // Reports after them on both replicas: once these arrived on both streams, a second push of
  // the earlier ones would have had its time to arrive too.
  const std::string building = RegisterBuilding();
  for (int r = 0; r < 2; ++r) {
    const hv1::Hazard later = Report(r, building,
                                     r == 0 ? hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER
                                            : hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
    ASSERT_TRUE(lead.WaitFor(task_of(later.hazard_id())).has_value());
    ASSERT_TRUE(community.WaitFor(task_of(later.hazard_id())).has_value());
  }
  for (const std::string& id : ids) {
    SCOPED_TRACE(id);
    EXPECT_EQ(lead.Count(task_of(id)), 1);
    EXPECT_EQ(community.Count(task_of(id)), 1);
  }
}

}  // namespace
}  // namespace firegrid
