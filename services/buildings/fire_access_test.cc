#include "services/buildings/fire_access.h"

#include <set>

#include "gtest/gtest.h"
#include "services/buildings/classify.h"

namespace firegrid::buildings {
namespace {

v1::Building HighRise(double height) {
  v1::Building b;
  b.set_building_id("bld_1");
  b.set_use(v1::BUILDING_USE_RESIDENTIAL);
  b.set_height_m(height);
  b.set_floors_above_ground(static_cast<int>(height / 3));
  b.set_building_class(DeriveClass(b, DefaultRules()));
  return b;
}

v1::FireLane GoodLane() {
  v1::FireLane l;
  l.set_lane_id("north");
  l.set_clear_width_m(4.5);
  l.set_clear_height_m(5);
  l.set_slope_percent(5);
  l.set_turning_radius_m(12);
  l.set_load_capacity_t(40);
  l.mutable_marking()->set_lines_painted(true);
  l.mutable_marking()->set_name_marked(true);
  l.mutable_marking()->set_sign_installed(true);
  return l;
}

v1::RescueSite GoodSite() {
  v1::RescueSite s;
  s.set_site_id("east");
  s.set_length_m(20);
  s.set_width_m(10);
  s.set_slope_percent(2);
  s.set_load_capacity_t(40);
  s.mutable_marking()->set_lines_painted(true);
  s.mutable_marking()->set_name_marked(true);
  s.mutable_marking()->set_sign_installed(true);
  return s;
}

std::set<std::string> Rules(const v1::FireAccessAssessment& a) {
  std::set<std::string> out;
  for (const auto& v : a.violations()) out.insert(v.rule());
  return out;
}

TEST(AssessFireAccess, CompliantLaneAndSitePass) {
  v1::Building b = HighRise(40);
  *b.add_fire_lanes() = GoodLane();
  *b.add_rescue_sites() = GoodSite();
  auto a = AssessFireAccess(b, DefaultRules(), absl::FromUnixSeconds(0));
  EXPECT_TRUE(a.compliant()) << a.DebugString();
  EXPECT_EQ(a.building_id(), "bld_1");
}

TEST(AssessFireAccess, HighRiseWithoutLaneOrSiteViolatesBothRequirements) {
  auto a = AssessFireAccess(HighRise(40), DefaultRules(), absl::FromUnixSeconds(0));
  EXPECT_FALSE(a.compliant());
  EXPECT_EQ(Rules(a), (std::set<std::string>{"fire_lane.required", "rescue_site.required"}));
}

TEST(AssessFireAccess, LowBuildingNeedsNoLane) {
  auto a = AssessFireAccess(HighRise(20), DefaultRules(), absl::FromUnixSeconds(0));
  EXPECT_TRUE(a.compliant());
}

TEST(AssessFireAccess, ListsEveryGeometryMarkingAndOccupationViolation) {
  v1::Building b = HighRise(40);
  v1::FireLane l = GoodLane();
  l.set_clear_width_m(3.5);
  l.set_clear_height_m(3.8);
  l.set_slope_percent(9);
  l.set_turning_radius_m(8);
  l.set_load_capacity_t(20);
  l.mutable_marking()->set_sign_installed(false);
  l.set_occupied(true);
  *b.add_fire_lanes() = l;
  v1::RescueSite s = GoodSite();
  s.set_length_m(12);
  s.set_slope_percent(4);
  s.mutable_marking()->set_lines_painted(false);
  *b.add_rescue_sites() = s;
  auto a = AssessFireAccess(b, DefaultRules(), absl::FromUnixSeconds(0));
  EXPECT_FALSE(a.compliant());
  EXPECT_EQ(Rules(a), (std::set<std::string>{
                          "fire_lane.min_clear_width_m", "fire_lane.min_clear_height_m",
                          "fire_lane.max_slope_percent", "fire_lane.min_turning_radius_m",
                          "fire_lane.min_load_t", "fire_lane.marking.sign_installed",
                          "fire_lane.occupied", "rescue_site.min_length_m",
                          "rescue_site.max_slope_percent", "rescue_site.marking.lines_painted"}));
  for (const auto& v : a.violations()) {
    if (v.rule() == "fire_lane.min_clear_width_m") {
      EXPECT_EQ(v.subject(), "lane:north");
      EXPECT_DOUBLE_EQ(v.actual(), 3.5);
      EXPECT_DOUBLE_EQ(v.required(), 4.0);
      EXPECT_EQ(v.kind(), v1::VIOLATION_KIND_GEOMETRY);
    }
  }
}

TEST(AssessFireAccess, TallBuildingsNeedAerialLadderRadiusAndLargerSite) {
  v1::Building b = HighRise(60);
  *b.add_fire_lanes() = GoodLane();  // 12 m radius: enough below 50 m, not above
  v1::RescueSite s = GoodSite();
  s.set_length_m(16);  // 15 m suffices below 50 m, 20 m above
  *b.add_rescue_sites() = s;
  auto a = AssessFireAccess(b, DefaultRules(), absl::FromUnixSeconds(0));
  EXPECT_EQ(Rules(a),
            (std::set<std::string>{"fire_lane.min_turning_radius_m", "rescue_site.min_length_m"}));
}

TEST(AssessFireAccess, MarkingCanBeSwitchedOffByConfig) {
  firegrid::buildings::Rules r = DefaultRules();
  r.mutable_fire_access()->set_require_marking(false);
  v1::Building b = HighRise(40);
  v1::FireLane l = GoodLane();
  l.clear_marking();
  *b.add_fire_lanes() = l;
  *b.add_rescue_sites() = GoodSite();
  EXPECT_TRUE(AssessFireAccess(b, r, absl::FromUnixSeconds(0)).compliant());
}

}  // namespace
}  // namespace firegrid::buildings
