// Monitoring end to end, on the real buildings, hazards, notify and monitoring binaries with
// mosquitto, redis-server and the dev broker, all on free loopback ports.
// Proves: a fire alarm a smoke detector publishes over MQTT reaches, on their live Subscribe
// streams, the nearest micro fire station (not one beyond the dispatch radius), the building's
// manager, its community and the district's fire rescue department, as an urgent fire-alarm
// task; and a hydrant pressure that stays below its limit for ten minutes (device time) becomes
// one alarm and one routed IoT hazard carrying the alarm, a re-sent batch changes nothing, a
// gateway cannot speak for a device behind another, and when the pressure comes back the
// hazard's community hears that the device alarm cleared.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/mqtt_publisher.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace mv1 = ::firegrid::monitoring::v1;
namespace nv1 = ::firegrid::notify::v1;
using google::protobuf::util::TimeUtil;

constexpr char kDistrict[] = "500109";
constexpr char kCommunity[] = "500109001002";
constexpr char kManager[] = "mgr-chaoyang";

class MonitoringE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    // The broker as the run command sets it up: a user per device and gateway, each allowed to
    // write its own topic only, and the service's read-only user.
    absl::Status started = mqtt_.Start(dir_.path(), {"device:smoke-1", "gateway:gw-1"});
    ASSERT_TRUE(started.ok()) << started;
    const std::string password_file = mqtt_.credentials_dir() + "/passwords/monitoring";

    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis_.address(),
                                     broker_.bootstrap(), key_file, dir_.path());
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
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
    monitoring_ = service(
        FIREGRID_MONITORING_BIN, "monitoring",
        {"--rules-file=" + cfg + "/monitoring_rules.textproto", "--mqtt-host=127.0.0.1",
         absl::StrCat("--mqtt-port=", mqtt_.port()), "--mqtt-username=monitoring",
         "--mqtt-password-file=" + password_file, "--hazards-addr=" + hazards_->grpc_address(),
         "--notify-addr=" + notify_->grpc_address()});
    absl::Status st = monitoring_->Start();
    ASSERT_TRUE(st.ok()) << st;

    auto channel = [](const testing::ServiceProcess& s) {
      return grpc::CreateChannel(s.grpc_address(), grpc::InsecureChannelCredentials());
    };
    bstub_ = bv1::BuildingService::NewStub(channel(*buildings_));
    hstub_ = hv1::HazardService::NewStub(channel(*hazards_));
    nstub_ = nv1::NotifyService::NewStub(channel(*notify_));
    mstub_ = mv1::MonitoringService::NewStub(channel(*monitoring_));
    redis::PoolOptions po;
    po.port = redis_.port();
    pool_ = redis::Pool::Create(po);
  }

  void TearDown() override {
    for (auto* s : {monitoring_.get(), notify_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0)
            << "service did not drain cleanly: " << testing::WhyNotClean(code, *s);
      }
    }
  }

  std::string Admin() { return tokens_.Make(auth::Role::kDistrictAdmin, kDistrict, "admin"); }
  std::string Worker() { return tokens_.Make(auth::Role::kCommunityWorker, kCommunity, "grid-1"); }
  std::string FireRescue() {
    return tokens_.Make(auth::Role::kDepartmentOfficer, kDistrict, "officer-fr", "fire_rescue");
  }
  std::string Manager() { return tokens_.Make(auth::Role::kBuildingManager, "", kManager); }
  std::string Station(const std::string& station_id) {
    auth::Principal p;
    p.subject = "duty-" + station_id;
    p.role = auth::Role::kMicroStation;
    p.org_unit = station_id;
    p.tier_path = kCommunity;
    return tokens_.Make(p);
  }
  std::string Gateway(const std::string& id) {
    return tokens_.Make(auth::Role::kIotGateway, "", id);
  }
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  // The demo community's building with its manager filed (the manager's account named).
  std::string RegisterBuilding() {
    bv1::Building b = testing::RegisterCommunityBuilding(*bstub_, Admin());
    bv1::FileResponsibilityRequest file;
    file.set_building_id(b.building_id());
    file.set_expected_version(b.version());
    file.mutable_chain()->set_management_unit("朝阳物业管理有限公司");
    file.mutable_chain()->mutable_manager()->set_name("王经理");
    file.mutable_chain()->mutable_manager()->set_subject(kManager);
    file.mutable_chain()->mutable_manager()->set_phone("13800000001");
    file.mutable_chain()->mutable_responsible_person()->set_name("李主任");
    file.mutable_chain()->mutable_responsible_person()->set_phone("13800000002");
    file.mutable_chain()->mutable_building_head()->set_name("张楼长");
    file.mutable_chain()->mutable_building_head()->set_phone("13800000003");
    file.mutable_chain()->set_property_company("朝阳物业管理有限公司");
    grpc::Status s = bstub_->FileResponsibility(Ctx(Admin()).get(), file, &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b.building_id();
  }

  std::string RegisterStation(const std::string& name, double lat, double lng) {
    bv1::RegisterMicroStationRequest req;
    req.mutable_station()->set_name(name);
    req.mutable_station()->set_tier_path(kCommunity);
    req.mutable_station()->mutable_location()->set_latitude(lat);
    req.mutable_station()->mutable_location()->set_longitude(lng);
    req.mutable_station()->set_staff(6);
    req.mutable_station()->set_on_duty_24h(true);
    req.mutable_station()->set_phone("023-68000000");
    bv1::MicroStation out;
    grpc::Status s = bstub_->RegisterMicroStation(Ctx(Admin()).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.station_id();
  }

  // Registers a device in service, as `token`, once monitoring knows the building (and, for
  // the manager's token, that the building names the manager).
  void RegisterDevice(const std::string& token, const std::string& building,
                      const std::string& device_id, mv1::DeviceType type,
                      const std::string& gateway = "") {
    mv1::RegisterDeviceRequest req;
    mv1::Device* d = req.mutable_device();
    d->set_device_id(device_id);
    d->set_type(type);
    d->set_model("JTY-GD-G3");
    d->set_building_id(building);
    d->set_floor("12");
    d->set_point("东侧楼梯间");
    d->set_status(mv1::DEVICE_STATUS_IN_SERVICE);
    d->set_gateway_id(gateway);
    mv1::Device out;
    grpc::Status last;
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          last = mstub_->RegisterDevice(Ctx(token).get(), req, &out);
          return last.ok();
        },
        absl::Seconds(60)))
        << "monitoring did not learn the building: " << last.error_message();
  }

  // Waits until monitoring's projection holds `n` micro stations (the stations come from the
  // buildings topic, independently of the building's own events).
  void WaitStations(int n) {
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          auto r = pool_->Command({"ZCARD", "fg:monitoring:stations"});
          return r.ok() && r->integer >= n;
        },
        absl::Seconds(60)))
        << "monitoring did not learn the micro stations";
  }

  static mv1::Signal Signal(const std::string& device, uint64_t seq, absl::Time at) {
    mv1::Signal s;
    s.set_device_id(device);
    s.set_boot_epoch(1);
    s.set_sequence(seq);
    *s.mutable_device_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(at));
    return s;
  }
  static mv1::Signal Pressure(const std::string& device, uint64_t seq, absl::Time at, double mpa) {
    mv1::Signal s = Signal(device, seq, at);
    mv1::AnalogValue* v = s.add_analog();
    v->set_quantity(mv1::QUANTITY_PRESSURE_MPA);
    v->set_value(mpa);
    return s;
  }
  static std::string Json(const google::protobuf::Message& m) {
    std::string out;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out).ok());
    return out;
  }

  void Publish(const std::string& user, const std::string& topic, const std::string& payload) {
    absl::StatusOr<std::string> password = mqtt_.Password(user);
    ASSERT_TRUE(password.ok()) << password.status();
    auto pub = testing::MqttPublisher::Connect(mqtt_.port(), user, *password,
                                               absl::StrCat("test-", user, "-", ++publishes_));
    ASSERT_TRUE(pub.ok()) << pub.status();
    absl::Status s = (*pub)->Publish(topic, payload);
    ASSERT_TRUE(s.ok()) << s;
  }

  mv1::IngestResponse Ingest(const std::string& token, const mv1::IngestRequest& batch) {
    auto ctx = Ctx(token);
    mv1::IngestResponse resp;
    auto writer = mstub_->Ingest(ctx.get(), &resp);
    EXPECT_TRUE(writer->Write(batch));
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::vector<mv1::Alarm> Alarms(const std::string& building, mv1::AlarmType type) {
    mv1::ListAlarmsRequest req;
    req.set_building_id(building);
    req.add_types(type);
    for (auto st : {mv1::ALARM_STATE_ACTIVE_UNACK, mv1::ALARM_STATE_ACTIVE_ACK,
                    mv1::ALARM_STATE_CLEARED_UNACK, mv1::ALARM_STATE_CLEARED_ACK}) {
      req.add_states(st);
    }
    mv1::ListAlarmsResponse resp;
    grpc::Status s = mstub_->ListAlarms(Ctx(Admin()).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.alarms().begin(), resp.alarms().end()};
  }

  std::vector<hv1::Hazard> Hazards(const std::string& building) {
    hv1::ListHazardsRequest req;
    req.set_building_id(building);
    req.set_include_duplicates(true);
    hv1::ListHazardsResponse resp;
    grpc::Status s = hstub_->ListHazards(Ctx(Admin()).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.hazards().begin(), resp.hazards().end()};
  }

  testing::TempDir dir_{"firegrid-monitoring-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  testing::MosquittoBroker mqtt_;
  testing::DevTokens tokens_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, notify_, monitoring_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::unique_ptr<hv1::HazardService::Stub> hstub_;
  std::unique_ptr<nv1::NotifyService::Stub> nstub_;
  std::unique_ptr<mv1::MonitoringService::Stub> mstub_;
  std::unique_ptr<redis::Pool> pool_;
  int publishes_ = 0;
};

auto FireAlarmFor(const std::string& building) {
  return [building](const nv1::Notification& n) {
    return n.kind() == nv1::KIND_FIRE_ALARM && n.building_id() == building;
  };
}

TEST_F(MonitoringE2E, AFireAlarmOverMqttReachesTheNearestMicroStationAndThoseWhoRespondAtOnce) {
  const std::string building = RegisterBuilding();
  // 朝阳大厦 is at 29.82 N, 106.43 E: one station 150 m away, one ~ 20 km away.
  const std::string near = RegisterStation("朝阳社区微型消防站", 29.8212, 106.4308);
  const std::string far = RegisterStation("远郊微型消防站", 29.99, 106.55);
  WaitStations(2);
  RegisterDevice(Manager(), building, "smoke-1", mv1::DEVICE_TYPE_SMOKE_DETECTOR);

  testing::Subscription station(notify_->grpc_address(), Station(near));
  testing::Subscription manager(notify_->grpc_address(), Manager());
  testing::Subscription community(notify_->grpc_address(), Worker());
  testing::Subscription fire_rescue(notify_->grpc_address(), FireRescue());
  for (auto* s : {&station, &manager, &community, &fire_rescue}) ASSERT_TRUE(s->WaitCaughtUp());

  mv1::Signal fire = Signal("smoke-1", 1, absl::Now());
  fire.mutable_state()->set_fire_alarm(true);
  Publish("smoke-1", "fg/v1/d/smoke-1/signal", Json(fire));
  const absl::Time acked_by_broker = absl::Now();

  std::optional<nv1::Notification> pushed = station.WaitFor(FireAlarmFor(building));
  ASSERT_TRUE(pushed.has_value()) << "the micro station was not alerted";
  std::printf("fire alarm: broker acknowledgement → the station's stream in %.1f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - acked_by_broker));
  EXPECT_EQ(pushed->priority(), nv1::PRIORITY_URGENT);
  EXPECT_TRUE(pushed->requires_ack());
  EXPECT_EQ(pushed->device_id(), "smoke-1");
  EXPECT_FALSE(pushed->alarm_id().empty());
  EXPECT_EQ(pushed->recipient(), "org:" + near);

  for (auto* s : {&manager, &community, &fire_rescue}) {
    EXPECT_TRUE(s->WaitFor(FireAlarmFor(building)).has_value());
  }
  // Delivery to all recipients is one write: the far station would have it by now.
  for (const nv1::Notification& n : testing::ReadInbox(*nstub_, Station(far))) {
    EXPECT_NE(n.kind(), nv1::KIND_FIRE_ALARM) << "a station beyond the radius was alerted";
  }

  // One active fire alarm, latched, with its dispatch; a repeat of the same signal (MQTT
  // redelivery) adds nothing.
  Publish("smoke-1", "fg/v1/d/smoke-1/signal", Json(fire));
  mv1::IngestRequest batch;
  batch.set_gateway_id("ops-replay");  // an internal service names where the batch came from
  *batch.add_signals() = fire;
  mv1::IngestResponse again =
      Ingest(tokens_.Make(auth::Role::kInternalService, "", "svc-test"), batch);
  EXPECT_EQ(again.duplicates(), 1);
  EXPECT_EQ(again.accepted(), 0);
  std::vector<mv1::Alarm> alarms = Alarms(building, mv1::ALARM_TYPE_FIRE);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].state(), mv1::ALARM_STATE_ACTIVE_UNACK);
  EXPECT_EQ(alarms[0].count(), 1);
  EXPECT_EQ(alarms[0].alarm_id(), pushed->alarm_id());
  EXPECT_EQ(station.Count(FireAlarmFor(building)), 1);

  // The device shows as heard from (its offline deadline is flushed within a second or so).
  mv1::GetDeviceRequest get;
  get.set_device_id("smoke-1");
  mv1::Device device;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return mstub_->GetDevice(Ctx(Admin()).get(), get, &device).ok() &&
               device.live().online() && device.live().has_last_seen();
      },
      absl::Seconds(30)))
      << device.DebugString();
  EXPECT_TRUE(device.live().state().fire_alarm());
}

TEST_F(MonitoringE2E, ALastingLowHydrantPressureBecomesOneRoutedHazardToldWhenItClears) {
  const std::string building = RegisterBuilding();
  RegisterDevice(Admin(), building, "hyd-1", mv1::DEVICE_TYPE_HYDRANT_PRESSURE, "gw-1");
  RegisterDevice(Admin(), building, "smoke-1", mv1::DEVICE_TYPE_SMOKE_DETECTOR);
  testing::Subscription community(notify_->grpc_address(), Worker());
  ASSERT_TRUE(community.WaitCaughtUp());

  // Below 0.10 MPa from eleven minutes ago (device time) until now, through the gateway.
  const absl::Time now = absl::Now();
  mv1::SignalBatch low;
  *low.add_signals() = Pressure("hyd-1", 1, now - absl::Minutes(11), 0.05);
  *low.add_signals() = Pressure("hyd-1", 2, now, 0.05);
  Publish("gw-1", "fg/v1/g/gw-1/signals", Json(low));

  std::vector<hv1::Hazard> hazards;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        hazards = Hazards(building);
        return !hazards.empty();
      },
      absl::Seconds(60)))
      << "the lasting low pressure did not become a hazard";
  ASSERT_EQ(hazards.size(), 1u);
  const hv1::Hazard& hazard = hazards[0];
  EXPECT_EQ(hazard.source(), hv1::SOURCE_IOT);
  EXPECT_EQ(hazard.category(), hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
  EXPECT_EQ(hazard.device_alarm().device_id(), "hyd-1");
  EXPECT_GT(hazard.routing().lead_departments_size(), 0) << "the hazard was not routed";
  std::vector<mv1::Alarm> alarms = Alarms(building, mv1::ALARM_TYPE_LOW_PRESSURE);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(hazard.device_alarm().alarm_id(), alarms[0].alarm_id());
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Alarms(building, mv1::ALARM_TYPE_LOW_PRESSURE)[0].hazard_id() == hazard.hazard_id();
      },
      absl::Seconds(30)));

  // The gateway re-sends the batch over gRPC: nothing new. It cannot speak for a device that is
  // not behind it.
  mv1::IngestRequest resend;
  *resend.mutable_signals() = low.signals();
  mv1::IngestResponse r = Ingest(Gateway("gw-1"), resend);
  EXPECT_EQ(r.duplicates(), 2);
  EXPECT_EQ(r.accepted(), 0);
  mv1::IngestRequest foreign;
  mv1::Signal fire = Signal("smoke-1", 1, now);
  fire.mutable_state()->set_fire_alarm(true);
  *foreign.add_signals() = fire;
  r = Ingest(Gateway("gw-1"), foreign);
  EXPECT_EQ(r.rejected_total(), 1);
  ASSERT_EQ(r.rejected_size(), 1);
  EXPECT_EQ(r.rejected(0).reason(), "not_your_device");
  EXPECT_TRUE(Alarms(building, mv1::ALARM_TYPE_FIRE).empty());

  // Pressure back above the hysteresis band: the alarm clears and the hazard's community is
  // told; the hazard stays open for its rectification to be reviewed.
  mv1::SignalBatch back;
  *back.add_signals() = Pressure("hyd-1", 3, absl::Now(), 0.15);
  Publish("gw-1", "fg/v1/g/gw-1/signals", Json(back));
  std::optional<nv1::Notification> told = community.WaitFor([&](const nv1::Notification& n) {
    return n.hazard_id() == hazard.hazard_id() &&
           n.event_type() == "firegrid.hazards.v1.HazardDeviceAlarmCleared";
  });
  ASSERT_TRUE(told.has_value()) << "the community was not told that the device alarm cleared";
  alarms = Alarms(building, mv1::ALARM_TYPE_LOW_PRESSURE);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].state(), mv1::ALARM_STATE_CLEARED_UNACK);
  hv1::GetHazardRequest get;
  get.set_hazard_id(hazard.hazard_id());
  hv1::Hazard after;
  ASSERT_TRUE(hstub_->GetHazard(Ctx(Admin()).get(), get, &after).ok());
  EXPECT_TRUE(after.device_alarm().has_cleared_at());
  EXPECT_NE(after.status(), hv1::STATUS_CLOSED);
  EXPECT_EQ(Hazards(building).size(), 1u);
}

}  // namespace
}  // namespace firegrid
