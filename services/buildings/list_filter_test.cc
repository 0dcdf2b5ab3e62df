#include "services/buildings/list_filter.h"

#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

v1::Building Residential(bool compliant) {
  v1::Building b;
  b.set_use(v1::BUILDING_USE_RESIDENTIAL);
  b.set_building_class(v1::BUILDING_CLASS_II);
  b.set_fire_access_compliant(compliant);
  b.mutable_responsibility()->set_filing_state(v1::FILING_STATE_LATE);
  return b;
}

TEST(ListFilter, EmptyRequestMatchesEverything) {
  EXPECT_TRUE(MatchesBuildingFilter(v1::ListBuildingsRequest(), Residential(false)));
}

TEST(ListFilter, EverySetFilterMustMatch) {
  v1::ListBuildingsRequest req;
  req.add_uses(v1::BUILDING_USE_RESIDENTIAL);
  req.add_filing_states(v1::FILING_STATE_LATE);
  req.set_fire_access_compliant(false);
  EXPECT_TRUE(MatchesBuildingFilter(req, Residential(false)));
  EXPECT_FALSE(MatchesBuildingFilter(req, Residential(true)));
  req.add_classes(v1::BUILDING_CLASS_I);
  EXPECT_FALSE(MatchesBuildingFilter(req, Residential(false)));
}

TEST(ListFilter, UnknownEnumValuesNameTheField) {
  v1::ListBuildingsRequest req;
  req.add_filing_states(static_cast<v1::FilingState>(42));
  const auto s = ValidateBuildingFilter(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("filing_states"), std::string::npos) << s;
}

}  // namespace
}  // namespace firegrid::buildings
