// The notify binary with redis-server and the dev broker: a fire alarm handed over by the
// monitoring service (PushEvent) reaches the micro fire station's live stream, the Kafka copy of
// the same event adds nothing, and an unacknowledged fire alarm goes one tier up after
// --urgent-ack-timeout.
#include <memory>
#include <string>
#include <vector>

#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/producer.h"
#include "libs/events/topics.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace mv1 = ::firegrid::monitoring::v1;
namespace nv1 = ::firegrid::notify::v1;

using testing::Subscription;

constexpr char kStation[] = "mfs_e2e01";
constexpr char kCommunity[] = "500109001002";

class FireAlarmE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    key_file_ = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    notify_ =
        testing::PollingService(FIREGRID_NOTIFY_BIN, "notify",
                                {"--plan-file=" + cfg + "/plan_tasks.textproto",
                                 "--urgent-ack-timeout=2s", "--timer-interval=100ms"},
                                redis_.address(), broker_.bootstrap(), key_file_, dir_.path());
    absl::Status st = notify_->Start();
    ASSERT_TRUE(st.ok()) << st;
    stub_ = nv1::NotifyService::NewStub(
        grpc::CreateChannel(notify_->grpc_address(), grpc::InsecureChannelCredentials()));
    signer_ = *auth::TokenSigner::Hs256(testing::kE2eKey);
  }

  void TearDown() override {
    if (notify_ != nullptr && notify_->running()) {
      auto code = notify_->Stop();
      EXPECT_TRUE(code.ok() && *code == 0)
          << "notify did not drain cleanly: " << testing::WhyNotClean(code, *notify_);
    }
  }

  std::string Token(auth::Role role, const std::string& tier, const std::string& subject,
                    const std::string& org_unit = "") {
    auth::Principal p;
    p.role = role;
    p.tier_path = tier;
    p.subject = subject;
    p.org_unit = org_unit;
    return *signer_->Sign(p, absl::Now(), absl::Hours(1));
  }

  // An AlarmRaised of a fire alarm dispatched to the station, the community and fire rescue.
  events::Envelope FireAlarm(const std::string& alarm_id) {
    mv1::AlarmRaised e;
    mv1::Alarm* a = e.mutable_alarm();
    a->set_alarm_id(alarm_id);
    a->set_device_id("dev-panel-e2e");
    a->set_type(mv1::ALARM_TYPE_FIRE);
    a->set_building_id("bld_e2e01");
    a->set_building_name("朝阳大厦");
    a->set_tier_path(kCommunity);
    a->set_floor("12");
    a->set_point("1-012-034");
    mv1::StationRef* s = e.mutable_dispatch()->add_stations();
    s->set_station_id(kStation);
    s->set_name("朝阳社区微型消防站");
    s->set_phone("023-68000119");
    s->set_distance_m(320);
    for (const std::string r : {std::string("org:") + kStation, std::string("org:") + kCommunity,
                                std::string("org:500109.fire_rescue")}) {
      e.mutable_dispatch()->add_recipients(r);
    }
    e.mutable_dispatch()->set_building_address("北碚区朝阳路 1 号");
    return events::NewEnvelope(e, "monitoring", "bld_e2e01", kCommunity, absl::Now(), ids_);
  }

  void Publish(const events::Envelope& env) {
    auto producer = events::KafkaProducer::Create({.bootstrap_servers = broker_.bootstrap()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    auto sent = (*producer)->SendBatch({{std::string(events::kMonitoringTopic), env.building_id(),
                                         events::SerializeEnvelope(env)}},
                                       absl::Seconds(30));
    ASSERT_TRUE(sent[0].ok()) << sent[0];
  }

  static Subscription::Match Alarm(const std::string& alarm_id, nv1::Kind kind) {
    return [alarm_id, kind](const nv1::Notification& n) {
      return n.alarm_id() == alarm_id && n.kind() == kind;
    };
  }

  testing::TempDir dir_{"fire-alarm-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::string key_file_;
  std::unique_ptr<testing::ServiceProcess> notify_;
  std::unique_ptr<nv1::NotifyService::Stub> stub_;
  std::unique_ptr<auth::TokenSigner> signer_;
  RandomIdGenerator ids_;
};

TEST_F(FireAlarmE2E, PushedFireAlarmReachesTheStationOnceAndGoesUpWhenUnacknowledged) {
  const std::string duty = Token(auth::Role::kMicroStation, "500109001", "duty-1", kStation);
  const std::string worker = Token(auth::Role::kCommunityWorker, kCommunity, "grid-1");
  const std::string service = Token(auth::Role::kInternalService, "", "service:monitoring");
  Subscription station(notify_->grpc_address(), duty);
  Subscription community(notify_->grpc_address(), worker);
  ASSERT_TRUE(station.WaitCaughtUp());
  ASSERT_TRUE(community.WaitCaughtUp());

  // The push, straight from monitoring.
  const events::Envelope fire = FireAlarm("alm_e2e01");
  nv1::PushEventRequest push;
  push.set_envelope(events::SerializeEnvelope(fire));
  nv1::PushEventResponse pushed;
  const absl::Time sent = absl::Now();
  grpc::Status s = stub_->PushEvent(testing::CallContext(service).get(), push, &pushed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(pushed.delivered(), 3);
  auto at_station = station.WaitFor(Alarm("alm_e2e01", nv1::KIND_FIRE_ALARM), absl::Seconds(10));
  ASSERT_TRUE(at_station.has_value());
  std::printf("push → station stream: %.1f ms\n", absl::ToDoubleMilliseconds(absl::Now() - sent));
  EXPECT_EQ(at_station->priority(), nv1::PRIORITY_URGENT);
  EXPECT_TRUE(at_station->requires_ack());
  EXPECT_THAT(at_station->title(), ::testing::HasSubstr("火警：朝阳大厦 12层"));

  // The Kafka copy of the same event, then another alarm of the same building (same partition,
  // so consumed after it): once the second has arrived, the copy has been handled.
  Publish(fire);
  Publish(FireAlarm("alm_e2e02"));
  auto second = station.WaitFor(Alarm("alm_e2e02", nv1::KIND_FIRE_ALARM), absl::Seconds(60));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(station.Count(Alarm("alm_e2e01", nv1::KIND_FIRE_ALARM)), 1);
  int in_inbox = 0;
  for (const auto& n : testing::ReadInbox(*stub_, duty)) {
    in_inbox += n.alarm_id() == "alm_e2e01" && n.kind() == nv1::KIND_FIRE_ALARM;
  }
  EXPECT_EQ(in_inbox, 1);

  // Nobody at the station acknowledges the first: after 2 s the community is told, urgently.
  auto up = community.WaitFor(Alarm("alm_e2e01", nv1::KIND_ESCALATION), absl::Seconds(30));
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->renotified_from(), at_station->notification_id());
  EXPECT_EQ(up->priority(), nv1::PRIORITY_URGENT);
}

TEST_F(FireAlarmE2E, OnlyInternalServicesMayPushEvents) {
  nv1::PushEventRequest push;
  push.set_envelope(events::SerializeEnvelope(FireAlarm("alm_e2e03")));
  nv1::PushEventResponse pushed;
  const std::string duty = Token(auth::Role::kMicroStation, "500109001", "duty-1", kStation);
  EXPECT_EQ(stub_->PushEvent(testing::CallContext(duty).get(), push, &pushed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(testing::ReadInbox(*stub_, duty).empty());
}

}  // namespace
}  // namespace firegrid
