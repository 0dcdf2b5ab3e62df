#include "services/monitoring/projection.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using ::testing::ElementsAre;

bv1::Building Tower() {
  bv1::Building b;
  b.set_building_id("bld_1");
  b.set_name("北碚大厦");
  b.set_address("北碚区天生路 1 号");
  b.set_tier_path("500109001002");
  b.mutable_location()->set_latitude(29.8257);
  b.mutable_location()->set_longitude(106.4317);
  b.set_version(4);
  auto* chain = b.mutable_responsibility()->mutable_chain();
  chain->mutable_responsible_person()->set_subject("user:boss");
  chain->mutable_manager()->set_subject("user:mgr");
  chain->mutable_building_head()->set_name("张三");  // no account: not a subject
  return b;
}

TEST(ProjectionTest, ViewOfKeepsPlaceVersionAndTheChainsSubjects) {
  v1::BuildingView v = ViewOf(Tower());
  EXPECT_EQ(v.building_id(), "bld_1");
  EXPECT_EQ(v.name(), "北碚大厦");
  EXPECT_EQ(v.address(), "北碚区天生路 1 号");
  EXPECT_EQ(v.tier_path(), "500109001002");
  EXPECT_TRUE(v.has_location());
  EXPECT_DOUBLE_EQ(v.location().latitude(), 29.8257);
  EXPECT_EQ(v.version(), 4);
  EXPECT_THAT(v.subjects(), ElementsAre("user:boss", "user:mgr"));
}

TEST(ProjectionTest, ViewOfABuildingWithoutLocationHasNone) {
  bv1::Building b = Tower();
  b.clear_location();
  EXPECT_FALSE(ViewOf(b).has_location());
}

TEST(ProjectionTest, ResponsibilityFilingReplacesTheSubjectsAndTakesItsVersion) {
  bv1::ResponsibilityFiled e;
  e.set_building_id("bld_1");
  e.mutable_chain()->mutable_building_head()->set_subject("user:head");
  e.set_building_version(5);
  v1::BuildingView v = WithResponsibility(ViewOf(Tower()), e);
  EXPECT_THAT(v.subjects(), ElementsAre("user:head"));
  EXPECT_EQ(v.version(), 5);
  EXPECT_EQ(v.name(), "北碚大厦");
}

}  // namespace
}  // namespace firegrid::monitoring
