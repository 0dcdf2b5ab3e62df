#include "services/buildings/classify.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "services/buildings/ledger.h"

namespace firegrid::buildings {
namespace {

struct Case {
  v1::BuildingUse use;
  double height;
  int floors;
  bool mixed;
  v1::BuildingClass want;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << v1::BuildingUse_Name(c.use) << " " << c.height << " m, " << c.floors << " floors"
      << (c.mixed ? ", large mixed use" : "");
}

class DeriveClassTest : public ::testing::TestWithParam<Case> {};

TEST_P(DeriveClassTest, FollowsGb50016Thresholds) {
  const Case& c = GetParam();
  v1::Building b;
  b.set_use(c.use);
  b.set_height_m(c.height);
  b.set_floors_above_ground(c.floors);
  b.set_large_mixed_use(c.mixed);
  EXPECT_EQ(DeriveClass(b, DefaultRules()), c.want)
      << v1::BuildingUse_Name(c.use) << " " << c.height << " m";
}

INSTANTIATE_TEST_SUITE_P(
    Table, DeriveClassTest,
    ::testing::Values(
        // Residential: > 27 m high-rise, > 54 m class I, > 100 m super high-rise.
        Case{v1::BUILDING_USE_RESIDENTIAL, 27.0, 9, false, v1::BUILDING_CLASS_NOT_HIGH_RISE},
        Case{v1::BUILDING_USE_RESIDENTIAL, 27.1, 10, false, v1::BUILDING_CLASS_II},
        Case{v1::BUILDING_USE_RESIDENTIAL, 54.0, 18, false, v1::BUILDING_CLASS_II},
        Case{v1::BUILDING_USE_RESIDENTIAL, 54.1, 19, false, v1::BUILDING_CLASS_I},
        Case{v1::BUILDING_USE_RESIDENTIAL, 100.0, 33, false, v1::BUILDING_CLASS_I},
        Case{v1::BUILDING_USE_RESIDENTIAL, 100.5, 34, false, v1::BUILDING_CLASS_SUPER_HIGH_RISE},
        // Other uses: > 24 m with more than one storey; > 50 m class I.
        Case{v1::BUILDING_USE_OFFICE, 24.0, 6, false, v1::BUILDING_CLASS_NOT_HIGH_RISE},
        Case{v1::BUILDING_USE_OFFICE, 24.5, 7, false, v1::BUILDING_CLASS_II},
        Case{v1::BUILDING_USE_INDUSTRIAL, 30.0, 1, false, v1::BUILDING_CLASS_NOT_HIGH_RISE},
        Case{v1::BUILDING_USE_OFFICE, 50.0, 13, false, v1::BUILDING_CLASS_II},
        Case{v1::BUILDING_USE_OFFICE, 50.5, 13, false, v1::BUILDING_CLASS_I},
        Case{v1::BUILDING_USE_HOTEL, 180.0, 45, false, v1::BUILDING_CLASS_SUPER_HIGH_RISE},
        // Hospitals and elderly care are class I once high-rise; so is large mixed use.
        Case{v1::BUILDING_USE_HOSPITAL, 30.0, 8, false, v1::BUILDING_CLASS_I},
        Case{v1::BUILDING_USE_ELDERLY_CARE, 25.0, 7, false, v1::BUILDING_CLASS_I},
        Case{v1::BUILDING_USE_HOSPITAL, 20.0, 5, false, v1::BUILDING_CLASS_NOT_HIGH_RISE},
        Case{v1::BUILDING_USE_MALL, 30.0, 6, true, v1::BUILDING_CLASS_I},
        Case{v1::BUILDING_USE_MALL, 30.0, 6, false, v1::BUILDING_CLASS_II}),
    // e.g. "residential_27p1m_is_ii", "mall_30p0m_mixed_is_i".
    [](const ::testing::TestParamInfo<Case>& info) {
      const Case& c = info.param;
      std::string height = absl::StrFormat("%.1f", c.height);
      std::replace(height.begin(), height.end(), '.', 'p');
      return absl::StrCat(ShortEnumName(v1::BuildingUse_descriptor(), c.use), "_", height, "m",
                          c.mixed ? "_mixed" : "", "_is_",
                          ShortEnumName(v1::BuildingClass_descriptor(), c.want));
    });

TEST(DeriveClass, UsesConfiguredThresholds) {
  Rules rules = DefaultRules();
  rules.mutable_building_class()->set_residential_high_rise_m(30);
  v1::Building b;
  b.set_use(v1::BUILDING_USE_RESIDENTIAL);
  b.set_height_m(28);
  b.set_floors_above_ground(9);
  EXPECT_EQ(DeriveClass(b, DefaultRules()), v1::BUILDING_CLASS_II);
  EXPECT_EQ(DeriveClass(b, rules), v1::BUILDING_CLASS_NOT_HIGH_RISE);
}

}  // namespace
}  // namespace firegrid::buildings
