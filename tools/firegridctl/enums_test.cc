#include "tools/firegridctl/enums.h"

#include "firegrid/buildings/v1/buildings.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::ctl {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using ::testing::HasSubstr;

TEST(EnumsTest, PrefixComesFromTheUnspecifiedValue) {
  EXPECT_EQ(EnumPrefix(bv1::BuildingClass_descriptor()), "BUILDING_CLASS_");
  EXPECT_EQ(EnumPrefix(bv1::FacilityStatus_descriptor()), "FACILITY_STATUS_");
}

TEST(EnumsTest, ParsesLowerCaseLabelWithoutPrefix) {
  EXPECT_EQ(*ParseEnum<bv1::BuildingClass>("class_i"), bv1::BUILDING_CLASS_I);
  EXPECT_EQ(*ParseEnum<bv1::FacilityKind>("sprinkler"), bv1::FACILITY_KIND_SPRINKLER);
}

TEST(EnumsTest, ParsesFullNameAnyCaseAndDashes) {
  EXPECT_EQ(*ParseEnum<bv1::FacilityStatus>("FACILITY_STATUS_NO_WATER"),
            bv1::FACILITY_STATUS_NO_WATER);
  EXPECT_EQ(*ParseEnum<bv1::FacilityStatus>("No-Water"), bv1::FACILITY_STATUS_NO_WATER);
}

TEST(EnumsTest, PrefixedAndShortLabelsDoNotCollide) {
  // "i" is BUILDING_CLASS_I; "ii" is BUILDING_CLASS_II.
  EXPECT_EQ(*ParseEnum<bv1::BuildingClass>("i"), bv1::BUILDING_CLASS_I);
  EXPECT_EQ(*ParseEnum<bv1::BuildingClass>("ii"), bv1::BUILDING_CLASS_II);
  EXPECT_EQ(*ParseEnum<bv1::BuildingClass>("class_ii"), bv1::BUILDING_CLASS_II);
}

TEST(EnumsTest, RejectsTailsShorterThanTheLabel) {
  // "water" is a tail of FACILITY_STATUS_NO_WATER but not a whole label.
  EXPECT_FALSE(ParseEnum<bv1::FacilityStatus>("water").ok());
}

TEST(EnumsTest, EveryLabelParsesBackToItsValue) {
  for (const auto* type : {bv1::BuildingClass_descriptor(), bv1::BuildingUse_descriptor(),
                           bv1::FacilityKind_descriptor(), bv1::FacilityStatus_descriptor(),
                           bv1::OrgUnitKind_descriptor(), bv1::FilingState_descriptor(),
                           bv1::HydrantStatus_descriptor(), bv1::NearbyKind_descriptor(),
                           bv1::ViolationKind_descriptor()}) {
    for (int i = 0; i < type->value_count(); ++i) {
      const int n = type->value(i)->number();
      if (n == 0) continue;
      auto parsed = ParseEnumNumber(type, EnumLabel(type, n));
      ASSERT_TRUE(parsed.ok()) << type->name() << " " << EnumLabel(type, n);
      EXPECT_EQ(*parsed, n);
    }
  }
}

TEST(EnumsTest, RejectsUnspecifiedAndUnknownListingTheChoices) {
  EXPECT_FALSE(ParseEnum<bv1::BuildingUse>("unspecified").ok());
  EXPECT_FALSE(ParseEnum<bv1::BuildingUse>("").ok());
  auto bad = ParseEnum<bv1::BuildingUse>("castle");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("residential, office, mall"));
  EXPECT_THAT(bad.status().message(), ::testing::Not(HasSubstr("unspecified")));
}

TEST(EnumsTest, LabelIsShortLowerCase) {
  EXPECT_EQ(EnumLabel(bv1::BUILDING_CLASS_SUPER_HIGH_RISE), "super_high_rise");
  EXPECT_EQ(EnumLabel(bv1::BUILDING_CLASS_I), "class_i");  // too short alone: keeps a word
  EXPECT_EQ(EnumLabel(bv1::BUILDING_CLASS_II), "class_ii");
  EXPECT_EQ(EnumLabel(bv1::FILING_STATE_LATE), "late");
  EXPECT_EQ(EnumLabel(bv1::BuildingUse_descriptor(), 999), "999");
}

}  // namespace
}  // namespace firegrid::ctl
