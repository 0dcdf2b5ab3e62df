#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using BuildingsTest = RegistryTest;

TEST_F(BuildingsTest, CreateDerivesClassAndPublishesRegistered) {
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

TEST_F(BuildingsTest, CreateRejectsServerOwnedFields) {
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
  std::string name;  // the test's name: what is wrong
  std::function<void(v1::Building*)> mutate;
  std::string field;
};

void PrintTo(const BadField& c, std::ostream* os) { *os << c.name << " → " << c.field; }

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
        BadField{"BlankName", [](v1::Building* b) { b->set_name("  "); }, "building.name"},
        BadField{"ControlCharInName", [](v1::Building* b) { b->set_name("a\x01"); },
                 "building.name"},
        BadField{"StreetCodeAsTierPath", [](v1::Building* b) { b->set_tier_path("500109001"); },
                 "building.tier_path"},
        BadField{"UnknownCommunity", [](v1::Building* b) { b->set_tier_path("500109001099"); },
                 "building.tier_path"},
        BadField{"NoLocation", [](v1::Building* b) { b->clear_location(); }, "building.location"},
        BadField{"LatitudeOutOfRange",
                 [](v1::Building* b) { b->mutable_location()->set_latitude(95); },
                 "building.location.latitude"},
        BadField{"UnspecifiedUse",
                 [](v1::Building* b) { b->set_use(v1::BUILDING_USE_UNSPECIFIED); }, "building.use"},
        BadField{"ZeroHeight", [](v1::Building* b) { b->set_height_m(0); }, "building.height_m"},
        BadField{"NanHeight", [](v1::Building* b) { b->set_height_m(std::nan("")); },
                 "building.height_m"},
        BadField{"NoFloorsAboveGround", [](v1::Building* b) { b->set_floors_above_ground(0); },
                 "building.floors_above_ground"},
        BadField{"YearBuiltInTheFuture", [](v1::Building* b) { b->set_year_built(2999); },
                 "building.year_built"}),
    [](const ::testing::TestParamInfo<BadField>& info) { return info.param.name; });

TEST_F(BuildingsTest, CreateWithRequestIdIsIdempotent) {
  v1::CreateBuildingRequest req;
  *req.mutable_building() = Fields(kCommunityA);
  req.set_request_id("import-42");
  auto first = registry_.CreateBuilding(admin_, req);
  auto second = registry_.CreateBuilding(admin_, req);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->building_id(), second->building_id());
  EXPECT_EQ(store_.outbox().size(), 1u);
}

TEST_F(BuildingsTest, CommunityWorkerCannotReadOrChangeAnotherCommunitysBuilding) {
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

TEST_F(BuildingsTest, UnknownBuildingIsNotFoundAndMalformedIdIsInvalid) {
  v1::GetBuildingRequest get;
  get.set_building_id("bld_nope");
  EXPECT_EQ(registry_.GetBuilding(admin_, get).status().code(), absl::StatusCode::kNotFound);
  get.set_building_id("../etc");
  EXPECT_EQ(registry_.GetBuilding(admin_, get).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BuildingsTest, UpdateChecksVersionRederivesClassAndPublishes) {
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

TEST_F(BuildingsTest, UpdateRefusesServerOwnedAndUnknownPaths) {
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

TEST_F(BuildingsTest, MovingABuildingNeedsScopeOverBothPlaces) {
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

TEST_F(BuildingsTest, ListFiltersAndPagesWithoutGapsOrRepeats) {
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
    EXPECT_EQ(resp->next_page_token().find('|'), std::string::npos) << "token is not opaque";
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

TEST_F(BuildingsTest, ListRejectsForeignPageTokensAndOutOfScopePrefixes) {
  for (int i = 0; i < 3; ++i) Create(admin_, kCommunityA);
  v1::ListBuildingsRequest req;
  req.set_page_token("500109002001|bld_x");  // a raw store cursor is not a token
  EXPECT_EQ(registry_.ListBuildings(street_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A token is bound to its listing: another filter or scope refuses it, naming the field.
  req.clear_page_token();
  req.set_page_size(1);
  auto first = registry_.ListBuildings(street_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_page_token().empty());
  req.set_page_token(first->next_page_token());
  EXPECT_TRUE(registry_.ListBuildings(street_, req).ok());
  req.set_three_nos(true);
  auto other = registry_.ListBuildings(street_, req).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(other.message()), HasSubstr("page_token"));
  req.clear_three_nos();
  req.set_tier_path_prefix(kCommunityA);
  EXPECT_EQ(registry_.ListBuildings(street_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.Clear();
  req.set_page_token("500109002001|bld_x");
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

}  // namespace
}  // namespace firegrid::buildings::registry_testing
