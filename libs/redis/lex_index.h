#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/redis/pool.h"

namespace firegrid::redis {

// A lexicographic index: a sorted set (all scores 0) whose members are "<sort key>|<id>", read
// with ZRANGEBYLEX so that every member under a key prefix comes out in order. The services
// index buildings, org units and hazards by tier path this way.
struct LexPage {
  std::vector<std::string> ids;  // the part after the first '|' of each member, in order
  std::string next_cursor;       // the last member returned when more may follow; else empty
};

// Up to `limit` members of `index` whose member starts with `prefix`, after `cursor` (a member
// from an earlier page's next_cursor; empty: from the start).
absl::StatusOr<LexPage> ScanLexIndex(Pool& pool, const std::string& index,
                                     const std::string& prefix, const std::string& cursor,
                                     int limit);

// Runs one read command per element in a single pipeline and returns the string values of
// those that found something (nil replies — objects removed since the index was read — are
// skipped). An error reply is INTERNAL.
absl::StatusOr<std::vector<std::string>> FetchValues(
    Pool& pool, const std::vector<std::vector<std::string>>& commands);

}  // namespace firegrid::redis
