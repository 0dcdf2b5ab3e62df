#include "tools/firegridctl/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<FlagSpec> kSpecs = {ValueFlag("tier", ""), BoolFlag("all", ""),
                                      RepeatedFlag("set", ""), ValueFlag("lat", "")};

TEST(ParseArgsTest, AcceptsEqualsAndSeparateValueForms) {
  auto a = ParseArgs({"--tier=500109", "x"}, kSpecs);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Get("tier"), "500109");
  auto b = ParseArgs({"--tier", "500109001", "x"}, kSpecs);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Get("tier"), "500109001");
  EXPECT_THAT(b->positionals(), ElementsAre("x"));
}

TEST(ParseArgsTest, BooleanFlagDoesNotConsumeTheNextWord) {
  auto a = ParseArgs({"--all", "bld_1"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(*a->GetBool("all"));
  EXPECT_THAT(a->positionals(), ElementsAre("bld_1"));
}

TEST(ParseArgsTest, BooleanFlagTakesExplicitFalse) {
  auto a = ParseArgs({"--all=false"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(*a->GetBool("all", true));
}

TEST(ParseArgsTest, RepeatedFlagKeepsEveryValueInOrder) {
  auto a = ParseArgs({"--set", "height_m=60", "--set=use=office"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->GetAll("set"), ElementsAre("height_m=60", "use=office"));
}

TEST(ParseArgsTest, ValueFlagTakesANegativeNumber) {
  auto a = ParseArgs({"--lat", "-29.8"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_DOUBLE_EQ(*a->GetDouble("lat", 0), -29.8);
}

TEST(ParseArgsTest, DoubleDashEndsFlags) {
  auto a = ParseArgs({"--", "--all"}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->Has("all"));
  EXPECT_THAT(a->positionals(), ElementsAre("--all"));
}

TEST(ParseArgsTest, RejectsUnknownFlag) {
  auto a = ParseArgs({"--nope"}, kSpecs);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("unknown flag --nope"));
}

TEST(ParseArgsTest, RejectsValueFlagWithoutValue) {
  auto a = ParseArgs({"--tier"}, kSpecs);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("--tier needs a value"));
}

TEST(ParseArgsTest, RejectsSingleValueFlagGivenTwice) {
  EXPECT_FALSE(ParseArgs({"--tier=1", "--tier=2"}, kSpecs).ok());
}

TEST(ParseArgsTest, RejectsMalformedBoolean) {
  EXPECT_FALSE(ParseArgs({"--all=maybe"}, kSpecs).ok());
}

TEST(ParsedArgsTest, TypedAccessorsNameTheFlagInErrors) {
  auto a = ParseArgs({"--lat=north"}, kSpecs);
  ASSERT_TRUE(a.ok());
  auto d = a->GetDouble("lat", 0);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("--lat: not a number"));
}

TEST(ParsedArgsTest, RequireReportsMissingFlag) {
  auto a = ParseArgs({}, kSpecs);
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->Require("tier").status().message(), HasSubstr("missing --tier"));
  EXPECT_FALSE(a->RequireDouble("lat").ok());
  EXPECT_EQ(*a->GetInt("tier", 7), 7);
}

TEST(ParseValuesTest, ParsesBooleansNumbersAndDurations) {
  EXPECT_TRUE(*ParseBool("yes"));
  EXPECT_FALSE(*ParseBool("0"));
  EXPECT_EQ(*ParseInt(" 42 "), 42);
  EXPECT_FALSE(ParseInt("4.2").ok());
  EXPECT_FALSE(ParseDouble("nan").ok());
  EXPECT_EQ(*ParseDurationText("12h"), absl::Hours(12));
  EXPECT_FALSE(ParseDurationText("12 hours").ok());
}

}  // namespace
}  // namespace firegrid::ctl
