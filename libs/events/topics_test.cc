#include "libs/events/topics.h"

#include "gtest/gtest.h"

namespace firegrid::events {
namespace {

TEST(Topics, DlqTopicAppendsDotDlq) {
  EXPECT_EQ(DlqTopic(kHazardsTopic), "firegrid.hazards.events.v1.dlq");
  EXPECT_TRUE(IsDlqTopic(DlqTopic(kCreditTopic)));
  EXPECT_FALSE(IsDlqTopic(kCreditTopic));
}

TEST(Topics, AllTopicsListsEachDomainTopicWithSixPartitionsAndItsSinglePartitionDlq) {
  std::vector<TopicSpec> all = AllTopics();
  ASSERT_EQ(all.size(), 10u);
  const absl::string_view domains[] = {kBuildingsTopic, kHazardsTopic, kCreditTopic,
                                       kMonitoringTopic, kNotifyTopic};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all[2 * i].name, domains[i]);
    EXPECT_EQ(all[2 * i].partitions, 6);
    EXPECT_EQ(all[2 * i + 1].name, DlqTopic(domains[i]));
    EXPECT_EQ(all[2 * i + 1].partitions, 1);
  }
}

}  // namespace
}  // namespace firegrid::events
