#include "libs/events/topics.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace firegrid::events {

std::string DlqTopic(absl::string_view topic) { return absl::StrCat(topic, kDlqSuffix); }

bool IsDlqTopic(absl::string_view topic) { return absl::EndsWith(topic, kDlqSuffix); }

std::vector<TopicSpec> AllTopics() {
  std::vector<TopicSpec> out;
  for (absl::string_view t :
       {kBuildingsTopic, kHazardsTopic, kCreditTopic, kMonitoringTopic, kNotifyTopic}) {
    out.push_back({std::string(t), kDomainTopicPartitions});
    out.push_back({DlqTopic(t), kDlqTopicPartitions});
  }
  return out;
}

}  // namespace firegrid::events
