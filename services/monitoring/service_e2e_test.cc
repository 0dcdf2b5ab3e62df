// firegrid-monitoring as a real process with redis-server, the dev broker and mosquitto (free
// loopback ports, temp dirs): signals over MQTT and over the Ingest stream reach the pipeline,
// a re-sent batch has no second effect, and the MQTT health follows the broker.
#include <mosquitto.h>

#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/redis/pool.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/payload.h"
#include "tests/support/devbroker.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::monitoring {
namespace {

using firegrid::testing::WaitUntil;

constexpr char kKey[] = "monitoring-e2e-key-of-at-least-32-bytes!";
constexpr char kCommunity[] = "500109001002";
constexpr absl::Duration kTimeout = absl::Seconds(30);

// The sum of firegrid_monitoring_signals_total{outcome="<outcome>"}, 0 when absent.
double Signals(int metrics_port, const std::string& outcome) {
  auto body = firegrid::testing::HttpGet(metrics_port, "/metrics");
  if (!body.ok()) return -1;
  std::regex line(
      "^firegrid_monitoring_signals_total\\{outcome=\"" + outcome + "\"\\} ([0-9.e+]+)$",
      std::regex::multiline);
  std::smatch m;
  return std::regex_search(*body, m, line) ? std::stod(m[1].str()) : 0;
}

int MqttHealth(const std::string& grpc_address) {
  auto h = firegrid::testing::CheckHealth(grpc_address, "firegrid.monitoring.mqtt");
  return h.ok() ? *h : -1;
}

class MonitoringServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(kafka_.Start().ok());
    absl::Status started = mqtt_.Start(dir_.path(), {"gateway:gw-01"});
    ASSERT_TRUE(started.ok()) << started;
    auto service_password = mqtt_.Password("monitoring");
    ASSERT_TRUE(service_password.ok()) << service_password.status();
    RegisterDevice();
    std::ofstream(dir_.Join("jwt.key")) << kKey;
    std::ofstream(dir_.Join("mqtt.pw")) << *service_password << "\n";
    svc_ = std::make_unique<firegrid::testing::ServiceProcess>(
        firegrid::testing::ServiceProcessOptions{
            .binary = FIREGRID_MONITORING_BIN,
            .name = "monitoring",
            .flags = {"--redis-addr=" + redis_.address(), "--kafka-bootstrap=" + kafka_.bootstrap(),
                      "--jwt-hs256-key-file=" + dir_.Join("jwt.key"), "--jwt-allow-hs256","--drain-timeout=2s",
                      "--rules-file=" FIREGRID_MONITORING_RULES,
                      absl::StrCat("--mqtt-port=", mqtt_.port()),
                      "--mqtt-password-file=" + dir_.Join("mqtt.pw"),
                      "--mqtt-client-id=monitoring-e2e", "--hazards-addr=127.0.0.1:9",
                      "--notify-addr=127.0.0.1:9"},
            .log_dir = dir_.path()});
    ASSERT_TRUE(svc_->Start().ok());
  }

  // dev-0001, a hydrant pressure sensor in service behind gateway gw-01.
  void RegisterDevice() {
    redis::PoolOptions po;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &po).ok());
    auto pool = redis::Pool::Create(po);
    DeviceStore store(pool.get(), "fg:monitoring", "fg:monitoring:outbox");
    v1::BuildingView view;
    view.set_building_id("bld_e2e");
    view.set_name("e2e tower");
    view.set_tier_path(kCommunity);
    view.set_version(1);
    ASSERT_TRUE(store.PutBuilding(view).ok());
    v1::Device dev;
    dev.set_device_id("dev-0001");
    dev.set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
    dev.set_building_id("bld_e2e");
    dev.set_tier_path(kCommunity);
    dev.set_status(v1::DEVICE_STATUS_IN_SERVICE);
    dev.mutable_heartbeat_period()->set_seconds(300);
    dev.set_gateway_id("gw-01");
    dev.set_version(1);
    v1::DeviceRegistered ev;
    *ev.mutable_device() = dev;
    RandomIdGenerator ids;
    auto env = events::NewEnvelope(ev, "monitoring", "bld_e2e", kCommunity, absl::Now(), ids);
    ASSERT_TRUE(store.Create(dev, events::SerializeEnvelope(env)).ok());
  }

  // A fault reported (a change: stored, so a later copy of it is a duplicate).
  static v1::Signal Fault(uint64_t seq) {
    v1::Signal s = Heartbeat(seq);
    s.mutable_state()->set_fault(true);
    return s;
  }

  static v1::Signal Heartbeat(uint64_t seq) {
    v1::Signal s;
    s.set_device_id("dev-0001");
    s.set_boot_epoch(1);
    s.set_sequence(seq);
    s.mutable_device_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    auto* a = s.add_analog();
    a->set_quantity(v1::QUANTITY_PRESSURE_MPA);
    a->set_value(0.35);
    return s;
  }

  bool PublishAsGateway(const v1::SignalBatch& batch) {
    auto password = mqtt_.Password("gw-01");
    if (!password.ok()) return false;
    mosquitto_lib_init();
    struct mosquitto* m = mosquitto_new(nullptr, true, nullptr);
    mosquitto_username_pw_set(m, "gw-01", password->c_str());
    std::atomic<bool> acked{false};
    mosquitto_user_data_set(m, &acked);
    mosquitto_publish_callback_set(m, [](struct mosquitto*, void* obj, int) {
      static_cast<std::atomic<bool>*>(obj)->store(true);
    });
    bool ok = mosquitto_connect(m, "127.0.0.1", mqtt_.port(), 30) == MOSQ_ERR_SUCCESS &&
              mosquitto_loop_start(m) == MOSQ_ERR_SUCCESS;
    std::string payload = batch.SerializeAsString();
    ok = ok && mosquitto_publish(m, nullptr, GatewayTopic("gw-01").c_str(),
                                 static_cast<int>(payload.size()), payload.data(), 1,
                                 false) == MOSQ_ERR_SUCCESS;
    ok = ok && WaitUntil([&] { return acked.load(); }, kTimeout);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, false);
    mosquitto_destroy(m);
    return ok;
  }

  std::string GatewayToken() {
    auth::Principal p;
    p.subject = "gw-01";
    p.role = auth::Role::kIotGateway;
    return *(*auth::TokenSigner::Hs256(kKey))->Sign(p, absl::Now(), absl::Hours(1));
  }

  firegrid::testing::TempDir dir_{"monitoring-e2e"};
  firegrid::testing::RedisServer redis_;
  firegrid::testing::DevBroker kafka_;
  firegrid::testing::MosquittoBroker mqtt_;
  std::unique_ptr<firegrid::testing::ServiceProcess> svc_;
};

TEST_F(MonitoringServiceTest, AGatewaysSignalsOverMqttAreHandledAndTheHealthFollowsTheBroker) {
  ASSERT_TRUE(WaitUntil([&] { return MqttHealth(svc_->grpc_address()) == 1; }, kTimeout));
  v1::SignalBatch batch;
  *batch.add_signals() = Heartbeat(1);
  *batch.add_signals() = Fault(2);
  ASSERT_TRUE(PublishAsGateway(batch));
  ASSERT_TRUE(WaitUntil([&] { return Signals(svc_->metrics_port(), "accepted") == 2; }, kTimeout));

  ASSERT_TRUE(mqtt_.Stop().ok());
  ASSERT_TRUE(WaitUntil([&] { return MqttHealth(svc_->grpc_address()) == 2; }, kTimeout));
  ASSERT_TRUE(mqtt_.Restart().ok());
  ASSERT_TRUE(WaitUntil([&] { return MqttHealth(svc_->grpc_address()) == 1; }, kTimeout));
  // The same batch again (a redelivery) is at or below the stored fault: duplicates. (An
  // unchanged heartbeat alone is not stored, so its copy would count as accepted again, with
  // no effect either way: docs/adr/0005.) A new one is handled.
  ASSERT_TRUE(PublishAsGateway(batch));
  v1::SignalBatch next;
  *next.add_signals() = Heartbeat(3);
  ASSERT_TRUE(PublishAsGateway(next));
  ASSERT_TRUE(WaitUntil([&] { return Signals(svc_->metrics_port(), "accepted") == 3; }, kTimeout));
  EXPECT_EQ(Signals(svc_->metrics_port(), "duplicate"), 2);
}

TEST_F(MonitoringServiceTest, AGatewayIngestStreamIsHandledOnceWhenItIsSentAgain) {
  auto stub = v1::MonitoringService::NewStub(
      grpc::CreateChannel(svc_->grpc_address(), grpc::InsecureChannelCredentials()));
  v1::IngestRequest req;
  *req.add_signals() = Heartbeat(10);
  *req.add_signals() = Fault(11);
  for (int round = 0; round < 2; ++round) {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, GatewayToken());
    v1::IngestResponse resp;
    auto writer = stub->Ingest(&ctx, &resp);
    ASSERT_TRUE(writer->Write(req));
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.accepted(), round == 0 ? 2 : 0) << "round " << round;
    EXPECT_EQ(resp.duplicates(), round == 0 ? 0 : 2) << "round " << round;
  }
}

}  // namespace
}  // namespace firegrid::monitoring
