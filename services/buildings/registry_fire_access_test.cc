#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using FireAccessRecordsTest = RegistryTest;

TEST_F(FireAccessRecordsTest, NonCompliantFireAccessPublishesItsViolations) {
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

}  // namespace
}  // namespace firegrid::buildings::registry_testing
