// The monitoring service's authorisation matrix (docs/authorization.md): every RPC × caller ×
// relation of the caller to the building whose devices and alarms are asked for, through the
// real gRPC surface over a real redis-server (devices and alarms live in Redis). The table is
// README.md ("Who may do what") and access.h; refusals are PERMISSION_DENIED.
//
// Relations: the building's place (tier relations); building managers kNamed when the building
// names them. Department officers: kOwnDepartment a fire rescue officer of the district,
// kOtherDepartment an officer of another department (housing), both about a building of their
// district; kOtherDistrict a fire rescue officer about one of another district. Calls by area
// (ListDevices, ListAlarms and CountAlarms by tier prefix, the "ByTier" variants) ask for the place
// itself.

#include "tests/support/authz_matrix.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/monitoring/alarm_api.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/device_api.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/engine.h"
#include "services/monitoring/grpc_service.h"
#include "services/monitoring/rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::monitoring {
namespace {

using authz_matrix::Anywhere;
using authz_matrix::Caller;
using authz_matrix::Expect;
using authz_matrix::InScope;
using authz_matrix::Named;
using authz_matrix::ObjectTier;
using authz_matrix::Observed;
using authz_matrix::Relation;
using authz_matrix::Row;
using authz_matrix::RpcRule;
using C = Caller;
using R = Relation;

// Department officers of the district, whatever their department.
std::set<Relation> EveryDepartment() { return {R::kOwnDepartment, R::kOtherDepartment}; }

// Readers of a building's devices and alarms (and who may acknowledge its alarms): the area
// roles, department officers and micro stations within their tier; the building's managers;
// internal services.
std::map<Caller, std::set<Relation>> Readers() {
  return {{C::kDistrictAdmin, InScope()},   {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()}, {C::kDepartmentOfficer, EveryDepartment()},
          {C::kMicroStation, InScope()},    {C::kBuildingManager, Named()},
          {C::kInternalService, Anywhere()}};
}
// By area: the readers but building managers.
std::map<Caller, std::set<Relation>> AreaReaders() {
  auto r = Readers();
  r.erase(C::kBuildingManager);
  return r;
}
// Register, update, import devices: district admins and street officers within their tier; the
// building's managers; internal services.
std::map<Caller, std::set<Relation>> DeviceManagers() {
  return {{C::kDistrictAdmin, InScope()},
          {C::kStreetOfficer, InScope()},
          {C::kBuildingManager, Named()},
          {C::kInternalService, Anywhere()}};
}
// The relations tried: the defaults, and the department ones for department officers.
std::map<Caller, std::vector<Relation>> ObjectRelations() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = authz_matrix::DefaultRelations(c);
  out[C::kDepartmentOfficer] = {R::kOwnDepartment, R::kOtherDepartment, R::kOtherDistrict};
  return out;
}
std::map<Caller, std::vector<Relation>> AnyRelation() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {R::kAny};
  return out;
}

const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      {.rpc = "RegisterDevice", .allowed = DeviceManagers(), .relations = ObjectRelations()},
      {.rpc = "UpdateDevice", .allowed = DeviceManagers(), .relations = ObjectRelations()},
      {.rpc = "GetDevice", .allowed = Readers(), .relations = ObjectRelations()},
      {.rpc = "ListDevices", .allowed = Readers(), .relations = ObjectRelations()},
      {.rpc = "ListDevices",
       .variant = "ByTier",
       .allowed = AreaReaders(),
       .relations = ObjectRelations()},
      // ImportDevicesCsv: the device managers; a row of a building the caller may not manage
      // is a row error (nothing imported), not an RPC error.
      {.rpc = "ImportDevicesCsv",
       .allowed = DeviceManagers(),
       .filtered = {{C::kDistrictAdmin, {R::kOtherDistrict}},
                    {C::kStreetOfficer, {R::kParent, R::kSibling, R::kOtherDistrict}},
                    {C::kBuildingManager, {R::kNotNamed}}},
       .relations = ObjectRelations()},
      // Ingest: IoT gateways (their own devices: the ingest pipeline checks) and internal
      // services.
      {.rpc = "Ingest",
       .allowed = {{C::kIotGateway, Anywhere()}, {C::kInternalService, Anywhere()}},
       .relations = AnyRelation()},
      {.rpc = "GetAlarm", .allowed = Readers(), .relations = ObjectRelations()},
      {.rpc = "ListAlarms", .allowed = Readers(), .relations = ObjectRelations()},
      {.rpc = "ListAlarms",
       .variant = "ByTier",
       .allowed = AreaReaders(),
       .relations = ObjectRelations()},
      {.rpc = "CountAlarms", .allowed = Readers(), .relations = ObjectRelations()},
      {.rpc = "CountAlarms",
       .variant = "ByTier",
       .allowed = AreaReaders(),
       .relations = ObjectRelations()},
      {.rpc = "AcknowledgeAlarm", .allowed = Readers(), .relations = ObjectRelations()},
      // ClearAlarm: the area roles and fire rescue officers within their tier; internal
      // services (not the building's manager).
      {.rpc = "ClearAlarm",
       .allowed = {{C::kDistrictAdmin, InScope()},
                   {C::kStreetOfficer, InScope()},
                   {C::kCommunityWorker, InScope()},
                   {C::kDepartmentOfficer, {R::kOwnDepartment}},
                   {C::kInternalService, Anywhere()}},
       .relations = ObjectRelations()},
  };
  return *table;
}

class MonitoringMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::UTCTimeZone())};
    SequentialIdGenerator ids;
    SequentialIdGenerator alarm_ids;
    std::unique_ptr<redis::Pool> pool;
    std::unique_ptr<Rules> rules;
    std::unique_ptr<DeviceStore> devices;
    std::unique_ptr<AlarmStore> alarms;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<DeviceApi> device_api;
    std::unique_ptr<AlarmApi> alarm_api;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<MonitoringGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::MonitoringService::Stub> stub;
    int next = 0;
    std::map<std::string, std::string> shared;  // buildings by place|named subject

    ~Env() {
      if (server) server->Shutdown();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    e.pool = testing::NewSharedRedisPool();
    auto rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    e.rules = std::make_unique<Rules>(*std::move(rules));
    e.devices = std::make_unique<DeviceStore>(e.pool.get(), "authzm", "authzm:outbox");
    e.alarms = std::make_unique<AlarmStore>(e.pool.get(), "authzm", "authzm:outbox", e.rules.get());
    e.engine = std::make_unique<Engine>(e.rules.get(), &e.alarm_ids);
    e.device_api = std::make_unique<DeviceApi>(e.devices.get(), e.alarms.get(), e.engine.get(),
                                               &e.clock, &e.ids, e.rules.get());
    e.alarm_api = std::make_unique<AlarmApi>(e.alarms.get(), e.devices.get(), &e.clock);
    e.verifier = e.tokens.Verifier();
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    // The ingest pipeline is not under test here (its own tests prove a gateway's devices are
    // its own): it accepts every signal.
    e.service = std::make_unique<MonitoringGrpcService>(
        e.device_api.get(), e.alarm_api.get(),
        [](const SignalSource&, std::vector<v1::Signal> signals) -> absl::StatusOr<IngestResult> {
          IngestResult r;
          r.accepted = static_cast<int>(signals.size());
          return r;
        },
        e.authenticator.get());
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = v1::MonitoringService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static std::string Tier(const Row& row) { return ObjectTier(row.caller, row.relation); }
  static std::string NamedSubject(const Row& row) {
    return row.relation == R::kNamed ? authz_matrix::PrincipalOf(row.caller).subject
                                     : authz_matrix::kSomeoneElse;
  }
  static auth::Principal Service() {
    auth::Principal p;
    p.role = auth::Role::kInternalService;
    p.subject = "service:seed";
    return p;
  }

  // A building at the row's place naming the row's subject (as the buildings events make it
  // known), seeded once per place and subject.
  static std::string Building(const Row& row) {
    Env& e = *env_;
    const std::string key = absl::StrCat(Tier(row), "|", NamedSubject(row));
    if (auto it = e.shared.find(key); it != e.shared.end()) return it->second;
    const std::string id = absl::StrCat("bld_m", ++e.next);
    v1::BuildingView v;
    v.set_building_id(id);
    v.set_name(absl::StrCat("楼 ", id));
    v.set_tier_path(Tier(row));
    v.set_version(1);
    v.add_subjects(NamedSubject(row));
    EXPECT_TRUE(e.devices->PutBuilding(v).ok());
    return e.shared[key] = id;
  }
  // A new device of the row's building.
  static v1::Device NewDevice(const Row& row) {
    v1::RegisterDeviceRequest r;
    r.mutable_device()->set_device_id(absl::StrCat("dev-", ++env_->next));
    r.mutable_device()->set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
    r.mutable_device()->set_building_id(Building(row));
    r.mutable_device()->set_model("PT-100");
    auto d = env_->device_api->Register(Service(), r);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : v1::Device();
  }
  // A new active alarm of a new device of the row's building.
  static std::string NewAlarm(const Row& row) {
    Env& e = *env_;
    const v1::Device d = NewDevice(row);
    auto building = e.devices->GetBuilding(d.building_id());
    EXPECT_TRUE(building.ok()) << building.status();
    const std::string id = absl::StrCat("alm_m", ++e.next);
    DeviceCommit c;
    c.device = d;
    if (building.ok()) c.building = *building;
    AlarmAction a;
    a.kind = AlarmAction::Kind::kRaise;
    a.rule_id = "hydrant-pressure-low";
    a.type = v1::ALARM_TYPE_LOW_PRESSURE;
    a.severity = v1::ALARM_SEVERITY_MAJOR;
    a.alarm_id = id;
    a.at = e.clock.Now();
    c.actions = {a};
    c.actor = "device:" + d.device_id();
    c.now = e.clock.Now();
    auto committed = e.alarms->Commit(c);
    EXPECT_TRUE(committed.ok()) << committed.status();
    return id;
  }

  Observed Call(const Row& row);

  static Env* env_;
};

MonitoringMatrix::Env* MonitoringMatrix::env_ = nullptr;

Observed MonitoringMatrix::Call(const Row& row) {
  Env& e = *env_;
  grpc::ClientContext ctx;
  if (row.relation == R::kOtherDepartment) {
    auth::Principal other = authz_matrix::PrincipalOf(row.caller);
    other.department = authz_matrix::kOtherDepartment;
    authz_matrix::Attach(&ctx, e.tokens.Sign(other, e.clock.Now()));
  } else {
    authz_matrix::Attach(&ctx, e.tokens.For(row.caller, e.clock.Now()));
  }
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto* stub = e.stub.get();
  const std::string& rpc = row.rpc;
  const bool by_tier = row.variant == "ByTier";
  Observed o;

  if (rpc == "RegisterDevice") {
    v1::RegisterDeviceRequest req;
    req.mutable_device()->set_device_id(absl::StrCat("dev-", ++e.next));
    req.mutable_device()->set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
    req.mutable_device()->set_building_id(Building(row));
    v1::Device out;
    o.status = stub->RegisterDevice(&ctx, req, &out);
  } else if (rpc == "UpdateDevice") {
    const v1::Device d = NewDevice(row);
    v1::UpdateDeviceRequest req;
    req.mutable_device()->set_device_id(d.device_id());
    req.mutable_device()->set_model("PT-200");
    req.mutable_update_mask()->add_paths("model");
    req.set_expected_version(d.version());
    v1::Device out;
    o.status = stub->UpdateDevice(&ctx, req, &out);
  } else if (rpc == "GetDevice") {
    v1::GetDeviceRequest req;
    req.set_device_id(NewDevice(row).device_id());
    v1::Device out;
    o.status = stub->GetDevice(&ctx, req, &out);
  } else if (rpc == "ListDevices") {
    v1::ListDevicesRequest req;
    if (by_tier) {
      req.set_tier_path_prefix(Tier(row));
    } else {
      req.set_building_id(Building(row));
    }
    v1::ListDevicesResponse out;
    o.status = stub->ListDevices(&ctx, req, &out);
  } else if (rpc == "ImportDevicesCsv") {
    v1::ImportDevicesCsvRequest req;
    req.set_csv(absl::StrCat("device_id,type,building_id\n", "dev-", ++e.next, ",hydrant_pressure,",
                             Building(row), "\n"));
    v1::ImportDevicesCsvResponse out;
    o.status = stub->ImportDevicesCsv(&ctx, req, &out);
    o.object_shown = out.created() == 1;
  } else if (rpc == "Ingest") {
    v1::IngestResponse out;
    auto writer = stub->Ingest(&ctx, &out);
    v1::IngestRequest batch;
    // A gateway sends for itself; a service names the gateway it relays.
    batch.set_gateway_id(row.caller == C::kIotGateway
                             ? authz_matrix::PrincipalOf(row.caller).subject
                             : "gw-relayed");
    auto* s = batch.add_signals();
    s->set_device_id("dev-1");
    s->set_sequence(1);
    writer->Write(batch);
    writer->WritesDone();
    o.status = writer->Finish();
  } else if (rpc == "GetAlarm") {
    v1::GetAlarmRequest req;
    req.set_alarm_id(NewAlarm(row));
    v1::Alarm out;
    o.status = stub->GetAlarm(&ctx, req, &out);
  } else if (rpc == "ListAlarms") {
    v1::ListAlarmsRequest req;
    if (by_tier) {
      req.set_tier_path_prefix(Tier(row));
    } else {
      req.set_building_id(Building(row));
    }
    v1::ListAlarmsResponse out;
    o.status = stub->ListAlarms(&ctx, req, &out);
  } else if (rpc == "CountAlarms") {
    v1::CountAlarmsRequest req;
    if (by_tier) {
      req.set_tier_path_prefix(Tier(row));
    } else {
      req.set_building_id(Building(row));
    }
    v1::AlarmCounts out;
    o.status = stub->CountAlarms(&ctx, req, &out);
  } else if (rpc == "AcknowledgeAlarm") {
    v1::AcknowledgeAlarmRequest req;
    req.set_alarm_id(NewAlarm(row));
    v1::Alarm out;
    o.status = stub->AcknowledgeAlarm(&ctx, req, &out);
  } else if (rpc == "ClearAlarm") {
    v1::ClearAlarmRequest req;
    req.set_alarm_id(NewAlarm(row));
    req.set_note("现场复位");
    v1::Alarm out;
    o.status = stub->ClearAlarm(&ctx, req, &out);
  } else {
    ADD_FAILURE() << "no call for " << rpc;
  }
  return o;
}

TEST_P(MonitoringMatrix, Call) {
  const Row& row = GetParam();
  EXPECT_TRUE(authz_matrix::Matches(row, Call(row)));
}

INSTANTIATE_TEST_SUITE_P(Table, MonitoringMatrix,
                         ::testing::ValuesIn(authz_matrix::Expand(Table())), authz_matrix::RowName);

TEST(MonitoringMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::MonitoringService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::monitoring
