#include "tools/firegridctl/proto_fields.h"

#include "firegrid/buildings/v1/buildings.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::ctl {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using ::testing::HasSubstr;

TEST(SetFieldByPathTest, SetsScalarsOfEveryKind) {
  bv1::Building b;
  ASSERT_TRUE(SetFieldByPath(&b, "name", "嘉陵大厦").ok());
  ASSERT_TRUE(SetFieldByPath(&b, "height_m", "99.5").ok());
  ASSERT_TRUE(SetFieldByPath(&b, "floors_above_ground", "33").ok());
  ASSERT_TRUE(SetFieldByPath(&b, "three_nos", "yes").ok());
  ASSERT_TRUE(SetFieldByPath(&b, "use", "hotel").ok());
  EXPECT_EQ(b.name(), "嘉陵大厦");
  EXPECT_DOUBLE_EQ(b.height_m(), 99.5);
  EXPECT_EQ(b.floors_above_ground(), 33);
  EXPECT_TRUE(b.three_nos());
  EXPECT_EQ(b.use(), bv1::BUILDING_USE_HOTEL);
}

TEST(SetFieldByPathTest, SetsNestedFieldsThroughDots) {
  bv1::Building b;
  ASSERT_TRUE(SetFieldByPath(&b, "location.latitude", "29.82").ok());
  EXPECT_DOUBLE_EQ(b.location().latitude(), 29.82);
}

TEST(SetFieldByPathTest, RejectsUnknownRepeatedAndMessageLeaves) {
  bv1::Building b;
  EXPECT_THAT(SetFieldByPath(&b, "colour", "red").message(), HasSubstr("no field \"colour\""));
  EXPECT_THAT(SetFieldByPath(&b, "facilities", "x").message(), HasSubstr("repeated"));
  EXPECT_THAT(SetFieldByPath(&b, "location", "1").message(), HasSubstr("location.latitude"));
}

TEST(SetFieldByPathTest, RejectsBadValuesAndOutOfRangeIntegers) {
  bv1::Building b;
  EXPECT_FALSE(SetFieldByPath(&b, "height_m", "tall").ok());
  EXPECT_FALSE(SetFieldByPath(&b, "floors_above_ground", "99999999999").ok());
  EXPECT_FALSE(SetFieldByPath(&b, "use", "castle").ok());
}

TEST(SplitAssignmentTest, SplitsAtTheFirstEquals) {
  auto kv = SplitAssignment("address=a=b");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "address");
  EXPECT_EQ(kv->second, "a=b");
  EXPECT_FALSE(SplitAssignment("address").ok());
  EXPECT_FALSE(SplitAssignment("=x").ok());
}

TEST(FormatTest, DatesAreChinaStandardTime) {
  auto ts = ParseDate("2020-06-30");
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->seconds(), 1593446400);  // 2020-06-29T16:00:00Z
  EXPECT_EQ(FormatDate(*ts), "2020-06-30");
  EXPECT_EQ(FormatTime(*ts), "2020-06-30 00:00 +08:00");  // the zone is shown
  EXPECT_EQ(FormatDate(google::protobuf::Timestamp()), "");
  EXPECT_FALSE(ParseDate("30/06/2020").ok());
}

TEST(FormatTest, NumbersDropTrailingZeros) {
  EXPECT_EQ(FormatNumber(54), "54");
  EXPECT_EQ(FormatNumber(54.5), "54.5");
  EXPECT_EQ(FormatNumber(29.823456, 4), "29.8235");
  EXPECT_EQ(FormatNumber(-0.001), "0");
}

}  // namespace
}  // namespace firegrid::ctl
