#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid::devbroker {

// One fault the dev broker injects on SIGHUP (README.md, "Injected faults"), from a line of its
// control file:
//   rtt <ms>                           every broker delays each response by <ms> (0: none)
//   errors <api key> <count> <code>    the next <count> requests of that Kafka API (0 Produce,
//                                      1 Fetch, 3 Metadata, 8 OffsetCommit, ...) fail with that
//                                      error code (7 REQUEST_TIMED_OUT, 6
//                                      NOT_LEADER_FOR_PARTITION, ...; -195: the broker drops
//                                      the connection instead)
struct ControlCommand {
  enum class Kind { kRtt, kErrors };
  Kind kind = Kind::kRtt;
  int rtt_ms = 0;
  int16_t api_key = 0;
  int count = 0;
  int error_code = 0;
};

// Parses a control file: one command per line; blank lines and lines starting with '#' are
// skipped. INVALID_ARGUMENT naming the line for a bad one.
absl::StatusOr<std::vector<ControlCommand>> ParseControlFile(absl::string_view text);

}  // namespace firegrid::devbroker
