#include "tools/devbroker/topics_file.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace firegrid::devbroker {

absl::StatusOr<std::vector<events::TopicSpec>> ParseTopicsFile(absl::string_view text) {
  std::vector<events::TopicSpec> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() > 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("topics file line ", line_no, ": expected \"<name> [partitions]\""));
    }
    events::TopicSpec spec{std::string(words[0]), events::kDomainTopicPartitions};
    if (words.size() == 2) {
      if (!absl::SimpleAtoi(words[1], &spec.partitions) || spec.partitions < 1 ||
          spec.partitions > 1000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "topics file line ", line_no, ": partitions must be 1..1000, got \"", words[1], "\""));
      }
    }
    for (char c : spec.name) {
      if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-') || spec.name.size() > 249) {
        return absl::InvalidArgumentError(
            absl::StrCat("topics file line ", line_no, ": \"", spec.name,
                         "\" is not a valid topic name ([a-zA-Z0-9._-], at most 249 characters)"));
      }
    }
    const bool is_dlq = events::IsDlqTopic(spec.name);
    std::string name = spec.name;
    out.push_back(std::move(spec));
    if (!is_dlq) out.push_back({events::DlqTopic(name), events::kDlqTopicPartitions});
  }
  return out;
}

std::vector<events::TopicSpec> MergeTopics(const std::vector<events::TopicSpec>& extra) {
  std::vector<events::TopicSpec> out;
  std::set<std::string> seen;
  std::vector<events::TopicSpec> all = events::AllTopics();
  all.insert(all.end(), extra.begin(), extra.end());
  for (events::TopicSpec& spec : all) {
    if (seen.insert(spec.name).second) out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace firegrid::devbroker
