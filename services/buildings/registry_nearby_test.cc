#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "services/buildings/geo.h"
#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using NearbyTest = RegistryTest;

TEST_F(NearbyTest, NearbyFindsTheNearestInServiceHydrant) {
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

TEST_F(NearbyTest, NearestMicroStation) {
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

TEST_F(NearbyTest, RegisteringAMicroStationPublishesItForMonitoring) {
  store_.ClearOutbox();
  v1::RegisterMicroStationRequest req;
  req.mutable_station()->set_name("天生社区微型消防站");
  req.mutable_station()->set_tier_path(kCommunityA);
  req.mutable_station()->mutable_location()->set_latitude(29.821);
  req.mutable_station()->mutable_location()->set_longitude(106.431);
  req.mutable_station()->set_phone("023-68000119");
  auto s = registry_.RegisterMicroStation(admin_, req);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(store_.outbox().size(), 1u);
  EXPECT_EQ(store_.outbox()[0].key, s->station_id());
  std::vector<events::Envelope> published = Events();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].tier_path(), kCommunityA);
  auto e = events::Unpack<v1::MicroStationRegistered>(published[0]);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->station().station_id(), s->station_id());
  EXPECT_EQ(e->station().phone(), "023-68000119");
  EXPECT_TRUE(e->station().has_updated_at());

  // An update publishes again, with the change.
  *req.mutable_station() = *s;
  req.mutable_station()->clear_updated_at();
  req.mutable_station()->set_phone("023-68000120");
  ASSERT_TRUE(registry_.RegisterMicroStation(admin_, req).ok());
  published = Events();
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(events::Unpack<v1::MicroStationRegistered>(published[1])->station().phone(),
            "023-68000120");
}

TEST_F(NearbyTest, ARefusedMicroStationPublishesNothing) {
  store_.ClearOutbox();
  v1::RegisterMicroStationRequest req;
  req.mutable_station()->set_name("天生社区微型消防站");
  req.mutable_station()->set_tier_path(kCommunityA);
  req.mutable_station()->mutable_location()->set_latitude(29.821);
  req.mutable_station()->mutable_location()->set_longitude(106.431);
  EXPECT_EQ(registry_.RegisterMicroStation(worker_a_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
  req.mutable_station()->set_staff(-1);
  EXPECT_EQ(registry_.RegisterMicroStation(admin_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.outbox().empty());
}

// ----- Buildings nearby -----

class NearbyBuildingsTest : public RegistryTest {
 protected:
  // A building `metres` north of the origin.
  v1::Building At(const std::string& tier, double metres, const std::string& name,
                  const std::string& manager_subject = "") {
    v1::CreateBuildingRequest req;
    *req.mutable_building() = Fields(tier);
    const LatLon p = DestinationPoint(kLat, kLon, 0, metres);
    req.mutable_building()->mutable_location()->set_latitude(p.latitude);
    req.mutable_building()->mutable_location()->set_longitude(p.longitude);
    req.mutable_building()->set_name(name);
    auto b = registry_.CreateBuilding(admin_, req);
    EXPECT_TRUE(b.ok()) << b.status();
    if (!b.ok()) return v1::Building();
    if (manager_subject.empty()) return *b;
    v1::FileResponsibilityRequest file;
    file.set_building_id(b->building_id());
    file.set_expected_version(b->version());
    *file.mutable_chain() = Chain(manager_subject);
    auto filed = registry_.FileResponsibility(admin_, file);
    EXPECT_TRUE(filed.ok()) << filed.status();
    return filed.ok() ? *filed : *b;
  }

  static v1::FindNearbyRequest Near(double radius = 0, int limit = 0) {
    v1::FindNearbyRequest req;
    req.mutable_location()->set_latitude(kLat);
    req.mutable_location()->set_longitude(kLon);
    req.set_kind(v1::NEARBY_KIND_BUILDING);
    req.set_radius_m(radius);
    req.set_limit(limit);
    return req;
  }

  static std::vector<std::string> Names(const v1::FindNearbyResponse& r) {
    std::vector<std::string> out;
    for (const auto& x : r.results()) out.push_back(x.building().name());
    return out;
  }

  static constexpr double kLat = 29.8123457;
  static constexpr double kLon = 106.4312345;
  const Principal channel_ = Make(Role::kPublicChannel, kDistrict, "channel:wechat");
};

TEST_F(NearbyBuildingsTest, NearestFirstWithinTheRadiusUpToTheLimit) {
  At(kCommunityA, 300, "三百米");
  At(kCommunityA, 40, "四十米");
  At(kCommunityB, 120, "一百二十米");
  At(kCommunityA, 1500, "一千五百米");
  auto r = registry_.FindNearby(admin_, Near(1000, 0));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Names(*r), ::testing::ElementsAre("四十米", "一百二十米", "三百米"));
  EXPECT_NEAR(r->results(0).distance_m(), 40, 1.0);
  EXPECT_NEAR(r->results(2).distance_m(), 300, 1.0);
  r = registry_.FindNearby(admin_, Near(1000, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Names(*r), ::testing::ElementsAre("四十米", "一百二十米"));
  r = registry_.FindNearby(admin_, Near(50, 0));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Names(*r), ::testing::ElementsAre("四十米"));
  r = registry_.FindNearby(admin_, Near(2000, 0));
  EXPECT_EQ(r->results_size(), 4);
}

TEST_F(NearbyBuildingsTest, FromABuildingTheBuildingItselfIsNotAmongTheResults) {
  v1::Building origin = At(kCommunityA, 0, "原点");
  At(kCommunityA, 80, "八十米");
  v1::FindNearbyRequest req;
  req.set_building_id(origin.building_id());
  req.set_kind(v1::NEARBY_KIND_BUILDING);
  auto r = registry_.FindNearby(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Names(*r), ::testing::ElementsAre("八十米"));
  // A public channel may not read a building: it cannot search from one either.
  EXPECT_EQ(registry_.FindNearby(channel_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(NearbyBuildingsTest, APublicChannelSeesOnlyIdNameAddressAndTierPath) {
  v1::UpdateBuildingRequest update;
  const v1::Building b = At(kCommunityA, 30, "嘉陵苑 1 栋", "mgr-1");
  update.mutable_building()->set_building_id(b.building_id());
  *update.mutable_building()->add_parties() =
      MakeParty(subjects::v1::PARTY_ROLE_OWNER, "张三", "", kPersonId);
  update.mutable_update_mask()->add_paths("parties");
  update.set_expected_version(b.version());
  auto updated = registry_.UpdateBuilding(admin_, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto r = registry_.FindNearby(channel_, Near());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results_size(), 1);
  v1::NearbyBuilding want;
  want.set_building_id(b.building_id());
  want.set_name("嘉陵苑 1 栋");
  want.set_address("北碚区天生路 1 号");
  want.set_tier_path(kCommunityA);
  EXPECT_EQ(r->results(0).building().SerializeAsString(), want.SerializeAsString())
      << r->results(0).DebugString();
  EXPECT_EQ(r->results(0).item_case(), v1::NearbyResult::kBuilding);
}

TEST_F(NearbyBuildingsTest, APublicChannelFindsOnlyBuildingsOfItsDistrict) {
  At(kCommunityA, 200, "本区");
  const Principal other = Make(Role::kPublicChannel, "500110", "channel:web");
  auto r = registry_.FindNearby(channel_, Near());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Names(*r), ::testing::ElementsAre("本区"));
  r = registry_.FindNearby(other, Near());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->results_size(), 0);
}

TEST_F(NearbyBuildingsTest, APublicChannelMayNotSearchHydrantsOrStations) {
  for (v1::NearbyKind kind : {v1::NEARBY_KIND_HYDRANT, v1::NEARBY_KIND_MICRO_STATION}) {
    v1::FindNearbyRequest req = Near();
    req.set_kind(kind);
    auto r = registry_.FindNearby(channel_, req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << kind;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("public_channel"));
    // Everyone else still may.
    EXPECT_TRUE(registry_.FindNearby(worker_a_, req).ok()) << kind;
  }
}

TEST_F(NearbyBuildingsTest, RolesThatMayNotReadBuildingsMayNotSearchThem) {
  for (Role role : {Role::kServiceAgency, Role::kMicroStation, Role::kIotGateway}) {
    auto r = registry_.FindNearby(Make(role, kDistrict, "someone"), Near());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << auth::RoleName(role);
  }
  for (Role role : {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kDepartmentOfficer,
                    Role::kInternalService, Role::kBuildingManager}) {
    EXPECT_TRUE(registry_.FindNearby(Make(role, kDistrict, "someone"), Near()).ok())
        << auth::RoleName(role);
  }
}

TEST_F(NearbyBuildingsTest, ResultsStayWithinTheCallersScope) {
  At(kCommunityA, 100, "凤凰");
  At(kCommunityB, 50, "天生");
  At(kCommunityC, 20, "朝阳");
  At(kCommunityC, 70, "朝阳管理", "mgr-1");
  auto names = [&](const Principal& p) {
    auto r = registry_.FindNearby(p, Near());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? Names(*r) : std::vector<std::string>{};
  };
  EXPECT_THAT(names(worker_a_), ::testing::ElementsAre("凤凰"));
  EXPECT_THAT(names(street_), ::testing::ElementsAre("天生", "凤凰"));
  EXPECT_THAT(names(admin_), ::testing::ElementsAre("朝阳", "天生", "朝阳管理", "凤凰"));
  EXPECT_THAT(names(Make(Role::kBuildingManager, "", "mgr-1")), ::testing::ElementsAre("朝阳管理"));
}

TEST_F(NearbyBuildingsTest, OutOfScopeBuildingsCrowdingTheNearestStillLeaveTheCallersOnes) {
  // 300 buildings of another street nearer than the one of the caller's community.
  for (int i = 0; i < 300; ++i) At(kCommunityC, 10 + i, absl::StrCat("朝阳 ", i));
  At(kCommunityA, 400, "凤凰");
  auto r = registry_.FindNearby(worker_a_, Near(1000, 1));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Names(*r), ::testing::ElementsAre("凤凰"));
}

TEST_F(NearbyBuildingsTest, AMovedBuildingIsFoundWhereItIsNow) {
  v1::Building b = At(kCommunityA, 30, "搬迁楼");
  v1::UpdateBuildingRequest update;
  update.mutable_building()->set_building_id(b.building_id());
  const LatLon far = DestinationPoint(kLat, kLon, 90, 2500);
  update.mutable_building()->mutable_location()->set_latitude(far.latitude);
  update.mutable_building()->mutable_location()->set_longitude(far.longitude);
  update.mutable_update_mask()->add_paths("location");
  update.set_expected_version(b.version());
  ASSERT_TRUE(registry_.UpdateBuilding(admin_, update).ok());
  EXPECT_EQ(registry_.FindNearby(admin_, Near(1000))->results_size(), 0);
  auto r = registry_.FindNearby(admin_, Near(3000));
  ASSERT_EQ(r->results_size(), 1);
  EXPECT_NEAR(r->results(0).distance_m(), 2500, 1.0);
}

// ----- Short range: exact great-circle ranking in all eight directions -----

constexpr double kOriginLat = 29.8123457;  // Chongqing, Beibei
constexpr double kOriginLon = 106.4312345;

// A store whose GEO search finds the right candidates but reports and orders them by positions
// quantised to 6 significant digits (~100 m east–west, ~11 m north–south here), as the index
// once did: the registry must not trust the index's distances or order.
class QuantisedGeoStore : public MemoryStore {
 public:
  absl::StatusOr<std::vector<Near>> FindNearby(v1::NearbyKind kind, double latitude,
                                               double longitude, double radius_m,
                                               int limit) override {
    FG_ASSIGN_OR_RETURN(auto all,
                        MemoryStore::FindNearby(kind, latitude, longitude, radius_m, 1000));
    auto q = [](double v) { return std::stod(absl::StrCat(v)); };
    std::vector<Near> out;
    for (auto& n : all) {
      auto h = GetHydrant(n.id);
      if (!h.ok()) continue;
      n.distance_m = DistanceMetres(q(latitude), q(longitude), q(h->location().latitude()),
                                    q(h->location().longitude()));
      out.push_back(n);
    }
    std::sort(out.begin(), out.end(),
              [](const Near& a, const Near& b) { return a.distance_m < b.distance_m; });
    if (static_cast<int>(out.size()) > limit) out.resize(limit);
    return out;
  }
};

struct Direction {
  std::string name;
  double bearing_deg;
};

void PrintTo(const Direction& d, std::ostream* os) {
  *os << d.name << " (" << d.bearing_deg << "°)";
}

class NearbyShortRangeTest : public ::testing::TestWithParam<Direction> {};

// Eight hydrants in this direction and eight in the others, 10–200 m out; the registry must
// report each exact distance (within a metre) and order them nearest first.
TEST_P(NearbyShortRangeTest, RanksByExactGreatCircleDistance) {
  FakeClock clock(absl::FromCivil(absl::CivilHour(2026, 11, 23, 10), absl::UTCTimeZone()));
  SequentialIdGenerator ids;
  QuantisedGeoStore store;
  Registry registry(&store, DefaultRules(), &clock, &ids);
  const Principal admin = Make(Role::kDistrictAdmin, kDistrict, "admin");
  for (auto [code, kind, parent] :
       {std::tuple{kDistrict, v1::ORG_UNIT_KIND_DISTRICT, ""},
        std::tuple{kStreet, v1::ORG_UNIT_KIND_STREET, kDistrict},
        std::tuple{kCommunityA, v1::ORG_UNIT_KIND_COMMUNITY, kStreet}}) {
    v1::UpsertOrgUnitRequest u;
    u.mutable_org_unit()->set_code(code);
    u.mutable_org_unit()->set_kind(kind);
    u.mutable_org_unit()->set_parent_code(parent);
    u.mutable_org_unit()->set_name(code);
    ASSERT_TRUE(registry.UpsertOrgUnit(admin, u).ok());
  }
  std::map<std::string, double> want;  // hydrant id → exact distance
  auto add = [&](double bearing, double metres) {
    const LatLon p = DestinationPoint(kOriginLat, kOriginLon, bearing, metres);
    v1::RegisterHydrantRequest req;
    req.mutable_hydrant()->set_tier_path(kCommunityA);
    req.mutable_hydrant()->mutable_location()->set_latitude(p.latitude);
    req.mutable_hydrant()->mutable_location()->set_longitude(p.longitude);
    req.mutable_hydrant()->set_status(v1::HYDRANT_STATUS_IN_SERVICE);
    auto h = registry.RegisterHydrant(admin, req);
    ASSERT_TRUE(h.ok()) << h.status();
    want[h->hydrant_id()] = metres;
  };
  const double bearing = GetParam().bearing_deg;
  for (int i = 0; i < 8; ++i) add(bearing, 10 + 27 * i);           // 10, 37, … 199 m
  for (int k = 1; k < 8; ++k) add(bearing + 45 * k, 23 + 25 * k);  // the other directions
  v1::FindNearbyRequest req;
  req.mutable_location()->set_latitude(kOriginLat);
  req.mutable_location()->set_longitude(kOriginLon);
  req.set_kind(v1::NEARBY_KIND_HYDRANT);
  req.set_radius_m(200);
  req.set_limit(50);
  auto r = registry.FindNearby(admin, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results_size(), 15);
  double previous = 0;
  for (const auto& res : r->results()) {
    const double exact = want.at(res.hydrant().hydrant_id());
    EXPECT_NEAR(res.distance_m(), exact, 1.0) << res.hydrant().hydrant_id();
    EXPECT_GE(res.distance_m(), previous) << "not nearest first";
    previous = res.distance_m();
  }
  // The nearest of all is the one 10 m out in this direction.
  EXPECT_NEAR(r->results(0).distance_m(), 10, 1.0);
  req.set_limit(1);
  r = registry.FindNearby(admin, req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->results_size(), 1);
  EXPECT_NEAR(r->results(0).distance_m(), 10, 1.0);
}

INSTANTIATE_TEST_SUITE_P(EightDirections, NearbyShortRangeTest,
                         ::testing::Values(Direction{"north", 0}, Direction{"north_east", 45},
                                           Direction{"east", 90}, Direction{"south_east", 135},
                                           Direction{"south", 180}, Direction{"south_west", 225},
                                           Direction{"west", 270}, Direction{"north_west", 315}),
                         [](const ::testing::TestParamInfo<Direction>& info) {
                           return info.param.name;
                         });

TEST(DestinationPoint, IsAtTheGivenDistance) {
  for (double bearing : {0.0, 45.0, 90.0, 200.0}) {
    const LatLon p = DestinationPoint(kOriginLat, kOriginLon, bearing, 123.4);
    EXPECT_NEAR(DistanceMetres(kOriginLat, kOriginLon, p.latitude, p.longitude), 123.4, 1e-6);
  }
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
