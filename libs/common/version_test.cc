#include "libs/common/version.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(VersionTest, VersionIsSemanticAndCommitIsHexOrUnknown) {
  EXPECT_THAT(std::string(BuildVersion()), testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  EXPECT_THAT(std::string(BuildCommit()), testing::MatchesRegex("([0-9a-f]{7,40}|unknown)"));
}

TEST(VersionTest, VersionLineNamesProgramVersionAndCommit) {
  EXPECT_EQ(VersionLine("firegridctl"),
            "firegridctl " + std::string(BuildVersion()) + " (commit " +
                std::string(BuildCommit()) + ")");
}

TEST(VersionTest, VersionRequestedByTheFlagAnywhereBeforeDoubleDash) {
  const char* with[] = {"prog", "--redis-addr=x", "--version"};
  EXPECT_TRUE(VersionRequested(3, with));
  const char* without[] = {"prog", "--help"};
  EXPECT_FALSE(VersionRequested(2, without));
  const char* after_dashes[] = {"prog", "--", "--version"};
  EXPECT_FALSE(VersionRequested(3, after_dashes));
  const char* only_program[] = {"prog"};
  EXPECT_FALSE(VersionRequested(1, only_program));
}

}  // namespace
}  // namespace firegrid
