#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace firegrid::events {

// One topic per producing domain. Messages are Envelopes keyed by building id, so one
// building's events stay ordered within a partition.
inline constexpr absl::string_view kBuildingsTopic = "firegrid.buildings.events.v1";
inline constexpr absl::string_view kHazardsTopic = "firegrid.hazards.events.v1";
inline constexpr absl::string_view kCreditTopic = "firegrid.credit.events.v1";
inline constexpr absl::string_view kMonitoringTopic = "firegrid.monitoring.events.v1";
inline constexpr absl::string_view kNotifyTopic = "firegrid.notify.events.v1";

inline constexpr int kDomainTopicPartitions = 6;
inline constexpr int kDlqTopicPartitions = 1;
inline constexpr absl::string_view kDlqSuffix = ".dlq";

// The dead-letter topic of `topic`: topic + ".dlq".
std::string DlqTopic(absl::string_view topic);
bool IsDlqTopic(absl::string_view topic);

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

// The four domain topics (kDomainTopicPartitions each), each followed by its dead-letter topic
// (kDlqTopicPartitions). What the dev broker creates and what a real cluster must provide.
std::vector<TopicSpec> AllTopics();

}  // namespace firegrid::events
