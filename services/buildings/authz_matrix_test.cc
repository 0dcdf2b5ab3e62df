// The buildings service's authorisation matrix (docs/authorization.md): every RPC × caller ×
// relation of the caller to the object, through the real gRPC surface. The table is the role
// table of README.md ("RPCs") and access.h; refusals are PERMISSION_DENIED (the service does not
// hide that a building exists: its ids are not secret, and RequireTier's message names no tier).

#include "tests/support/authz_matrix.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
#include "services/buildings/grpc_service.h"
#include "services/buildings/memory_store.h"
#include "services/buildings/registry.h"

namespace firegrid::buildings {
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

// Readers of buildings (GetBuilding's roles): the area roles, department officers and internal
// services in scope, building managers named by the building.
std::map<Caller, std::set<Relation>> Readers() {
  return {{C::kDistrictAdmin, InScope()},    {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()},  {C::kDepartmentOfficer, InScope()},
          {C::kInternalService, Anywhere()}, {C::kBuildingManager, Named()}};
}
// Editors: CreateBuilding's roles.
std::map<Caller, std::set<Relation>> Editors() {
  return {{C::kDistrictAdmin, InScope()},
          {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()}};
}
// District admins and street officers in scope (filing, hydrants, stations, imports).
std::map<Caller, std::set<Relation>> AreaManagers() {
  return {{C::kDistrictAdmin, InScope()}, {C::kStreetOfficer, InScope()}};
}
// The ledger's and the export's roles: readers but building managers.
std::map<Caller, std::set<Relation>> LedgerReaders() {
  auto r = Readers();
  r.erase(C::kBuildingManager);
  return r;
}
// Out of scope for the area roles and department officers (their parent, sibling units and
// another district).
std::map<Caller, std::set<Relation>> OutOfScope(std::initializer_list<Caller> callers) {
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : callers) out[c] = {R::kParent, R::kSibling, R::kOtherDistrict};
  return out;
}

// The relations a call that places a new building is tried in: a building lies in a community
// (a street or district code is INVALID_ARGUMENT before any check of the caller), so there is
// no "parent" place for one.
std::map<Caller, std::vector<Relation>> NoParentPlace() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) {
    std::vector<Relation> r = authz_matrix::DefaultRelations(c);
    std::erase(r, R::kParent);
    out[c] = r;
  }
  return out;
}

// Hydrants and micro stations lie in a street or a community: no district-level "parent" place.
std::map<Caller, std::vector<Relation>> NoDistrictPlace() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) {
    std::vector<Relation> r = authz_matrix::DefaultRelations(c);
    if (ObjectTier(c, R::kParent).size() < 9) std::erase(r, R::kParent);
    out[c] = r;
  }
  return out;
}

// The table: README.md's role table ("RPCs"), row for row.
const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      // UpsertOrgUnit: district admins in their district; internal services (the demo loader
      // registers the divisions) anywhere.
      {.rpc = "UpsertOrgUnit",
       .allowed = {{C::kDistrictAdmin, InScope()}, {C::kInternalService, Anywhere()}}},
      // GetOrgUnit: any role but building_manager / service_agency: units under the caller's
      // tier path and the units above it (an IoT gateway has no tier path: none).
      {.rpc = "GetOrgUnit",
       .allowed = {{C::kDistrictAdmin, InScope()},
                   {C::kDepartmentOfficer, InScope()},
                   {C::kStreetOfficer, {R::kOwn, R::kParent}},
                   {C::kCommunityWorker, {R::kOwn, R::kParent}},
                   {C::kMicroStation, {R::kOwn, R::kParent}},
                   {C::kPublicChannel, InScope()},
                   {C::kInternalService, Anywhere()}}},
      // ListOrgUnits: the same roles, units under the caller's tier path (the scope asked for
      // must lie in it).
      {.rpc = "ListOrgUnits",
       .allowed = {{C::kDistrictAdmin, InScope()},
                   {C::kDepartmentOfficer, InScope()},
                   {C::kStreetOfficer, InScope()},
                   {C::kCommunityWorker, InScope()},
                   {C::kMicroStation, InScope()},
                   {C::kPublicChannel, InScope()},
                   {C::kInternalService, Anywhere()}}},
      {.rpc = "CreateBuilding", .allowed = Editors(), .relations = NoParentPlace()},
      {.rpc = "GetBuilding", .allowed = Readers()},
      {.rpc = "UpdateBuilding", .allowed = Editors()},
      // ListBuildings: readers; a building manager's list holds only the buildings naming it.
      {.rpc = "ListBuildings",
       .allowed = Readers(),
       .filtered = {{C::kBuildingManager, {R::kNotNamed}}}},
      {.rpc = "FileResponsibility", .allowed = AreaManagers()},
      {.rpc = "GetResponsibilityHistory", .allowed = Readers()},
      // SetFacilityStatus: editors, department officers, building managers of their building.
      {.rpc = "SetFacilityStatus",
       .allowed = {{C::kDistrictAdmin, InScope()},
                   {C::kStreetOfficer, InScope()},
                   {C::kCommunityWorker, InScope()},
                   {C::kDepartmentOfficer, InScope()},
                   {C::kBuildingManager, Named()}}},
      {.rpc = "SetFireAccess", .allowed = Editors()},
      {.rpc = "AssessFireAccess", .allowed = Readers()},
      {.rpc = "RegisterHydrant", .allowed = AreaManagers(), .relations = NoDistrictPlace()},
      {.rpc = "RegisterMicroStation", .allowed = AreaManagers(), .relations = NoDistrictPlace()},
      // FindNearby of buildings: the readers and public channels; a reader finds only the
      // buildings it may read, a public channel only its district's.
      {.rpc = "FindNearby",
       .variant = "Buildings",
       .allowed =
           [] {
             auto r = Readers();
             r[C::kPublicChannel] = InScope();
             return r;
           }(),
       .filtered =
           [] {
             auto f = OutOfScope({C::kDistrictAdmin, C::kStreetOfficer, C::kCommunityWorker,
                                  C::kDepartmentOfficer, C::kPublicChannel});
             f[C::kBuildingManager] = {R::kNotNamed};
             return f;
           }()},
      // FindNearby of hydrants (and micro stations, the same rule): every role but
      // service_agency and public_channel, wherever the hydrant is.
      {.rpc = "FindNearby",
       .variant = "Hydrants",
       .allowed = {{C::kDistrictAdmin, Anywhere()},
                   {C::kDepartmentOfficer, Anywhere()},
                   {C::kStreetOfficer, Anywhere()},
                   {C::kCommunityWorker, Anywhere()},
                   {C::kBuildingManager, Anywhere()},
                   {C::kInternalService, Anywhere()},
                   {C::kMicroStation, Anywhere()},
                   {C::kIotGateway, Anywhere()}}},
      {.rpc = "GetLedger", .allowed = LedgerReaders()},
      {.rpc = "ExportLedgerCsv", .allowed = LedgerReaders()},
      // The imports: district admins and street officers; a row outside the caller's tier is
      // a row error (the file imports nothing), not an RPC error.
      {.rpc = "ImportBuildingsCsv",
       .allowed = AreaManagers(),
       .filtered = OutOfScope({C::kDistrictAdmin, C::kStreetOfficer}),
       .relations = NoParentPlace()},
      {.rpc = "ImportBuildingsCsvStream",
       .allowed = AreaManagers(),
       .filtered = OutOfScope({C::kDistrictAdmin, C::kStreetOfficer}),
       .relations = NoParentPlace()},
      {.rpc = "ExportBuildingsCsv", .allowed = LedgerReaders()},
      // CheckReadModels (firegridctl rebuild --check): district admins, whatever the object.
      {.rpc = "CheckReadModels", .allowed = {{C::kDistrictAdmin, Anywhere()}}},
  };
  return *table;
}

// One server for every row: the registry over the in-memory store with the standard divisions.
class BuildingsMatrix : public ::testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() {
    env_ = new Env();
    env_->Start();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 10), absl::UTCTimeZone())};
    SequentialIdGenerator ids;
    MemoryStore store;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<Registry> registry;
    std::unique_ptr<BuildingGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::BuildingService::Stub> stub;
    std::mutex mu;
    int next = 0;                               // seeded objects so far
    std::map<std::string, std::string> shared;  // read objects by tier|named subject

    ~Env() {
      if (server) server->Shutdown();
    }

    void Start() {
      verifier = tokens.Verifier();
      authenticator = std::make_unique<auth::Authenticator>(verifier.get(), &clock);
      registry = std::make_unique<Registry>(&store, DefaultRules(), &clock, &ids);
      service = std::make_unique<BuildingGrpcService>(registry.get(), authenticator.get());
      for (const std::string& code : authz_matrix::AllDivisions()) {
        v1::OrgUnit u;
        u.set_code(code);
        u.set_tier_path(code);
        u.set_name(absl::StrCat("unit ", code));
        u.set_kind(code.size() == 6   ? v1::ORG_UNIT_KIND_DISTRICT
                   : code.size() == 9 ? v1::ORG_UNIT_KIND_STREET
                                      : v1::ORG_UNIT_KIND_COMMUNITY);
        if (code.size() > 6) u.set_parent_code(code.substr(0, code.size() - 3));
        ASSERT_TRUE(store.PutOrgUnit(u).ok());
      }
      authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({service.get()});
      server = std::move(loopback.server);
      if (server == nullptr) return;  // StartOnLoopback failed the test
      stub = v1::BuildingService::NewStub(loopback.channel);
    }

    // A location of its own for every seeded object (about 1.1 km apart), so that a nearby
    // search around it finds it alone.
    v1::GeoPoint NextLocation() {
      v1::GeoPoint g;
      g.set_latitude(20 + 0.01 * (next % 4000));
      g.set_longitude(100 + 0.01 * (next / 4000));
      ++next;
      return g;
    }

    // A new building at `tier` whose chain names `named` as its manager.
    v1::Building NewBuilding(const std::string& tier, const std::string& named) {
      std::lock_guard<std::mutex> lock(mu);
      v1::Building b;
      b.set_building_id(absl::StrCat("bld_seed", next));
      b.set_name(absl::StrCat("嘉陵苑 ", next, " 栋"));
      b.set_address(absl::StrCat("天生路 ", next, " 号"));
      b.set_tier_path(tier);
      *b.mutable_location() = NextLocation();
      b.set_use(v1::BUILDING_USE_RESIDENTIAL);
      b.set_height_m(60);
      b.set_floors_above_ground(20);
      b.set_version(1);
      auto* chain = b.mutable_responsibility()->mutable_chain();
      chain->set_management_unit("重庆嘉陵物业管理有限公司");
      chain->mutable_manager()->set_name("李四");
      chain->mutable_manager()->set_subject(named);
      EXPECT_TRUE(store.CreateBuildings({b}, {}, {}).ok());
      return b;
    }

    // A hydrant at `tier` at a location of its own.
    v1::Hydrant NewHydrant(const std::string& tier) {
      std::lock_guard<std::mutex> lock(mu);
      v1::Hydrant h;
      h.set_hydrant_id(absl::StrCat("hyd_seed", next));
      h.set_tier_path(tier);
      *h.mutable_location() = NextLocation();
      h.set_status(v1::HYDRANT_STATUS_IN_SERVICE);
      EXPECT_TRUE(store.PutHydrant(h).ok());
      return h;
    }
  };

  // The object a row is about: its tier path from the caller's relation; named on its chain
  // for kNamed (the caller's subject) and kNotNamed (someone else's).
  static std::string Tier(const Row& row) { return ObjectTier(row.caller, row.relation); }
  static std::string NamedSubject(const Row& row) {
    if (row.relation == R::kNamed) return authz_matrix::PrincipalOf(row.caller).subject;
    return authz_matrix::kSomeoneElse;
  }
  // A building seeded once per (tier, named subject) for the calls that only read it.
  static v1::Building SharedBuilding(const Row& row) {
    const std::string key = absl::StrCat(Tier(row), "|", NamedSubject(row));
    {
      std::lock_guard<std::mutex> lock(env_->mu);
      auto it = env_->shared.find(key);
      if (it != env_->shared.end()) return *env_->store.GetBuilding(it->second);
    }
    v1::Building b = env_->NewBuilding(Tier(row), NamedSubject(row));
    std::lock_guard<std::mutex> lock(env_->mu);
    env_->shared[key] = b.building_id();
    return b;
  }
  // A building of its own for a call that changes it.
  static v1::Building FreshBuilding(const Row& row) {
    return env_->NewBuilding(Tier(row), NamedSubject(row));
  }

  // Calls the row's RPC as its caller.
  Observed Call(const Row& row);

  static Env* env_;
};

BuildingsMatrix::Env* BuildingsMatrix::env_ = nullptr;

// A valid building to create or import at `tier`.
v1::Building CreatableBuilding(const std::string& tier, int n) {
  v1::Building b;
  b.set_name(absl::StrCat("新楼 ", n));
  b.set_address(absl::StrCat("新路 ", n, " 号"));
  b.set_tier_path(tier);
  b.mutable_location()->set_latitude(29.82);
  b.mutable_location()->set_longitude(106.43);
  b.set_use(v1::BUILDING_USE_RESIDENTIAL);
  b.set_height_m(60);
  b.set_floors_above_ground(20);
  return b;
}

v1::ResponsibilityChain ValidChain() {
  v1::ResponsibilityChain c;
  c.set_management_unit("重庆嘉陵物业管理有限公司");
  c.mutable_responsible_person()->set_name("张三");
  c.mutable_responsible_person()->set_phone("13800000001");
  c.mutable_manager()->set_name("李四");
  c.mutable_manager()->set_phone("13800000002");
  c.mutable_building_head()->set_name("王五");
  c.mutable_building_head()->set_phone("13800000003");
  c.set_property_company("重庆嘉陵物业管理有限公司");
  return c;
}

Observed BuildingsMatrix::Call(const Row& row) {
  Env& e = *env_;
  const std::string token = e.tokens.For(row.caller, e.clock.Now());
  grpc::ClientContext ctx;
  authz_matrix::Attach(&ctx, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto* stub = e.stub.get();
  const std::string& rpc = row.rpc;
  Observed o;
  const std::string tier = Tier(row);
  static int serial = 0;
  const int n = ++serial;

  if (rpc == "UpsertOrgUnit") {
    v1::UpsertOrgUnitRequest req;
    auto* u = req.mutable_org_unit();
    u->set_code(tier);
    u->set_name(absl::StrCat("unit ", tier));
    u->set_kind(tier.size() == 6   ? v1::ORG_UNIT_KIND_DISTRICT
                : tier.size() == 9 ? v1::ORG_UNIT_KIND_STREET
                                   : v1::ORG_UNIT_KIND_COMMUNITY);
    if (tier.size() > 6) u->set_parent_code(tier.substr(0, tier.size() - 3));
    v1::OrgUnit out;
    o.status = stub->UpsertOrgUnit(&ctx, req, &out);
  } else if (rpc == "GetOrgUnit") {
    v1::GetOrgUnitRequest req;
    req.set_code(tier);
    v1::OrgUnit out;
    o.status = stub->GetOrgUnit(&ctx, req, &out);
  } else if (rpc == "ListOrgUnits") {
    v1::ListOrgUnitsRequest req;
    req.set_tier_path_prefix(tier);
    v1::ListOrgUnitsResponse out;
    o.status = stub->ListOrgUnits(&ctx, req, &out);
    o.object_shown = false;
    for (const auto& u : out.org_units()) o.object_shown |= u.code() == tier;
  } else if (rpc == "CreateBuilding") {
    v1::CreateBuildingRequest req;
    *req.mutable_building() = CreatableBuilding(tier, n);
    v1::Building out;
    o.status = stub->CreateBuilding(&ctx, req, &out);
  } else if (rpc == "GetBuilding") {
    v1::GetBuildingRequest req;
    req.set_building_id(SharedBuilding(row).building_id());
    v1::Building out;
    o.status = stub->GetBuilding(&ctx, req, &out);
  } else if (rpc == "UpdateBuilding") {
    v1::UpdateBuildingRequest req;
    req.mutable_building()->set_building_id(FreshBuilding(row).building_id());
    req.mutable_building()->set_name("改名");
    req.mutable_update_mask()->add_paths("name");
    req.set_expected_version(1);
    v1::Building out;
    o.status = stub->UpdateBuilding(&ctx, req, &out);
  } else if (rpc == "ListBuildings") {
    const std::string id = SharedBuilding(row).building_id();
    v1::ListBuildingsRequest req;
    // A building manager lists everything naming it; the others the object's tier.
    if (row.caller != C::kBuildingManager) req.set_tier_path_prefix(tier);
    req.set_page_size(500);
    o.object_shown = false;
    do {
      grpc::ClientContext page_ctx;
      authz_matrix::Attach(&page_ctx, token);
      v1::ListBuildingsResponse out;
      o.status = stub->ListBuildings(&page_ctx, req, &out);
      for (const auto& b : out.buildings()) o.object_shown |= b.building_id() == id;
      req.set_page_token(out.next_page_token());
    } while (o.status.ok() && !req.page_token().empty());
  } else if (rpc == "FileResponsibility") {
    v1::FileResponsibilityRequest req;
    req.set_building_id(FreshBuilding(row).building_id());
    req.set_expected_version(1);
    *req.mutable_chain() = ValidChain();
    v1::Building out;
    o.status = stub->FileResponsibility(&ctx, req, &out);
  } else if (rpc == "GetResponsibilityHistory") {
    v1::GetResponsibilityHistoryRequest req;
    req.set_building_id(SharedBuilding(row).building_id());
    v1::GetResponsibilityHistoryResponse out;
    o.status = stub->GetResponsibilityHistory(&ctx, req, &out);
  } else if (rpc == "SetFacilityStatus") {
    v1::SetFacilityStatusRequest req;
    req.set_building_id(FreshBuilding(row).building_id());
    req.set_kind(v1::FACILITY_KIND_FIRE_ALARM);
    req.set_status(v1::FACILITY_STATUS_FAULT);
    v1::Building out;
    o.status = stub->SetFacilityStatus(&ctx, req, &out);
  } else if (rpc == "SetFireAccess") {
    v1::SetFireAccessRequest req;
    req.set_building_id(FreshBuilding(row).building_id());
    req.set_expected_version(1);
    v1::SetFireAccessResponse out;
    o.status = stub->SetFireAccess(&ctx, req, &out);
  } else if (rpc == "AssessFireAccess") {
    v1::AssessFireAccessRequest req;
    req.set_building_id(SharedBuilding(row).building_id());
    v1::FireAccessAssessment out;
    o.status = stub->AssessFireAccess(&ctx, req, &out);
  } else if (rpc == "RegisterHydrant") {
    v1::RegisterHydrantRequest req;
    auto* h = req.mutable_hydrant();
    h->set_tier_path(tier);
    h->mutable_location()->set_latitude(29.82);
    h->mutable_location()->set_longitude(106.43);
    h->set_status(v1::HYDRANT_STATUS_IN_SERVICE);
    v1::Hydrant out;
    o.status = stub->RegisterHydrant(&ctx, req, &out);
  } else if (rpc == "RegisterMicroStation") {
    v1::RegisterMicroStationRequest req;
    auto* s = req.mutable_station();
    s->set_name(absl::StrCat("微型消防站 ", n));
    s->set_tier_path(tier);
    s->mutable_location()->set_latitude(29.82);
    s->mutable_location()->set_longitude(106.43);
    s->set_staff(6);
    v1::MicroStation out;
    o.status = stub->RegisterMicroStation(&ctx, req, &out);
  } else if (rpc == "FindNearby") {
    v1::FindNearbyRequest req;
    req.set_radius_m(100);
    std::string id;
    if (row.variant == "Buildings") {
      v1::Building b = SharedBuilding(row);
      id = b.building_id();
      *req.mutable_location() = b.location();
      req.set_kind(v1::NEARBY_KIND_BUILDING);
    } else {
      v1::Hydrant h = env_->NewHydrant(tier);
      id = h.hydrant_id();
      *req.mutable_location() = h.location();
      req.set_kind(v1::NEARBY_KIND_HYDRANT);
    }
    v1::FindNearbyResponse out;
    o.status = stub->FindNearby(&ctx, req, &out);
    o.object_shown = false;
    for (const auto& r : out.results()) {
      o.object_shown |= r.building().building_id() == id || r.hydrant().hydrant_id() == id;
    }
  } else if (rpc == "GetLedger") {
    v1::GetLedgerRequest req;
    req.set_tier_path(tier);
    v1::Ledger out;
    o.status = stub->GetLedger(&ctx, req, &out);
  } else if (rpc == "ExportLedgerCsv") {
    v1::ExportLedgerCsvRequest req;
    req.set_tier_path(tier);
    v1::CsvDocument out;
    o.status = stub->ExportLedgerCsv(&ctx, req, &out);
  } else if (rpc == "ImportBuildingsCsv" || rpc == "ImportBuildingsCsvStream") {
    const std::string csv = absl::StrCat(
        "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground\n", "导入楼 ",
        n, ",导入路 ", n, " 号,", tier, ",29.82,106.43,residential,60,20\n");
    v1::ImportBuildingsCsvResponse out;
    if (rpc == "ImportBuildingsCsv") {
      v1::ImportBuildingsCsvRequest req;
      req.set_content(csv);
      o.status = stub->ImportBuildingsCsv(&ctx, req, &out);
    } else {
      auto writer = stub->ImportBuildingsCsvStream(&ctx, &out);
      v1::ImportBuildingsCsvChunk chunk;
      chunk.set_content(csv);
      writer->Write(chunk);
      writer->WritesDone();
      o.status = writer->Finish();
    }
    o.object_shown = out.imported() == 1;
  } else if (rpc == "ExportBuildingsCsv") {
    v1::ExportBuildingsCsvRequest req;
    req.set_tier_path(tier);
    v1::CsvDocument out;
    o.status = stub->ExportBuildingsCsv(&ctx, req, &out);
  } else if (rpc == "CheckReadModels") {
    readmodels::v1::CheckReadModelsResponse out;
    o.status = stub->CheckReadModels(&ctx, readmodels::v1::CheckReadModelsRequest(), &out);
  } else {
    ADD_FAILURE() << "no call for " << rpc;
  }
  return o;
}

TEST_P(BuildingsMatrix, Call) {
  const Row& row = GetParam();
  if (row.relation != R::kAny && row.relation != R::kNamed && row.relation != R::kNotNamed) {
    ASSERT_FALSE(Tier(row).empty()) << row;
  }
  EXPECT_TRUE(authz_matrix::Matches(row, Call(row)));
}

INSTANTIATE_TEST_SUITE_P(Table, BuildingsMatrix, ::testing::ValuesIn(authz_matrix::Expand(Table())),
                         authz_matrix::RowName);

// The table names every method of the service and nothing else: a new RPC without rows fails.
TEST(BuildingsMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::BuildingService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::buildings
