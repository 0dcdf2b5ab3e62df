// The hazards service's authorisation matrix (docs/authorization.md): every RPC × caller ×
// relation of the caller to the hazard, through the real gRPC surface over a real redis-server
// (the hazard store is Redis only). The table is README.md's role table ("RPCs" and "Who sees a
// hazard") and lifecycle.h; refusals are PERMISSION_DENIED.
//
// Relations here: tier relations for the area roles; for department officers the hazard routed
// to their department (kOwnDepartment: FIRE_FACILITY_FAULT, led by fire_rescue) or not
// (kOtherDepartment: GAS_ELECTRICAL, economy_it's), and kOtherDistrict (their department's, in
// another district); for building managers the building naming them or not; for public
// channels kNamed = reported through the caller's own channel, kNotNamed = through another.

#include "tests/support/authz_matrix.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "services/hazards/grpc_service.h"
#include "services/hazards/registry.h"
#include "services/hazards/rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::hazards {
namespace {

using auth::Role;
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
namespace bv1 = ::firegrid::buildings::v1;

// The relations each caller is tried in for a hazard.
std::map<Caller, std::vector<Relation>> HazardRelations() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = authz_matrix::DefaultRelations(c);
  out[C::kDepartmentOfficer] = {R::kOwnDepartment, R::kOtherDepartment, R::kOtherDistrict};
  out[C::kPublicChannel] = {R::kNamed, R::kNotNamed};
  return out;
}

// Who may see a hazard (README "Who sees a hazard"): area roles by tier, department officers
// when routed to them, building managers named by the building, public channels their own
// channel's reports, internal services all.
std::map<Caller, std::set<Relation>> Seers() {
  return {{C::kDistrictAdmin, InScope()},   {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()}, {C::kDepartmentOfficer, {R::kOwnDepartment}},
          {C::kBuildingManager, Named()},   {C::kPublicChannel, Named()},
          {C::kInternalService, Anywhere()}};
}
// Verify, reject, change category, assign: district admins, street officers, the lead
// department's officers (each where they see the hazard).
std::map<Caller, std::set<Relation>> Verifiers() {
  return {{C::kDistrictAdmin, InScope()},
          {C::kStreetOfficer, InScope()},
          {C::kDepartmentOfficer, {R::kOwnDepartment}}};
}
// Start, submit: the area roles and the named building manager.
std::map<Caller, std::set<Relation>> Rectifiers() {
  return {{C::kDistrictAdmin, InScope()},
          {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()},
          {C::kBuildingManager, Named()}};
}
std::map<Caller, std::set<Relation>> AdminOrStreet() {
  return {{C::kDistrictAdmin, InScope()}, {C::kStreetOfficer, InScope()}};
}
std::map<Caller, std::set<Relation>> StatisticsReaders() {
  return {{C::kDistrictAdmin, InScope()},
          {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()},
          {C::kDepartmentOfficer, InScope()},
          {C::kInternalService, Anywhere()}};
}
std::map<Caller, std::set<Relation>> EveryoneBut(Caller excluded) {
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) {
    if (c != excluded) out[c] = Anywhere();
  }
  return out;
}

const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      // ReportHazard: the area roles, department officers and public channels in scope (a
      // public channel: a tip-off of a building of its district); building managers of a
      // building naming them; internal services anywhere.
      {.rpc = "ReportHazard",
       .allowed = {{C::kDistrictAdmin, InScope()},
                   {C::kStreetOfficer, InScope()},
                   {C::kCommunityWorker, InScope()},
                   {C::kDepartmentOfficer, InScope()},
                   {C::kPublicChannel, InScope()},
                   {C::kBuildingManager, Named()},
                   {C::kInternalService, Anywhere()}}},
      {.rpc = "GetHazard", .allowed = Seers(), .relations = HazardRelations()},
      // ListHazards: the hazards the caller sees, in the scope it asks for (which must lie in
      // its tier); a building manager's and a department officer's list leaves out the others.
      {.rpc = "ListHazards",
       .allowed = Seers(),
       .filtered = {{C::kDepartmentOfficer, {R::kOtherDepartment}},
                    {C::kBuildingManager, {R::kNotNamed}},
                    {C::kPublicChannel, {R::kNotNamed}}},
       .relations = HazardRelations()},
      {.rpc = "VerifyHazard", .allowed = Verifiers(), .relations = HazardRelations()},
      {.rpc = "RejectHazard", .allowed = Verifiers(), .relations = HazardRelations()},
      {.rpc = "AssignHazard", .allowed = Verifiers(), .relations = HazardRelations()},
      {.rpc = "StartRectification", .allowed = Rectifiers(), .relations = HazardRelations()},
      {.rpc = "SubmitRectification", .allowed = Rectifiers(), .relations = HazardRelations()},
      // ReviewRectification: district admins, street officers, the supervising department's
      // officers (the lead department by default); never the submitter (the seeding admin
      // submitted: none of the callers).
      {.rpc = "ReviewRectification", .allowed = Verifiers(), .relations = HazardRelations()},
      {.rpc = "ChangeCategory", .allowed = Verifiers(), .relations = HazardRelations()},
      {.rpc = "MergeHazards", .allowed = AdminOrStreet(), .relations = HazardRelations()},
      {.rpc = "UnmergeHazard", .allowed = AdminOrStreet(), .relations = HazardRelations()},
      // MatchPublicReport: district admins and the officer of the report's street (the report
      // is kept at the street of the object's place, or at the district for a street officer's
      // parent).
      {.rpc = "MatchPublicReport", .allowed = AdminOrStreet()},
      {.rpc = "GetGuidance", .allowed = EveryoneBut(C::kPublicChannel)},
      {.rpc = "ListGuidance", .allowed = EveryoneBut(C::kPublicChannel)},
      {.rpc = "GetStatistics", .allowed = StatisticsReaders()},
      {.rpc = "GetStatisticsTrend", .allowed = StatisticsReaders()},
      // NoteDeviceAlarmCleared: internal services (monitoring) only.
      {.rpc = "NoteDeviceAlarmCleared",
       .allowed = {{C::kInternalService, Anywhere()}},
       .relations = HazardRelations()},
      // CheckReadModels (firegridctl rebuild --check): district admins, whatever the object.
      {.rpc = "CheckReadModels", .allowed = {{C::kDistrictAdmin, Anywhere()}}},
  };
  return *table;
}

auth::Principal Seeder(Role role, const std::string& tier, const std::string& subject) {
  auth::Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = subject;
  return p;
}

class HazardsMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::UTCTimeZone())};
    RandomIdGenerator ids;
    std::unique_ptr<Rules> rules;
    std::unique_ptr<redis::Pool> pool;
    std::unique_ptr<HazardStore> store;
    std::unique_ptr<HazardRegistry> registry;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<HazardGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::HazardService::Stub> stub;
    int next = 0;

    ~Env() {
      if (server) server->Shutdown();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    auto rules = Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    ASSERT_TRUE(rules.ok()) << rules.status();
    e.rules = std::make_unique<Rules>(*rules);
    e.pool = testing::NewSharedRedisPool();
    e.store = std::make_unique<HazardStore>(e.pool.get(), "authz");
    e.registry = std::make_unique<HazardRegistry>(e.store.get(), e.rules.get(), &e.clock, &e.ids);
    // As the service does when it starts (CheckReadModels compares the counters once built).
    ASSERT_TRUE(e.store->counters().Build(*e.store).ok());
    e.verifier = e.tokens.Verifier();
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    e.service = std::make_unique<HazardGrpcService>(e.registry.get(), e.authenticator.get());
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = v1::HazardService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  // The object's place and who the building names.
  static std::string Tier(const Row& row) { return ObjectTier(row.caller, row.relation); }
  static std::string NamedSubject(const Row& row) {
    if (row.relation == R::kNamed && row.caller != C::kPublicChannel) {
      return authz_matrix::PrincipalOf(row.caller).subject;
    }
    return authz_matrix::kSomeoneElse;
  }
  // The category of the row's hazard: one the caller's department leads, unless the row is
  // about another department's hazard.
  static v1::HazardCategory Category(const Row& row) {
    return row.relation == R::kOtherDepartment ? v1::HAZARD_CATEGORY_GAS_ELECTRICAL
                                               : v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT;
  }
  // The district admin of the object's district: seeds hazards there.
  static auth::Principal Admin(const std::string& tier) {
    return Seeder(Role::kDistrictAdmin, tier.substr(0, 6), "seed-admin");
  }

  // A new building at `tier` naming `named`, as the buildings service's event makes it known.
  static std::string NewBuilding(const std::string& tier, const std::string& named) {
    Env& e = *env_;
    const std::string id = absl::StrCat("bld_h", ++e.next);
    bv1::BuildingRegistered ev;
    auto* b = ev.mutable_building();
    b->set_building_id(id);
    b->set_name(absl::StrCat("楼 ", id));
    b->set_tier_path(tier);
    b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
    b->set_version(1);
    b->mutable_responsibility()->mutable_chain()->mutable_manager()->set_subject(named);
    EXPECT_TRUE(e.registry
                    ->HandleBuildingEvent(
                        events::NewEnvelope(ev, "buildings", id, tier, e.clock.Now(), e.ids))
                    .ok());
    return id;
  }

  static v1::ReportHazardRequest ReportOf(const std::string& building, v1::HazardCategory c) {
    v1::ReportHazardRequest r;
    r.set_building_id(building);
    r.set_category(c);
    r.set_severity(v1::SEVERITY_GENERAL);
    r.set_source(v1::SOURCE_GRID_INSPECTION);
    r.set_description("消防设施故障");
    r.add_evidence()->set_uri("https://evidence.example/photo.jpg");
    return r;
  }
  // A public tip-off of `building` through the channel of `channel` (a public_channel
  // principal).
  static v1::ReportHazardRequest TipOffOf(const std::string& building, v1::HazardCategory c) {
    v1::ReportHazardRequest r = ReportOf(building, c);
    r.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
    r.mutable_location()->set_latitude(29.82);
    r.mutable_location()->set_longitude(106.43);
    r.mutable_location()->set_address("天生路 1 号");
    r.mutable_reporter()->set_anonymous(true);
    return r;
  }

  // A fresh hazard of the row's object, reported (and taken on to `until` by the seeding
  // admin): REPORTED, VERIFIED, ASSIGNED, RECTIFYING or SUBMITTED.
  static v1::Hazard Seed(const Row& row, v1::Status until = v1::STATUS_REPORTED) {
    Env& e = *env_;
    const std::string tier = Tier(row);
    const std::string building = NewBuilding(tier, NamedSubject(row));
    const auth::Principal admin = Admin(tier);
    absl::StatusOr<v1::ReportHazardResponse> reported;
    if (row.caller == C::kPublicChannel) {
      auth::Principal channel = authz_matrix::PrincipalOf(C::kPublicChannel);
      if (row.relation == R::kNotNamed) channel.subject = "channel:another";
      reported = e.registry->Report(channel, TipOffOf(building, Category(row)));
    } else {
      reported = e.registry->Report(admin, ReportOf(building, Category(row)));
    }
    EXPECT_TRUE(reported.ok()) << reported.status();
    if (!reported.ok()) return {};
    v1::Hazard h = reported->hazard();
    auto step = [&](absl::StatusOr<v1::Hazard> next) {
      EXPECT_TRUE(next.ok()) << next.status();
      if (next.ok()) h = *next;
    };
    if (until == v1::STATUS_REPORTED) return h;
    v1::VerifyHazardRequest verify;
    verify.set_hazard_id(h.hazard_id());
    verify.set_expected_version(h.version());
    step(e.registry->Verify(admin, verify));
    if (until == v1::STATUS_VERIFIED) return h;
    v1::AssignHazardRequest assign;
    assign.set_hazard_id(h.hazard_id());
    assign.set_expected_version(h.version());
    assign.set_responsible_party("重庆嘉陵物业管理有限公司");
    step(e.registry->Assign(admin, assign));
    if (until == v1::STATUS_ASSIGNED) return h;
    v1::StartRectificationRequest start;
    start.set_hazard_id(h.hazard_id());
    start.set_expected_version(h.version());
    step(e.registry->Start(admin, start));
    if (until == v1::STATUS_RECTIFYING) return h;
    v1::SubmitRectificationRequest submit;
    submit.set_hazard_id(h.hazard_id());
    submit.set_expected_version(h.version());
    submit.add_evidence()->set_uri("https://evidence.example/fixed.jpg");
    step(e.registry->Submit(admin, submit));
    return h;
  }

  Observed Call(const Row& row);

  static Env* env_;
};

HazardsMatrix::Env* HazardsMatrix::env_ = nullptr;

Observed HazardsMatrix::Call(const Row& row) {
  Env& e = *env_;
  grpc::ClientContext ctx;
  const std::string token = e.tokens.For(row.caller, e.clock.Now());
  authz_matrix::Attach(&ctx, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto* stub = e.stub.get();
  const std::string& rpc = row.rpc;
  const std::string tier = Tier(row);
  Observed o;
  v1::Hazard out;

  if (rpc == "ReportHazard") {
    const std::string building = NewBuilding(tier, NamedSubject(row));
    v1::ReportHazardRequest req = row.caller == C::kPublicChannel
                                      ? TipOffOf(building, Category(row))
                                      : ReportOf(building, Category(row));
    v1::ReportHazardResponse resp;
    o.status = stub->ReportHazard(&ctx, req, &resp);
  } else if (rpc == "GetHazard") {
    v1::GetHazardRequest req;
    req.set_hazard_id(Seed(row).hazard_id());
    o.status = stub->GetHazard(&ctx, req, &out);
  } else if (rpc == "ListHazards") {
    const std::string id = Seed(row).hazard_id();
    v1::ListHazardsRequest req;
    // Callers with a tier list the object's place; the others everything they may see.
    if (!authz_matrix::PrincipalOf(row.caller).tier_path.empty() &&
        row.caller != C::kDepartmentOfficer && row.caller != C::kPublicChannel) {
      req.set_tier_path_prefix(tier);
    }
    if (row.caller == C::kDepartmentOfficer && row.relation == R::kOtherDistrict) {
      req.set_tier_path_prefix(tier);
    }
    req.set_page_size(500);
    o.object_shown = false;
    do {
      grpc::ClientContext page_ctx;
      authz_matrix::Attach(&page_ctx, token);
      v1::ListHazardsResponse resp;
      o.status = stub->ListHazards(&page_ctx, req, &resp);
      for (const auto& h : resp.hazards()) o.object_shown |= h.hazard_id() == id;
      req.set_page_token(resp.next_page_token());
    } while (o.status.ok() && !req.page_token().empty());
  } else if (rpc == "VerifyHazard") {
    v1::VerifyHazardRequest req;
    const v1::Hazard seeded = Seed(row);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    o.status = stub->VerifyHazard(&ctx, req, &out);
  } else if (rpc == "RejectHazard") {
    v1::RejectHazardRequest req;
    const v1::Hazard seeded = Seed(row);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    req.set_reason("不属实");
    o.status = stub->RejectHazard(&ctx, req, &out);
  } else if (rpc == "AssignHazard") {
    v1::AssignHazardRequest req;
    const v1::Hazard seeded = Seed(row, v1::STATUS_VERIFIED);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    req.set_responsible_party("重庆嘉陵物业管理有限公司");
    o.status = stub->AssignHazard(&ctx, req, &out);
  } else if (rpc == "StartRectification") {
    v1::StartRectificationRequest req;
    const v1::Hazard seeded = Seed(row, v1::STATUS_ASSIGNED);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    o.status = stub->StartRectification(&ctx, req, &out);
  } else if (rpc == "SubmitRectification") {
    v1::SubmitRectificationRequest req;
    const v1::Hazard seeded = Seed(row, v1::STATUS_RECTIFYING);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    req.add_evidence()->set_uri("https://evidence.example/fixed.jpg");
    o.status = stub->SubmitRectification(&ctx, req, &out);
  } else if (rpc == "ReviewRectification") {
    v1::ReviewRectificationRequest req;
    const v1::Hazard seeded = Seed(row, v1::STATUS_SUBMITTED);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    req.set_passed(true);
    o.status = stub->ReviewRectification(&ctx, req, &out);
  } else if (rpc == "ChangeCategory") {
    v1::ChangeCategoryRequest req;
    const v1::Hazard seeded = Seed(row);
    req.set_hazard_id(seeded.hazard_id());
    req.set_expected_version(seeded.version());
    req.set_category(v1::HAZARD_CATEGORY_EVACUATION_BLOCKED);
    req.set_note("实为疏散通道堵塞");
    o.status = stub->ChangeCategory(&ctx, req, &out);
  } else if (rpc == "MergeHazards" || rpc == "UnmergeHazard") {
    // Two open hazards of one building (two categories): the first becomes the duplicate.
    const v1::Hazard target = Seed(row);
    v1::ReportHazardRequest again =
        ReportOf(target.building_id(), v1::HAZARD_CATEGORY_EVACUATION_BLOCKED);
    auto dup = row.caller == C::kPublicChannel
                   ? e.registry->Report(
                         authz_matrix::PrincipalOf(C::kPublicChannel),
                         TipOffOf(target.building_id(), v1::HAZARD_CATEGORY_EVACUATION_BLOCKED))
                   : e.registry->Report(Admin(tier), again);
    EXPECT_TRUE(dup.ok()) << dup.status();
    if (rpc == "MergeHazards") {
      v1::MergeHazardsRequest req;
      req.set_hazard_id(dup->hazard().hazard_id());
      req.set_target_hazard_id(target.hazard_id());
      o.status = stub->MergeHazards(&ctx, req, &out);
    } else {
      v1::MergeHazardsRequest merge;
      merge.set_hazard_id(dup->hazard().hazard_id());
      merge.set_target_hazard_id(target.hazard_id());
      auto merged = e.registry->Merge(Admin(tier), merge);
      EXPECT_TRUE(merged.ok()) << merged.status();
      v1::UnmergeHazardRequest req;
      req.set_hazard_id(dup->hazard().hazard_id());
      o.status = stub->UnmergeHazard(&ctx, req, &out);
    }
  } else if (rpc == "MatchPublicReport") {
    // An unmatched report kept at the street of the object's place (at the district for a
    // district-level place), and a building there to match it to.
    const std::string kept = tier.substr(0, std::min<size_t>(tier.size(), 9));
    const std::string building =
        NewBuilding(kept.size() == 9 ? kept + "001" : kept + "001001", authz_matrix::kSomeoneElse);
    auth::Principal channel = authz_matrix::PrincipalOf(C::kPublicChannel);
    channel.tier_path = kept.substr(0, 6);
    v1::ReportHazardRequest tip = TipOffOf("", v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
    tip.set_unmatched_tier_path(kept);
    auto reported = e.registry->Report(channel, tip);
    EXPECT_TRUE(reported.ok()) << reported.status();
    v1::MatchPublicReportRequest req;
    req.set_hazard_id(reported.ok() ? reported->hazard().hazard_id() : "hz_none");
    req.set_building_id(building);
    if (reported.ok()) req.set_expected_version(reported->hazard().version());
    o.status = stub->MatchPublicReport(&ctx, req, &out);
  } else if (rpc == "GetGuidance") {
    v1::GetGuidanceRequest req;
    req.set_category(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
    v1::Guidance g;
    o.status = stub->GetGuidance(&ctx, req, &g);
  } else if (rpc == "ListGuidance") {
    v1::ListGuidanceResponse resp;
    o.status = stub->ListGuidance(&ctx, v1::ListGuidanceRequest(), &resp);
  } else if (rpc == "GetStatistics") {
    v1::GetStatisticsRequest req;
    req.set_tier_path(tier);
    v1::Statistics s;
    o.status = stub->GetStatistics(&ctx, req, &s);
  } else if (rpc == "GetStatisticsTrend") {
    v1::GetStatisticsTrendRequest req;
    req.set_tier_path(tier);
    v1::StatisticsTrend t;
    o.status = stub->GetStatisticsTrend(&ctx, req, &t);
  } else if (rpc == "NoteDeviceAlarmCleared") {
    // An IoT hazard filed by the monitoring service for a device alarm.
    const std::string building = NewBuilding(tier, NamedSubject(row));
    v1::ReportHazardRequest report = ReportOf(building, Category(row));
    report.set_source(v1::SOURCE_IOT);
    auto* alarm = report.mutable_device_alarm();
    alarm->set_alarm_id(absl::StrCat("alm_", ++e.next));
    alarm->set_device_id("dev-1");
    alarm->set_alarm_type("ALARM_TYPE_FAULT");
    alarm->set_rule_id("fault");
    *alarm->mutable_raised_at() =
        google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(e.clock.Now()));
    auto reported =
        e.registry->Report(Seeder(Role::kInternalService, "", "service:monitoring"), report);
    EXPECT_TRUE(reported.ok()) << reported.status();
    v1::NoteDeviceAlarmClearedRequest req;
    req.set_hazard_id(reported.ok() ? reported->hazard().hazard_id() : "hz_none");
    req.set_alarm_id(alarm->alarm_id());
    o.status = stub->NoteDeviceAlarmCleared(&ctx, req, &out);
  } else if (rpc == "CheckReadModels") {
    readmodels::v1::CheckReadModelsResponse out;
    o.status = stub->CheckReadModels(&ctx, readmodels::v1::CheckReadModelsRequest(), &out);
  } else {
    ADD_FAILURE() << "no call for " << rpc;
  }
  return o;
}

TEST_P(HazardsMatrix, Call) {
  const Row& row = GetParam();
  EXPECT_TRUE(authz_matrix::Matches(row, Call(row)));
}

INSTANTIATE_TEST_SUITE_P(Table, HazardsMatrix, ::testing::ValuesIn(authz_matrix::Expand(Table())),
                         authz_matrix::RowName);

TEST(HazardsMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::HazardService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::hazards
