#include "services/buildings/registry.h"

#include "firegrid/buildings/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/buildings/csv.h"
#include "services/buildings/memory_store.h"

namespace firegrid::buildings {
namespace {

using auth::Principal;
using auth::Role;
using ::testing::HasSubstr;

constexpr char kDistrict[] = "500109";
constexpr char kStreet[] = "500109001";
constexpr char kCommunityA[] = "500109001001";
constexpr char kCommunityB[] = "500109001002";
constexpr char kOtherStreet[] = "500109002";
constexpr char kCommunityC[] = "500109002001";

Principal Make(Role role, const std::string& tier, const std::string& subject = "u") {
  Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = subject;
  return p;
}

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest()
      // Monday 2026-11-23 10:00 China Standard Time.
      : clock_(absl::FromCivil(absl::CivilHour(2026, 11, 23, 10), absl::FixedTimeZone(8 * 3600))),
        registry_(&store_, DefaultRules(), &clock_, &ids_) {}

  void SetUp() override {
    admin_ = Make(Role::kDistrictAdmin, kDistrict, "admin");
    street_ = Make(Role::kStreetOfficer, kStreet, "street");
    worker_a_ = Make(Role::kCommunityWorker, kCommunityA, "worker-a");
    worker_b_ = Make(Role::kCommunityWorker, kCommunityB, "worker-b");
    Unit(kDistrict, v1::ORG_UNIT_KIND_DISTRICT, "", "北碚区");
    Unit(kStreet, v1::ORG_UNIT_KIND_STREET, kDistrict, "天生街道");
    Unit(kOtherStreet, v1::ORG_UNIT_KIND_STREET, kDistrict, "朝阳街道");
    Unit(kCommunityA, v1::ORG_UNIT_KIND_COMMUNITY, kStreet, "凤凰社区");
    Unit(kCommunityB, v1::ORG_UNIT_KIND_COMMUNITY, kStreet, "天生社区");
    Unit(kCommunityC, v1::ORG_UNIT_KIND_COMMUNITY, kOtherStreet, "朝阳社区");
  }

  void Unit(const std::string& code, v1::OrgUnitKind kind, const std::string& parent,
            const std::string& name) {
    v1::UpsertOrgUnitRequest req;
    req.mutable_org_unit()->set_code(code);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent_code(parent);
    req.mutable_org_unit()->set_name(name);
    auto u = registry_.UpsertOrgUnit(admin_, req);
    ASSERT_TRUE(u.ok()) << u.status();
  }

  static v1::Building Fields(const std::string& tier, double height = 60,
                             v1::BuildingUse use = v1::BUILDING_USE_RESIDENTIAL) {
    v1::Building b;
    b.set_name("嘉陵苑 1 栋");
    b.set_address("北碚区天生路 1 号");
    b.set_tier_path(tier);
    b.mutable_location()->set_latitude(29.82);
    b.mutable_location()->set_longitude(106.43);
    b.set_use(use);
    b.set_height_m(height);
    b.set_floors_above_ground(static_cast<int>(height / 3));
    return b;
  }

  v1::Building Create(const Principal& p, const std::string& tier, double height = 60) {
    v1::CreateBuildingRequest req;
    *req.mutable_building() = Fields(tier, height);
    auto b = registry_.CreateBuilding(p, req);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : v1::Building();
  }

  v1::ResponsibilityChain Chain(const std::string& manager_subject = "") {
    v1::ResponsibilityChain c;
    c.set_management_unit("重庆嘉陵物业管理有限公司");
    c.mutable_responsible_person()->set_name("张三");
    c.mutable_responsible_person()->set_phone("13800000001");
    c.mutable_manager()->set_name("李四");
    c.mutable_manager()->set_phone("13800000002");
    c.mutable_manager()->set_subject(manager_subject);
    c.mutable_building_head()->set_name("王五");
    c.mutable_building_head()->set_phone("13800000003");
    c.set_property_company("重庆嘉陵物业管理有限公司");
    return c;
  }

  std::vector<events::Envelope> Events() {
    std::vector<events::Envelope> out;
    for (const auto& m : store_.outbox()) {
      EXPECT_EQ(m.topic, events::kBuildingsTopic);
      auto e = events::ParseEnvelope(m.value);
      EXPECT_TRUE(e.ok()) << e.status();
      EXPECT_EQ(m.key, e->building_id());
      out.push_back(*e);
    }
    return out;
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  MemoryStore store_;
  Registry registry_;
  Principal admin_, street_, worker_a_, worker_b_;
};

// ----- Org units -----

TEST_F(RegistryTest, OrgUnitTierPathsFollowDivisionCodes) {
  v1::GetOrgUnitRequest get;
  get.set_code(kCommunityA);
  auto u = registry_.GetOrgUnit(worker_a_, get);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->tier_path(), kCommunityA);
  // A community worker sees the units above it but not a neighbouring community.
  get.set_code(kStreet);
  EXPECT_TRUE(registry_.GetOrgUnit(worker_a_, get).ok());
  get.set_code(kCommunityB);
  EXPECT_EQ(registry_.GetOrgUnit(worker_a_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, DepartmentsHangUnderTheirDistrict) {
  Unit("500109.urban_management", v1::ORG_UNIT_KIND_DEPARTMENT, kDistrict, "区城市管理局");
  v1::GetOrgUnitRequest get;
  get.set_code("500109.urban_management");
  auto u = registry_.GetOrgUnit(admin_, get);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->tier_path(), kDistrict);
}

TEST_F(RegistryTest, OrgUnitValidationNamesTheField) {
  v1::UpsertOrgUnitRequest req;
  req.mutable_org_unit()->set_code("50010900100");  // 11 digits
  req.mutable_org_unit()->set_kind(v1::ORG_UNIT_KIND_COMMUNITY);
  req.mutable_org_unit()->set_parent_code(kStreet);
  req.mutable_org_unit()->set_name("x");
  auto s = registry_.UpsertOrgUnit(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("org_unit.code"));
  // Parent must exist.
  req.mutable_org_unit()->set_code("500109009001");
  req.mutable_org_unit()->set_parent_code("500109009");
  s = registry_.UpsertOrgUnit(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("org_unit.parent_code"));
  // Only district admins manage org units.
  req.mutable_org_unit()->set_code("500109001009");
  req.mutable_org_unit()->set_parent_code(kStreet);
  EXPECT_EQ(registry_.UpsertOrgUnit(street_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, ListOrgUnitsPagesWithinScope) {
  v1::ListOrgUnitsRequest req;
  req.set_page_size(2);
  auto page1 = registry_.ListOrgUnits(street_, req);
  ASSERT_TRUE(page1.ok()) << page1.status();
  EXPECT_EQ(page1->org_units_size(), 2);
  ASSERT_FALSE(page1->next_page_token().empty());
  req.set_page_token(page1->next_page_token());
  auto page2 = registry_.ListOrgUnits(street_, req);
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page2->org_units_size(), 1);  // street + 2 communities
  EXPECT_TRUE(page2->next_page_token().empty());
  req.clear_page_token();
  req.set_tier_path_prefix(kOtherStreet);
  EXPECT_EQ(registry_.ListOrgUnits(street_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// ----- Create / get / update -----

TEST_F(RegistryTest, CreateDerivesClassAndPublishesRegistered) {
  v1::Building b = Create(worker_a_, kCommunityA, 60);
  EXPECT_EQ(b.building_id(), "bld_0001");
  EXPECT_EQ(b.building_class(), v1::BUILDING_CLASS_I);
  EXPECT_EQ(b.version(), 1);
  EXPECT_EQ(b.responsibility().filing_state(), v1::FILING_STATE_MISSING);
  EXPECT_FALSE(b.fire_access_compliant());  // a high-rise without lanes
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type(), "firegrid.buildings.v1.BuildingRegistered");
  EXPECT_EQ(evs[0].producer(), "buildings");
  EXPECT_EQ(evs[0].tier_path(), kCommunityA);
  auto payload = events::Unpack<v1::BuildingRegistered>(evs[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->building().building_id(), b.building_id());
}

TEST_F(RegistryTest, CreateRejectsServerOwnedFields) {
  v1::CreateBuildingRequest req;
  *req.mutable_building() = Fields(kCommunityA);
  req.mutable_building()->set_building_class(v1::BUILDING_CLASS_II);
  auto s = registry_.CreateBuilding(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("building.building_class"));
  *req.mutable_building() = Fields(kCommunityA);
  req.mutable_building()->set_version(7);
  EXPECT_THAT(std::string(registry_.CreateBuilding(admin_, req).status().message()),
              HasSubstr("building.version"));
  *req.mutable_building() = Fields(kCommunityA);
  req.mutable_building()->add_facilities()->set_kind(v1::FACILITY_KIND_SPRINKLER);
  EXPECT_THAT(std::string(registry_.CreateBuilding(admin_, req).status().message()),
              HasSubstr("building.facilities"));
  EXPECT_TRUE(store_.outbox().empty());
}

struct BadField {
  std::function<void(v1::Building*)> mutate;
  std::string field;
};

class CreateValidationTest : public RegistryTest, public ::testing::WithParamInterface<BadField> {};

TEST_P(CreateValidationTest, InvalidInputNamesTheField) {
  v1::CreateBuildingRequest req;
  *req.mutable_building() = Fields(kCommunityA);
  GetParam().mutate(req.mutable_building());
  auto s = registry_.CreateBuilding(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().field));
  EXPECT_TRUE(store_.outbox().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Fields, CreateValidationTest,
    ::testing::Values(
        BadField{[](v1::Building* b) { b->set_name("  "); }, "building.name"},
        BadField{[](v1::Building* b) { b->set_name("a\x01"); }, "building.name"},
        BadField{[](v1::Building* b) { b->set_tier_path("500109001"); }, "building.tier_path"},
        BadField{[](v1::Building* b) { b->set_tier_path("500109001099"); }, "building.tier_path"},
        BadField{[](v1::Building* b) { b->clear_location(); }, "building.location"},
        BadField{[](v1::Building* b) { b->mutable_location()->set_latitude(95); },
                 "building.location.latitude"},
        BadField{[](v1::Building* b) { b->set_use(v1::BUILDING_USE_UNSPECIFIED); }, "building.use"},
        BadField{[](v1::Building* b) { b->set_height_m(0); }, "building.height_m"},
        BadField{[](v1::Building* b) { b->set_height_m(std::nan("")); }, "building.height_m"},
        BadField{[](v1::Building* b) { b->set_floors_above_ground(0); },
                 "building.floors_above_ground"},
        BadField{[](v1::Building* b) { b->set_year_built(2999); }, "building.year_built"}));

TEST_F(RegistryTest, CreateWithRequestIdIsIdempotent) {
  v1::CreateBuildingRequest req;
  *req.mutable_building() = Fields(kCommunityA);
  req.set_request_id("import-42");
  auto first = registry_.CreateBuilding(admin_, req);
  auto second = registry_.CreateBuilding(admin_, req);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->building_id(), second->building_id());
  EXPECT_EQ(store_.outbox().size(), 1u);
}

TEST_F(RegistryTest, CommunityWorkerCannotReadOrChangeAnotherCommunitysBuilding) {
  v1::Building b = Create(worker_a_, kCommunityA);
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  EXPECT_TRUE(registry_.GetBuilding(worker_a_, get).ok());
  EXPECT_EQ(registry_.GetBuilding(worker_b_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b.building_id());
  upd.mutable_building()->set_name("renamed");
  upd.mutable_update_mask()->add_paths("name");
  upd.set_expected_version(b.version());
  EXPECT_EQ(registry_.UpdateBuilding(worker_b_, upd).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Nor create one there.
  v1::CreateBuildingRequest create;
  *create.mutable_building() = Fields(kCommunityA);
  EXPECT_EQ(registry_.CreateBuilding(worker_b_, create).status().code(),
            absl::StatusCode::kPermissionDenied);
  // The street above both may.
  EXPECT_TRUE(registry_.GetBuilding(street_, get).ok());
  EXPECT_TRUE(registry_.UpdateBuilding(street_, upd).ok());
}

TEST_F(RegistryTest, UnknownBuildingIsNotFoundAndMalformedIdIsInvalid) {
  v1::GetBuildingRequest get;
  get.set_building_id("bld_nope");
  EXPECT_EQ(registry_.GetBuilding(admin_, get).status().code(), absl::StatusCode::kNotFound);
  get.set_building_id("../etc");
  EXPECT_EQ(registry_.GetBuilding(admin_, get).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, UpdateChecksVersionRederivesClassAndPublishes) {
  v1::Building b = Create(admin_, kCommunityA, 30);
  EXPECT_EQ(b.building_class(), v1::BUILDING_CLASS_II);
  store_.ClearOutbox();
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b.building_id());
  upd.mutable_building()->set_height_m(110);
  upd.mutable_update_mask()->add_paths("height_m");
  upd.set_expected_version(b.version());
  auto after = registry_.UpdateBuilding(admin_, upd);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->building_class(), v1::BUILDING_CLASS_SUPER_HIGH_RISE);
  EXPECT_EQ(after->version(), 2);
  EXPECT_EQ(after->name(), b.name());  // untouched fields stay
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  auto payload = events::Unpack<v1::BuildingUpdated>(evs[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_THAT(payload->changed_fields(), ::testing::ElementsAre("height_m"));
  // The same stale version again: ABORTED, nothing written.
  auto stale = registry_.UpdateBuilding(admin_, upd);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(RegistryTest, UpdateRefusesServerOwnedAndUnknownPaths) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b.building_id());
  upd.mutable_building()->set_building_class(v1::BUILDING_CLASS_II);
  upd.mutable_update_mask()->add_paths("building_class");
  upd.set_expected_version(b.version());
  auto s = registry_.UpdateBuilding(admin_, upd).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("building_class"));
  upd.mutable_update_mask()->set_paths(0, "version");
  EXPECT_EQ(registry_.UpdateBuilding(admin_, upd).status().code(),
            absl::StatusCode::kInvalidArgument);
  upd.mutable_update_mask()->Clear();
  EXPECT_EQ(registry_.UpdateBuilding(admin_, upd).status().code(),
            absl::StatusCode::kInvalidArgument);
  upd.mutable_update_mask()->add_paths("name");
  upd.set_expected_version(0);
  EXPECT_THAT(std::string(registry_.UpdateBuilding(admin_, upd).status().message()),
              HasSubstr("expected_version"));
}

TEST_F(RegistryTest, MovingABuildingNeedsScopeOverBothPlaces) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b.building_id());
  upd.mutable_building()->set_tier_path(kCommunityC);
  upd.mutable_update_mask()->add_paths("tier_path");
  upd.set_expected_version(b.version());
  EXPECT_EQ(registry_.UpdateBuilding(street_, upd).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto moved = registry_.UpdateBuilding(admin_, upd);
  ASSERT_TRUE(moved.ok()) << moved.status();
  v1::ListBuildingsRequest list;
  list.set_tier_path_prefix(kOtherStreet);
  auto l = registry_.ListBuildings(admin_, list);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->buildings_size(), 1);
  EXPECT_EQ(l->buildings(0).tier_path(), kCommunityC);
}

// ----- List -----

TEST_F(RegistryTest, ListFiltersAndPagesWithoutGapsOrRepeats) {
  for (int i = 0; i < 7; ++i) Create(admin_, kCommunityA, 20 + 10 * i);  // 20..80 m
  for (int i = 0; i < 3; ++i) Create(admin_, kCommunityB, 30);
  Create(admin_, kCommunityC, 30);
  v1::ListBuildingsRequest req;
  req.set_page_size(4);
  std::set<std::string> seen;
  int pages = 0;
  do {
    auto resp = registry_.ListBuildings(street_, req);
    ASSERT_TRUE(resp.ok()) << resp.status();
    for (const auto& b : resp->buildings()) {
      EXPECT_TRUE(seen.insert(b.building_id()).second) << "repeated " << b.building_id();
      EXPECT_EQ(b.tier_path().substr(0, 9), kStreet);
    }
    req.set_page_token(resp->next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(pages, 3);

  v1::ListBuildingsRequest filtered;
  filtered.add_classes(v1::BUILDING_CLASS_I);
  auto classes = registry_.ListBuildings(admin_, filtered);
  ASSERT_TRUE(classes.ok());
  EXPECT_EQ(classes->buildings_size(), 3);  // 60, 70, 80 m residential
  filtered.Clear();
  filtered.add_classes(v1::BUILDING_CLASS_NOT_HIGH_RISE);
  EXPECT_EQ(registry_.ListBuildings(admin_, filtered)->buildings_size(), 1);  // 20 m
}

TEST_F(RegistryTest, ListRejectsForeignPageTokensAndOutOfScopePrefixes) {
  v1::ListBuildingsRequest req;
  req.set_page_token("500109002001|bld_x");
  EXPECT_EQ(registry_.ListBuildings(street_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.clear_page_token();
  req.set_tier_path_prefix(kDistrict);
  EXPECT_EQ(registry_.ListBuildings(street_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
  req.set_tier_path_prefix("5001x");
  EXPECT_EQ(registry_.ListBuildings(admin_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.Clear();
  req.set_page_size(501);
  EXPECT_EQ(registry_.ListBuildings(admin_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ----- Responsibility -----

TEST_F(RegistryTest, FilingRecordsHistoryFlagsLateAndPublishes) {
  v1::Building b = Create(admin_, kCommunityA);
  store_.ClearOutbox();
  v1::FileResponsibilityRequest req;
  req.set_building_id(b.building_id());
  req.set_expected_version(b.version());
  *req.mutable_chain() = Chain();
  auto changed = registry_.FileResponsibility(street_, req);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->responsibility().filing_state(), v1::FILING_STATE_PENDING);

  // Five working days later (Monday → next Monday) it is still pending; a day later, late.
  clock_.Advance(absl::Hours(24 * 7));
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  EXPECT_EQ(registry_.GetBuilding(admin_, get)->responsibility().filing_state(),
            v1::FILING_STATE_PENDING);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(registry_.GetBuilding(admin_, get)->responsibility().filing_state(),
            v1::FILING_STATE_LATE);
  v1::ListBuildingsRequest late;
  late.add_filing_states(v1::FILING_STATE_LATE);
  EXPECT_EQ(registry_.ListBuildings(admin_, late)->buildings_size(), 1);

  // Filing the document with the same chain makes it FILED.
  req.set_expected_version(changed->version());
  req.mutable_filing()->set_document_number("北碚天生备〔2026〕3号");
  *req.mutable_filing()->mutable_filed_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
  auto filed = registry_.FileResponsibility(street_, req);
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->responsibility().filing_state(), v1::FILING_STATE_FILED);
  EXPECT_EQ(filed->responsibility().filing().filed_with(), kStreet);

  v1::GetResponsibilityHistoryRequest h;
  h.set_building_id(b.building_id());
  auto history = registry_.GetResponsibilityHistory(admin_, h);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->records_size(), 2);
  EXPECT_TRUE(history->records(0).chain_changed());
  EXPECT_FALSE(history->records(1).chain_changed());
  EXPECT_EQ(history->records(1).recorded_by(), "street");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[1].type(), "firegrid.buildings.v1.ResponsibilityFiled");
}

TEST_F(RegistryTest, FilingValidatesChainAndDocumentAndRole) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::FileResponsibilityRequest req;
  req.set_building_id(b.building_id());
  req.set_expected_version(b.version());
  *req.mutable_chain() = Chain();
  req.mutable_chain()->mutable_manager()->set_phone("call me");
  EXPECT_THAT(std::string(registry_.FileResponsibility(admin_, req).status().message()),
              HasSubstr("chain.manager.phone"));
  *req.mutable_chain() = Chain();
  req.mutable_chain()->clear_property_company();
  EXPECT_THAT(std::string(registry_.FileResponsibility(admin_, req).status().message()),
              HasSubstr("chain.property_company"));
  *req.mutable_chain() = Chain();
  req.mutable_filing()->set_document_number("doc");
  *req.mutable_filing()->mutable_filed_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  EXPECT_THAT(std::string(registry_.FileResponsibility(admin_, req).status().message()),
              HasSubstr("filing.filed_at"));
  req.clear_filing();
  // Filing belongs to the street/town: a community worker may not.
  EXPECT_EQ(registry_.FileResponsibility(worker_a_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, ThreeNosBuildingMayHaveNoPropertyCompany) {
  v1::CreateBuildingRequest create;
  *create.mutable_building() = Fields(kCommunityA);
  create.mutable_building()->set_three_nos(true);
  auto b = registry_.CreateBuilding(admin_, create);
  ASSERT_TRUE(b.ok());
  v1::FileResponsibilityRequest req;
  req.set_building_id(b->building_id());
  req.set_expected_version(b->version());
  *req.mutable_chain() = Chain();
  req.mutable_chain()->clear_property_company();
  EXPECT_TRUE(registry_.FileResponsibility(admin_, req).ok());
}

TEST_F(RegistryTest, BuildingManagerSeesOnlyBuildingsThatNameIt) {
  v1::Building mine = Create(admin_, kCommunityA);
  v1::Building other = Create(admin_, kCommunityA);
  v1::FileResponsibilityRequest req;
  req.set_building_id(mine.building_id());
  req.set_expected_version(mine.version());
  *req.mutable_chain() = Chain("mgr-7");
  ASSERT_TRUE(registry_.FileResponsibility(admin_, req).ok());
  Principal mgr = Make(Role::kBuildingManager, "", "mgr-7");
  v1::GetBuildingRequest get;
  get.set_building_id(mine.building_id());
  EXPECT_TRUE(registry_.GetBuilding(mgr, get).ok());
  get.set_building_id(other.building_id());
  EXPECT_EQ(registry_.GetBuilding(mgr, get).status().code(), absl::StatusCode::kPermissionDenied);
  auto list = registry_.ListBuildings(mgr, v1::ListBuildingsRequest());
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->buildings_size(), 1);
  EXPECT_EQ(list->buildings(0).building_id(), mine.building_id());
  // It may record facility status on its own building but not change the building.
  v1::SetFacilityStatusRequest f;
  f.set_building_id(mine.building_id());
  f.set_kind(v1::FACILITY_KIND_FIRE_ALARM);
  f.set_status(v1::FACILITY_STATUS_FAULT);
  EXPECT_TRUE(registry_.SetFacilityStatus(mgr, f).ok());
  f.set_building_id(other.building_id());
  EXPECT_EQ(registry_.SetFacilityStatus(mgr, f).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(mine.building_id());
  upd.mutable_update_mask()->add_paths("name");
  upd.mutable_building()->set_name("x");
  upd.set_expected_version(3);
  EXPECT_EQ(registry_.UpdateBuilding(mgr, upd).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RegistryTest, ServiceAgencyHasNoAccessToTheRegistry) {
  v1::Building b = Create(admin_, kCommunityA);
  Principal agency = Make(Role::kServiceAgency, kDistrict, "agency");
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  EXPECT_EQ(registry_.GetBuilding(agency, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_.ListBuildings(agency, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// ----- Facilities -----

TEST_F(RegistryTest, FacilityStatusChangePublishesOnlyOnChange) {
  v1::Building b = Create(admin_, kCommunityA);
  store_.ClearOutbox();
  v1::SetFacilityStatusRequest req;
  req.set_building_id(b.building_id());
  req.set_kind(v1::FACILITY_KIND_INDOOR_HYDRANT);
  req.set_status(v1::FACILITY_STATUS_NO_WATER);
  Principal fire = Make(Role::kDepartmentOfficer, kDistrict, "fire-officer");
  auto r = registry_.SetFacilityStatus(fire, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->facilities_size(), 1);
  EXPECT_EQ(r->facilities(0).updated_by(), "fire-officer");
  req.set_note("still dry");
  ASSERT_TRUE(registry_.SetFacilityStatus(fire, req).ok());
  req.set_status(v1::FACILITY_STATUS_NORMAL);
  ASSERT_TRUE(registry_.SetFacilityStatus(fire, req).ok());
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u);
  auto last = events::Unpack<v1::FacilityStatusChanged>(evs[1]);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->previous_status(), v1::FACILITY_STATUS_NO_WATER);
  EXPECT_EQ(last->facility().status(), v1::FACILITY_STATUS_NORMAL);
}

TEST_F(RegistryTest, NoWaterAppliesOnlyToIndoorHydrants) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::SetFacilityStatusRequest req;
  req.set_building_id(b.building_id());
  req.set_kind(v1::FACILITY_KIND_SPRINKLER);
  req.set_status(v1::FACILITY_STATUS_NO_WATER);
  auto s = registry_.SetFacilityStatus(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("status"));
}

// ----- Fire access -----

TEST_F(RegistryTest, NonCompliantFireAccessPublishesItsViolations) {
  v1::Building b = Create(admin_, kCommunityA, 40);
  store_.ClearOutbox();
  v1::SetFireAccessRequest req;
  req.set_building_id(b.building_id());
  req.set_expected_version(b.version());
  auto* lane = req.add_fire_lanes();
  lane->set_lane_id("north");
  lane->set_clear_width_m(3.2);
  lane->set_clear_height_m(5);
  lane->set_slope_percent(4);
  lane->set_turning_radius_m(12);
  lane->set_load_capacity_t(40);
  lane->set_occupied(true);
  auto r = registry_.SetFireAccess(worker_a_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->assessment().compliant());
  EXPECT_FALSE(r->building().fire_access_compliant());
  EXPECT_EQ(r->building().fire_access_violations(), r->assessment().violations_size());
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  auto payload = events::Unpack<v1::FireAccessNonCompliant>(evs[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->assessment().violations_size(), r->assessment().violations_size());
  // Stale version.
  EXPECT_EQ(registry_.SetFireAccess(worker_a_, req).status().code(), absl::StatusCode::kAborted);
  // Duplicate ids are refused.
  req.set_expected_version(r->building().version());
  *req.add_fire_lanes() = *lane;
  EXPECT_THAT(std::string(registry_.SetFireAccess(worker_a_, req).status().message()),
              HasSubstr("fire_lanes[1].lane_id"));
}

// ----- Hydrants, stations, nearby -----

TEST_F(RegistryTest, NearbyFindsTheNearestInServiceHydrant) {
  v1::Building b = Create(admin_, kCommunityA);
  auto add = [&](double dlat, v1::HydrantStatus st) {
    v1::RegisterHydrantRequest req;
    req.mutable_hydrant()->set_tier_path(kCommunityA);
    req.mutable_hydrant()->mutable_location()->set_latitude(29.82 + dlat);
    req.mutable_hydrant()->mutable_location()->set_longitude(106.43);
    req.mutable_hydrant()->set_status(st);
    auto h = registry_.RegisterHydrant(street_, req);
    EXPECT_TRUE(h.ok()) << h.status();
    return h->hydrant_id();
  };
  const std::string near_broken = add(0.0005, v1::HYDRANT_STATUS_VALVE_SHUT);  // ~55 m
  const std::string mid = add(0.001, v1::HYDRANT_STATUS_IN_SERVICE);           // ~111 m
  add(0.05, v1::HYDRANT_STATUS_IN_SERVICE);                                    // ~5.5 km
  v1::FindNearbyRequest req;
  req.set_building_id(b.building_id());
  req.set_kind(v1::NEARBY_KIND_HYDRANT);
  auto all = registry_.FindNearby(worker_a_, req);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->results_size(), 2);
  EXPECT_EQ(all->results(0).hydrant().hydrant_id(), near_broken);
  EXPECT_NEAR(all->results(0).distance_m(), 55.6, 1.0);
  req.set_in_service_only(true);
  auto ok = registry_.FindNearby(worker_a_, req);
  ASSERT_EQ(ok->results_size(), 1);
  EXPECT_EQ(ok->results(0).hydrant().hydrant_id(), mid);
  // Community workers may not register hydrants; bad input names the field.
  v1::RegisterHydrantRequest bad;
  bad.mutable_hydrant()->set_tier_path(kCommunityA);
  bad.mutable_hydrant()->mutable_location()->set_latitude(29.8);
  bad.mutable_hydrant()->mutable_location()->set_longitude(106.4);
  bad.mutable_hydrant()->set_status(v1::HYDRANT_STATUS_IN_SERVICE);
  EXPECT_EQ(registry_.RegisterHydrant(worker_a_, bad).status().code(),
            absl::StatusCode::kPermissionDenied);
  bad.mutable_hydrant()->set_status(v1::HYDRANT_STATUS_UNSPECIFIED);
  EXPECT_THAT(std::string(registry_.RegisterHydrant(street_, bad).status().message()),
              HasSubstr("hydrant.status"));
  req.set_kind(v1::NEARBY_KIND_UNSPECIFIED);
  EXPECT_THAT(std::string(registry_.FindNearby(worker_a_, req).status().message()),
              HasSubstr("kind"));
}

TEST_F(RegistryTest, NearestMicroStation) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::RegisterMicroStationRequest req;
  req.mutable_station()->set_name("天生社区微型消防站");
  req.mutable_station()->set_tier_path(kCommunityA);
  req.mutable_station()->mutable_location()->set_latitude(29.821);
  req.mutable_station()->mutable_location()->set_longitude(106.431);
  req.mutable_station()->set_staff(6);
  req.mutable_station()->set_on_duty_24h(true);
  auto s = registry_.RegisterMicroStation(admin_, req);
  ASSERT_TRUE(s.ok()) << s.status();
  v1::FindNearbyRequest near;
  near.set_building_id(b.building_id());
  near.set_kind(v1::NEARBY_KIND_MICRO_STATION);
  auto r = registry_.FindNearby(worker_a_, near);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->results_size(), 1);
  EXPECT_EQ(r->results(0).station().name(), "天生社区微型消防站");
}

// ----- Ledger and CSV -----

TEST_F(RegistryTest, LedgerReflectsFilingAndIsScoped) {
  v1::Building a = Create(admin_, kCommunityA);
  Create(admin_, kCommunityB);
  Create(admin_, kCommunityC);
  v1::FileResponsibilityRequest req;
  req.set_building_id(a.building_id());
  req.set_expected_version(a.version());
  *req.mutable_chain() = Chain();
  req.mutable_filing()->set_document_number("doc-1");
  *req.mutable_filing()->mutable_filed_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
  ASSERT_TRUE(registry_.FileResponsibility(street_, req).ok());
  auto ledger = registry_.GetLedger(street_, v1::GetLedgerRequest());
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->tier_path(), kStreet);
  EXPECT_EQ(ledger->name(), "天生街道");
  EXPECT_EQ(ledger->totals().buildings(), 2);
  EXPECT_EQ(ledger->totals().responsibility_filed(), 1);
  EXPECT_DOUBLE_EQ(ledger->totals().responsibility_filed_pct(), 50.0);
  ASSERT_EQ(ledger->rows_size(), 2);
  EXPECT_EQ(ledger->rows(0).name(), "凤凰社区");
  v1::GetLedgerRequest other;
  other.set_tier_path(kOtherStreet);
  EXPECT_EQ(registry_.GetLedger(street_, other).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto csv = registry_.ExportLedgerCsv(street_, v1::ExportLedgerCsvRequest());
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->rows(), 2);
  EXPECT_THAT(csv->filename(), HasSubstr("500109001"));
  auto parsed = ParseCsv(csv->content());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 3u);
}

TEST_F(RegistryTest, CsvImportIsAllOrNothingAndReportsEveryBadRow) {
  const std::string header =
      "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground,three_nos\n";
  const std::string bad = header +
                          "甲栋,地址,500109001001,29.8,106.4,residential,60,20,no\n"
                          "乙栋,地址,500109001001,29.8,106.4,castle,60,20,no\n"
                          "丙栋,地址,500109002001,29.8,106.4,office,60,20,no\n"
                          "丁栋,地址,500109001001,29.8,106.4,office,tall,20,maybe\n";
  v1::ImportBuildingsCsvRequest req;
  req.set_content(bad);
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->imported(), 0);
  EXPECT_EQ(r->rows(), 4);
  ASSERT_EQ(r->errors_size(), 4);
  EXPECT_EQ(r->errors(0).line(), 3);
  EXPECT_EQ(r->errors(0).column(), "use");
  EXPECT_EQ(r->errors(1).line(), 4);
  EXPECT_EQ(r->errors(1).column(), "tier_path");  // other street: out of scope
  EXPECT_EQ(r->errors(2).line(), 5);
  EXPECT_EQ(r->errors(2).column(), "height_m");
  EXPECT_EQ(r->errors(3).column(), "three_nos");
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(registry_.ListBuildings(admin_, {})->buildings_size(), 0);

  req.set_content(header +
                  "甲栋,地址,500109001001,29.8,106.4,residential,60,20,no\n"
                  "\"乙栋, 东\",地址,500109001002,29.8,106.4,OFFICE,30,10,yes\n");
  req.set_dry_run(true);
  r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->errors().empty());
  EXPECT_EQ(r->imported(), 0);
  req.set_dry_run(false);
  r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->imported(), 2);
  EXPECT_EQ(store_.outbox().size(), 2u);
  auto list = registry_.ListBuildings(admin_, {});
  ASSERT_EQ(list->buildings_size(), 2);
  EXPECT_EQ(list->buildings(1).name(), "乙栋, 东");
  EXPECT_TRUE(list->buildings(1).three_nos());
}

TEST_F(RegistryTest, CsvImportChecksTheHeader) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content("name,colour\nx,red\n");
  auto r = registry_.ImportBuildingsCsv(admin_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(r->errors_size(), 2);
  EXPECT_EQ(r->errors(0).line(), 1);
  req.set_content("");
  EXPECT_EQ(registry_.ImportBuildingsCsv(admin_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_.ImportBuildingsCsv(worker_a_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::buildings
