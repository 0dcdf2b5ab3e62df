// Buildings, hazards and two notify replicas as real binaries with redis-server and the dev
// broker: a reported hazard reaches the lead department's stream (subscribed on one replica) and
// the community worker's stream (subscribed on the other); the task the community acknowledges
// is not re-notified, the department's unacknowledged one is re-notified to the district once.
// A public channel's unmatched report is its street's task (the district's when kept there) until
// matched, then the departments'.
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;

using testing::Subscription;
using testing::TitleContains;

class NotifyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      flags.insert(flags.end(),
                   {"--redis-addr=" + redis_.address(), "--kafka-bootstrap=" + broker_.bootstrap(),
                    "--jwt-hs256-key-file=" + key_file, "--jwt-allow-hs256", "--drain-timeout=2s"});
      return std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = bin, .name = name, .flags = flags, .log_dir = dir_.path()});
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    hazards_ = service(FIREGRID_HAZARDS_BIN, "hazards",
                       {"--rules-file=" + cfg + "/hazards_rules.textproto",
                        "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    const std::vector<std::string> notify_flags = {"--plan-file=" + cfg + "/plan_tasks.textproto",
                                                   "--ack-timeout=8s", "--timer-interval=100ms"};
    notify_a_ = service(FIREGRID_NOTIFY_BIN, "notify", notify_flags);
    notify_b_ = service(FIREGRID_NOTIFY_BIN, "notify", notify_flags);
    for (auto* s : {buildings_.get(), hazards_.get(), notify_a_.get(), notify_b_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
  }

  void TearDown() override {
    for (auto* s : {notify_b_.get(), notify_a_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0)
            << "service did not drain cleanly: " << testing::WhyNotClean(code, *s);
      }
    }
  }

  std::string Token(auth::Role role, const std::string& tier, const std::string& subject,
                    const std::string& department = "") {
    return tokens_.Make(role, tier, subject, department);
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  std::string RegisterBuilding(const std::string& admin) {
    auto bstub = bv1::BuildingService::NewStub(
        grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
    return testing::RegisterCommunityBuilding(*bstub, admin).building_id();
  }

  testing::TempDir dir_{"notify-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, notify_a_, notify_b_;
  testing::DevTokens tokens_;
};

using ::testing::HasSubstr;

// The value of the sample `series` (name with labels, as rendered) in a /metrics body; 0 when
// absent.
double MetricValue(const std::string& body, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double v = 0;
      if (absl::SimpleAtod(line, &v)) return v;
    }
  }
  return 0;
}

// Whether the service logging to `stderr_path` has been given partitions of its consumer
// group ("partitions assigned" with a count above 0).
bool WasGivenPartitions(const std::string& stderr_path) {
  std::ifstream in(stderr_path);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StrContains(line, "\"msg\":\"partitions assigned\"") &&
        !absl::StrContains(line, "\"count\":0,")) {
      return true;
    }
  }
  return false;
}

TEST_F(NotifyE2E, HazardReachesDepartmentAndCommunityOnEitherReplicaAndAckStopsRenotification) {
  const std::string admin = Token(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string dept =
      Token(auth::Role::kDepartmentOfficer, "500109", "um-1", "urban_management");
  const std::string worker = Token(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  Subscription department(notify_a_->grpc_address(), dept);
  Subscription community(notify_b_->grpc_address(), worker);
  Subscription district(notify_b_->grpc_address(), admin);
  ASSERT_TRUE(department.WaitCaughtUp());
  ASSERT_TRUE(community.WaitCaughtUp());
  ASSERT_TRUE(district.WaitCaughtUp());

  const std::string building = RegisterBuilding(admin);
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
  hv1::ReportHazardRequest req;
  req.set_building_id(building);
  req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  req.set_severity(hv1::SEVERITY_GENERAL);
  req.set_source(hv1::SOURCE_GRID_INSPECTION);
  req.set_description("消防车道被占用");
  hv1::ReportHazardResponse reported;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return hstub->ReportHazard(Ctx(worker).get(), req, &reported).ok(); },
      absl::Seconds(60)));

  auto to_dept = department.WaitFor(TitleContains("hazard task"));
  auto to_community = community.WaitFor(TitleContains("hazard task"));
  ASSERT_TRUE(to_dept.has_value());
  ASSERT_TRUE(to_community.has_value());
  EXPECT_EQ(to_dept->hazard_id(), reported.hazard().hazard_id());
  EXPECT_EQ(to_dept->recipient(), "org:500109.urban_management");
  EXPECT_EQ(to_community->recipient(), "org:500109001002");
  EXPECT_TRUE(to_community->requires_ack());

  // The community acknowledges; the department does not.
  auto nstub = nv1::NotifyService::NewStub(
      grpc::CreateChannel(notify_a_->grpc_address(), grpc::InsecureChannelCredentials()));
  nv1::AcknowledgeRequest ack;
  ack.set_notification_id(to_community->notification_id());
  nv1::Notification acked;
  ASSERT_TRUE(nstub->Acknowledge(Ctx(worker).get(), ack, &acked).ok());
  EXPECT_TRUE(acked.acknowledged());
  // Someone else cannot acknowledge it.
  EXPECT_EQ(nstub->Acknowledge(Ctx(dept).get(), ack, &acked).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // After the acknowledgement time (8 s) the department's task goes up to the district, once;
  // nothing goes up for the community's.
  auto up = district.WaitFor(TitleContains("unacknowledged"));
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->renotified_from(), to_dept->notification_id());
  nv1::ListInboxRequest list;
  nv1::ListInboxResponse street_inbox;
  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-1");
  ASSERT_TRUE(nstub->ListInbox(Ctx(street).get(), list, &street_inbox).ok());
  for (const auto& n : street_inbox.notifications()) {
    EXPECT_NE(n.renotified_from(), to_community->notification_id())
        << "acknowledged task re-notified";
  }
  EXPECT_EQ(district.Count(TitleContains("unacknowledged")), 1);

  // The inbox lists it for an offline reader too.
  nv1::ListInboxResponse inbox;
  ASSERT_TRUE(nstub->ListInbox(Ctx(dept).get(), list, &inbox).ok());
  ASSERT_GE(inbox.notifications_size(), 1);
  EXPECT_EQ(inbox.notifications(0).hazard_id(), reported.hazard().hazard_id());

  // The domain metrics of both replicas: what was pushed, the re-notification timer that fired,
  // and replica B's open streams (the community worker's and the district admin's).
  double pushed_tasks = 0, ack_timeouts = 0;
  for (const auto* replica : {notify_a_.get(), notify_b_.get()}) {
    auto body = testing::HttpGet(replica->metrics_port(), "/metrics");
    ASSERT_TRUE(body.ok()) << body.status();
    pushed_tasks += MetricValue(*body, "firegrid_notifications_pushed_total{kind=\"hazard_task\"}");
    ack_timeouts += MetricValue(*body, "firegrid_timers_fired_total{kind=\"ack_timeout\"}");
    EXPECT_THAT(*body, HasSubstr("firegrid_webhook_deliveries_total{result=\"ok\"} 0"));
  }
  EXPECT_GE(pushed_tasks, 2);  // the department's and the community's
  EXPECT_EQ(ack_timeouts, 1);  // the department's task only
  auto body_b = testing::HttpGet(notify_b_->metrics_port(), "/metrics");
  ASSERT_TRUE(body_b.ok());
  EXPECT_EQ(MetricValue(*body_b, "firegrid_notify_subscribers"), 2);
}

// A public channel's report that matched no building is the street's task to match or reject
// (one kept at the district code is the district's); matched by the street officer, it reaches
// the lead department and the community as a routed hazard.
TEST_F(NotifyE2E, UnmatchedPublicReportIsTheStreetsTaskAndOnceMatchedTheDepartments) {
  const std::string admin = Token(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-1");
  const std::string dept =
      Token(auth::Role::kDepartmentOfficer, "500109", "um-1", "urban_management");
  const std::string wechat = Token(auth::Role::kPublicChannel, "500109", "channel:wechat");
  Subscription to_street(notify_a_->grpc_address(), street);
  Subscription to_district(notify_b_->grpc_address(), admin);
  Subscription to_dept(notify_b_->grpc_address(), dept);
  ASSERT_TRUE(to_street.WaitCaughtUp());
  ASSERT_TRUE(to_district.WaitCaughtUp());
  ASSERT_TRUE(to_dept.WaitCaughtUp());

  const std::string building = RegisterBuilding(admin);
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
  auto report = [&](const std::string& tier, const std::string& address) {
    hv1::ReportHazardRequest tip;
    tip.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    tip.set_severity(hv1::SEVERITY_GENERAL);
    tip.set_source(hv1::SOURCE_PUBLIC_TIP_OFF);
    tip.set_description("消防车道被占用");
    tip.set_unmatched_tier_path(tier);
    tip.mutable_location()->set_latitude(29.8201);
    tip.mutable_location()->set_longitude(106.4302);
    tip.mutable_location()->set_address(address);
    hv1::ReportHazardResponse reported;
    grpc::Status st;
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return (st = hstub->ReportHazard(Ctx(wechat).get(), tip, &reported)).ok(); },
        absl::Seconds(60)))
        << st.error_message();
    return reported.hazard();
  };
  const hv1::Hazard in_street = report("500109001", "金龙路 18 号");
  const hv1::Hazard at_district = report("500109", "区界附近");
  ASSERT_TRUE(in_street.unmatched());

  auto street_task = to_street.WaitFor(testing::AboutHazard(in_street.hazard_id()));
  ASSERT_TRUE(street_task.has_value());
  EXPECT_EQ(street_task->recipient(), "org:500109001");
  EXPECT_EQ(street_task->kind(), nv1::KIND_HAZARD_TASK);
  EXPECT_TRUE(street_task->requires_ack());
  EXPECT_THAT(street_task->title(), HasSubstr("金龙路 18 号"));
  EXPECT_THAT(street_task->body(), HasSubstr("MatchPublicReport"));
  auto district_task = to_district.WaitFor(testing::AboutHazard(at_district.hazard_id()));
  ASSERT_TRUE(district_task.has_value());
  EXPECT_EQ(district_task->recipient(), "org:500109");
  EXPECT_TRUE(district_task->requires_ack());

  // The street officer acknowledges and matches it to the building.
  auto nstub = nv1::NotifyService::NewStub(
      grpc::CreateChannel(notify_a_->grpc_address(), grpc::InsecureChannelCredentials()));
  nv1::AcknowledgeRequest ack;
  ack.set_notification_id(street_task->notification_id());
  nv1::Notification acked;
  ASSERT_TRUE(nstub->Acknowledge(Ctx(street).get(), ack, &acked).ok());
  hv1::MatchPublicReportRequest match;
  match.set_hazard_id(in_street.hazard_id());
  match.set_expected_version(in_street.version());
  match.set_building_id(building);
  hv1::Hazard matched;
  grpc::Status last;
  testing::WaitUntil(  // until the hazards service has projected the building
      [&] {
        last = hstub->MatchPublicReport(Ctx(street).get(), match, &matched);
        return last.error_code() != grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(60));
  ASSERT_TRUE(last.ok()) << last.error_message();

  auto dept_task = to_dept.WaitFor([&](const nv1::Notification& n) {
    return n.hazard_id() == in_street.hazard_id() && n.kind() == nv1::KIND_HAZARD_TASK;
  });
  ASSERT_TRUE(dept_task.has_value());
  EXPECT_EQ(dept_task->recipient(), "org:500109.urban_management");
  EXPECT_EQ(dept_task->building_id(), building);
  EXPECT_TRUE(dept_task->requires_ack());

  // Stopped only once each replica was given partitions: librdkafka 2.0 (cooperative-sticky)
  // aborts a consumer closed before its first assignment (librdkafka#4312, fixed in 2.3), and
  // this test can end while the second replica's join is still in progress.
  for (const auto* replica : {notify_a_.get(), notify_b_.get()}) {
    EXPECT_TRUE(testing::WaitUntil([&] { return WasGivenPartitions(replica->stderr_path()); },
                                   absl::Seconds(60)))
        << "a notify replica was never given partitions";
  }
}

}  // namespace
}  // namespace firegrid
