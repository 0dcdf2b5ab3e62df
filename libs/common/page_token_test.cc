#include "libs/common/page_token.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(PageTokenTest, RoundTripsTheCursorOfTheSameListing) {
  std::string token = EncodePageToken("500109|class_i", "500109001|bld_01HX");
  auto cursor = DecodePageToken(token, "500109|class_i");
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, "500109001|bld_01HX");
}

TEST(PageTokenTest, HidesTheCursorsSeparatorsFromClients) {
  std::string token = EncodePageToken("scope", "500109001|bld_01HX|x");
  EXPECT_FALSE(absl::StrContains(token, "|"));
  EXPECT_FALSE(absl::StrContains(token, "bld_"));
  for (char c : token) {
    EXPECT_TRUE(absl::ascii_isalnum(c) || c == '-' || c == '_') << token;
  }
}

TEST(PageTokenTest, EmptyCursorGivesEmptyTokenAndEmptyTokenIsTheFirstPage) {
  EXPECT_EQ(EncodePageToken("scope", ""), "");
  auto cursor = DecodePageToken("", "scope");
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, "");
}

TEST(PageTokenTest, RefusesATokenOfAnotherListingNamingTheField) {
  std::string token = EncodePageToken("500109001", "c");
  auto cursor = DecodePageToken(token, "500109002");
  ASSERT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cursor.status().message()), testing::StartsWith("page_token:"));
}

TEST(PageTokenTest, RefusesGarbageAndTheOldPlainCursorFormat) {
  for (const char* bad : {"%%%", "500109|bld_1", "AQ", "Ag"}) {
    auto cursor = DecodePageToken(bad, "500109");
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace firegrid
