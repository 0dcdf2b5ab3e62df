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

}  // namespace
}  // namespace firegrid
