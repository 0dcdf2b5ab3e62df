#include "tools/devbroker/control_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::devbroker {
namespace {

using ::testing::HasSubstr;

TEST(ControlFile, ParsesRttAndErrorsSkippingCommentsAndBlankLines) {
  auto commands = ParseControlFile("# faults\n\nrtt 250\n  errors 0 3 7  \nrtt 0\n");
  ASSERT_TRUE(commands.ok()) << commands.status();
  ASSERT_EQ(commands->size(), 3u);
  EXPECT_EQ((*commands)[0].kind, ControlCommand::Kind::kRtt);
  EXPECT_EQ((*commands)[0].rtt_ms, 250);
  EXPECT_EQ((*commands)[1].kind, ControlCommand::Kind::kErrors);
  EXPECT_EQ((*commands)[1].api_key, 0);
  EXPECT_EQ((*commands)[1].count, 3);
  EXPECT_EQ((*commands)[1].error_code, 7);
  EXPECT_EQ((*commands)[2].rtt_ms, 0);
}

TEST(ControlFile, ABadLineIsInvalidArgumentNamingTheLine) {
  for (const char* text : {"rtt", "rtt -5", "rtt fast", "errors 0 3", "errors 0 0 7",
                           "errors x 1 7", "drop everything"}) {
    auto commands = ParseControlFile(absl::StrCat("rtt 1\n", text, "\n"));
    ASSERT_FALSE(commands.ok()) << text;
    EXPECT_EQ(commands.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(commands.status().message(), HasSubstr("line 2"));
  }
}

}  // namespace
}  // namespace firegrid::devbroker
