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

}  // namespace
}  // namespace firegrid::buildings::registry_testing
