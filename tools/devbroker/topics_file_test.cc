#include "tools/devbroker/topics_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::devbroker {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

auto Spec(const std::string& name, int partitions) {
  return ::testing::AllOf(Field(&events::TopicSpec::name, name),
                          Field(&events::TopicSpec::partitions, partitions));
}

TEST(ParseTopicsFile, ReadsNamesAndPartitionsAndAddsDeadLetterTopics) {
  auto specs = ParseTopicsFile("# extra topics\n\norders 3\n  audit\t\nreplays.dlq 2\n");
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_THAT(*specs, ElementsAre(Spec("orders", 3), Spec("orders.dlq", 1), Spec("audit", 6),
                                  Spec("audit.dlq", 1), Spec("replays.dlq", 2)));
}

TEST(ParseTopicsFile, RejectsBadPartitionCountNamingTheLine) {
  auto specs = ParseTopicsFile("ok 2\nbad zero\n");
  ASSERT_EQ(specs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(specs.status().message()), ::testing::HasSubstr("line 2"));
  EXPECT_EQ(ParseTopicsFile("t 0").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTopicsFile("t 1 2").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseTopicsFile, RejectsInvalidTopicNames) {
  EXPECT_EQ(ParseTopicsFile("bad/name 1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTopicsFile("caf\xc3\xa9").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MergeTopics, StartsWithFiregridTopicsAndDropsDuplicateNames) {
  std::vector<events::TopicSpec> merged =
      MergeTopics({{"firegrid.hazards.events.v1", 2}, {"extra", 4}});
  std::vector<events::TopicSpec> builtin = events::AllTopics();
  ASSERT_EQ(merged.size(), builtin.size() + 1);
  for (size_t i = 0; i < builtin.size(); ++i) {
    EXPECT_EQ(merged[i].name, builtin[i].name);
    EXPECT_EQ(merged[i].partitions, builtin[i].partitions);
  }
  EXPECT_EQ(merged.back().name, "extra");
  EXPECT_EQ(merged.back().partitions, 4);
}

}  // namespace
}  // namespace firegrid::devbroker
