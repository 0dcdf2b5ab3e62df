#include "services/hazards/routing.h"

#include <set>

#include "absl/strings/ascii.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using ::testing::ElementsAreArray;
namespace bv1 = ::firegrid::buildings::v1;

const Rules& Shipped() {
  static const Rules* rules = [] {
    auto r = Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    EXPECT_TRUE(r.ok()) << r.status();
    return new Rules(*r);
  }();
  return *rules;
}

BuildingView Residential() {
  BuildingView b;
  b.building_id = "bld_1";
  b.tier_path = "500109001002";
  b.use = bv1::BUILDING_USE_RESIDENTIAL;
  return b;
}

// Row by row, from the same config the service loads: the leads and assistants of each routing
// rule, the building's street and community, and the plan tasks.
TEST(Route, EveryConfiguredRowRoutesToItsDepartmentsAndTheBuildingsPlace) {
  int rows = 0;
  for (const auto& rule : Shipped().proto().routing()) {
    ++rows;
    v1::Routing r = Route(Shipped(), rule.category(), Residential());
    SCOPED_TRACE(v1::HazardCategory_Name(rule.category()));
    EXPECT_THAT(r.lead_departments(), ElementsAreArray(rule.lead_departments()));
    EXPECT_THAT(r.assisting_departments(), ElementsAreArray(rule.assisting_departments()));
    EXPECT_EQ(r.district(), "500109");
    EXPECT_EQ(r.street(), "500109001");
    EXPECT_EQ(r.community(), "500109001002");
    EXPECT_THAT(r.plan_tasks(), ElementsAreArray(rule.plan_tasks()));
  }
  EXPECT_EQ(rows, 14);
}

// FIRE_ACCESS_OCCUPIED → FireAccessOccupied, for test names.
std::string CamelCase(const std::string& enum_name, const std::string& prefix) {
  std::string out;
  bool upper = true;
  for (char c : enum_name.substr(prefix.size())) {
    if (c == '_') {
      upper = true;
    } else {
      out += upper ? c : static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(c)));
      upper = false;
    }
  }
  return out;
}

// The plan's division of labour (docs/domain.md), so that a config edit that breaks it is caught.
struct Row {
  v1::HazardCategory category;
  std::vector<std::string> leads;
  std::vector<std::string> assisting;
};

void PrintTo(const Row& r, std::ostream* os) { *os << v1::HazardCategory_Name(r.category); }

class PlanTable : public ::testing::TestWithParam<Row> {};

TEST_P(PlanTable, MatchesThePlan) {
  v1::Routing r = Route(Shipped(), GetParam().category, Residential());
  EXPECT_THAT(r.lead_departments(), ElementsAreArray(GetParam().leads));
  EXPECT_EQ(
      std::set<std::string>(r.assisting_departments().begin(), r.assisting_departments().end()),
      std::set<std::string>(GetParam().assisting.begin(), GetParam().assisting.end()));
}

INSTANTIATE_TEST_SUITE_P(
    Domain, PlanTable,
    ::testing::Values(
        Row{v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED,
            {"urban_management"},
            {"police", "planning", "housing", "fire_rescue"}},
        Row{v1::HAZARD_CATEGORY_FIRE_ACCESS_UNMARKED,
            {"urban_management"},
            {"police", "planning", "housing", "fire_rescue"}},
        Row{v1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY, {"planning"}, {}},
        Row{v1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT,
            {"urban_management"},
            {"water_company", "fire_rescue"}},
        Row{v1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER,
            {"fire_rescue"},
            {"housing", "water_company"}},
        Row{v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, {"fire_rescue"}, {}},
        Row{v1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE, {"fire_rescue"}, {"housing"}},
        Row{v1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES, {"housing", "fire_rescue"}, {}},
        Row{v1::HAZARD_CATEGORY_GAS_ELECTRICAL, {"economy_it"}, {"gas_company", "power_company"}},
        Row{v1::HAZARD_CATEGORY_CONSTRUCTION_SITE, {"housing"}, {"fire_rescue"}},
        Row{v1::HAZARD_CATEGORY_BUILDER_PRODUCT_VIOLATION,
            {"fire_rescue"},
            {"planning", "housing", "urban_management", "market_supervision"}},
        Row{v1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED, {"fire_rescue"}, {"housing"}},
        Row{v1::HAZARD_CATEGORY_EVACUATION_BLOCKED, {"fire_rescue"}, {}},
        Row{v1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED, {"fire_rescue"}, {}}),
    [](const ::testing::TestParamInfo<Row>& info) {
      return CamelCase(v1::HazardCategory_Name(info.param.category), "HAZARD_CATEGORY_");
    });

struct Sector {
  bv1::BuildingUse use;
  std::string department;
};

void PrintTo(const Sector& s, std::ostream* os) {
  *os << bv1::BuildingUse_Name(s.use) << " → " << s.department;
}

class SectorTable : public ::testing::TestWithParam<Sector> {};

TEST_P(SectorTable, BuildingUseAddsItsSectorDepartment) {
  BuildingView b = Residential();
  b.use = GetParam().use;
  v1::Routing r = Route(Shipped(), v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, b);
  EXPECT_THAT(r.assisting_departments(), ::testing::Contains(GetParam().department));
}

INSTANTIATE_TEST_SUITE_P(Domain, SectorTable,
                         ::testing::Values(Sector{bv1::BUILDING_USE_SCHOOL, "education"},
                                           Sector{bv1::BUILDING_USE_HOSPITAL, "health"},
                                           Sector{bv1::BUILDING_USE_HOTEL, "culture_tourism"},
                                           Sector{bv1::BUILDING_USE_SCENIC, "culture_tourism"},
                                           Sector{bv1::BUILDING_USE_MALL, "commerce"},
                                           Sector{bv1::BUILDING_USE_ELDERLY_CARE, "civil_affairs"}),
                         [](const ::testing::TestParamInfo<Sector>& info) {
                           return CamelCase(bv1::BuildingUse_Name(info.param.use), "BUILDING_USE_");
                         });

TEST(Route, ResidentialAddsNoSectorAndASectorAlreadyNamedIsNotRepeated) {
  v1::Routing r = Route(Shipped(), v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, Residential());
  EXPECT_TRUE(r.assisting_departments().empty());
  BuildingView hospital = Residential();
  hospital.use = bv1::BUILDING_USE_HOSPITAL;
  RulesProto proto = Shipped().proto();
  for (auto& rule : *proto.mutable_routing()) {
    if (rule.category() == v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT)
      rule.add_assisting_departments("health");
  }
  GuidanceBook book;
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    *book.add_guidance() = Shipped().GuidanceFor(static_cast<v1::HazardCategory>(c));
  }
  auto rules = Rules::Create(proto, book);
  ASSERT_TRUE(rules.ok());
  v1::Routing h = Route(*rules, v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, hospital);
  EXPECT_THAT(h.assisting_departments(), ElementsAreArray({"health"}));
  EXPECT_THAT(RoutedDepartments(h), ElementsAreArray({"fire_rescue", "health"}));
}

}  // namespace
}  // namespace firegrid::hazards
