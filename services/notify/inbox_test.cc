// Hermetic checks of the inbox's input rules.
#include "services/notify/inbox.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using ::testing::StartsWith;

TEST(AckNoteTest, AcceptsEmptyChineseMultilineAndExactlyMaxBytes) {
  EXPECT_TRUE(ValidateAckNote("").ok());
  EXPECT_TRUE(ValidateAckNote("已安排人员核查").ok());
  EXPECT_TRUE(ValidateAckNote("line 1\nline 2\tindented").ok());
  EXPECT_TRUE(ValidateAckNote(std::string(kMaxAckNoteBytes, 'a')).ok());
}

TEST(AckNoteTest, RejectsTooLongInvalidUtf8AndControlCharactersNamingTheField) {
  for (const std::string bad :
       {std::string(kMaxAckNoteBytes + 1, 'a'), std::string("\xff\xfe"), std::string("\xe5\xb7"),
        std::string("bell\a"), std::string("nul\0x", 5), std::string("del\x7f"),
        std::string("cr\r")}) {
    absl::Status st = ValidateAckNote(bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(st.message()), StartsWith("note: "));
  }
}

}  // namespace
}  // namespace firegrid::notify
