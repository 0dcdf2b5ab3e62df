#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/events/topics.h"

namespace firegrid::devbroker {

// Parses a topics file: one topic per line, "<name> [partitions]" (partitions default to
// events::kDomainTopicPartitions); blank lines and lines starting with '#' are skipped. Every
// topic that is not itself a ".dlq" topic also gets its dead-letter topic with
// events::kDlqTopicPartitions partitions. INVALID_ARGUMENT naming the line for a bad line.
absl::StatusOr<std::vector<events::TopicSpec>> ParseTopicsFile(absl::string_view text);

// firegrid's topics (events::AllTopics()) followed by `extra`, without duplicate names (the
// first spec of a name wins).
std::vector<events::TopicSpec> MergeTopics(const std::vector<events::TopicSpec>& extra);

}  // namespace firegrid::devbroker
