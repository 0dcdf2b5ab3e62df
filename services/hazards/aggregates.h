#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"

namespace firegrid::hazards {

namespace v1 = ::firegrid::hazards::v1;

class HazardStore;

// Maintained statistics counters: what GetStatistics (and the daily snapshots) would count by a
// scan, kept up to date by every write of a hazard in the same atomic write, so that reading
// them costs a hash read and a few ZCOUNTs whatever the number of hazards.
//
// Keys, under the hazards prefix <p>:
//   <p>:agg:<tier>               hash, one per district, street and community a hazard lies in:
//                                "<dept>|<bucket>" counts the hazards under <tier> (indexed under
//                                <dept>, "" for all) in that bucket, and
//                                "<child>/<dept>|<bucket>" the same for the next level's division
//                                <child> (the rows by tier of GetStatistics);
//                                buckets: reported, rejected, closed, closed_on_time, open
//   <p>:agg:due:<tier>|<dept>    sorted set of the open hazards there that have a deadline,
//                                scored by the deadline (µs since the epoch): overdue = ZCOUNT
//                                below now, so "overdue" needs no timer and no scan
//   <p>:agg:gen                  incremented by every write that changes the counters
//   <p>:agg:built                "1" once the counters cover every stored hazard
// Duplicates count nowhere (as in StatisticsTally).
class StatisticsCounters {
 public:
  StatisticsCounters(redis::Pool* pool, std::string prefix);

  // Adds to `w` the changes of the counters for a hazard going from `before` to `after` (either
  // null: created / removed). Nothing when the two count the same.
  void AddDelta(const v1::Hazard* before, const v1::Hazard* after, redis::AtomicWrite* w) const;

  // GetStatistics of `tier_path` for `department` ("" = all) at `now`, from the counters;
  // nullopt when they are not built yet (the caller counts by a scan then).
  absl::StatusOr<std::optional<v1::Statistics>> Statistics(const std::string& tier_path,
                                                           const std::string& department,
                                                           absl::Time now);

  // The counters as a recount of `hazards` would write them (hash fields and due-set members),
  // for building them and for proving them: Read() must equal Recount(every hazard).
  struct Snapshot {
    std::map<std::string, std::map<std::string, int64_t>> hashes;  // key → field → count (≠ 0)
    std::map<std::string, std::map<std::string, double>> due;      // key → member → score
    bool operator==(const Snapshot& o) const { return hashes == o.hashes && due == o.due; }
  };
  Snapshot Recount(const std::vector<v1::Hazard>& hazards) const;
  // The counters as stored (fields at 0 left out).
  absl::StatusOr<Snapshot> Read();

  // Builds the counters for hazards stored before they existed, once: when <p>:agg:built is
  // absent it recounts every hazard and replaces the counters by the recount in one atomic
  // write that fails (and is retried) when a write changed the counters since the recount
  // began. Returns how many hazards it counted, or -1 when the counters were built already.
  absl::StatusOr<int> Build(HazardStore& store);
  absl::StatusOr<bool> Built();

 private:
  using Contribution = Snapshot;
  void AddTo(const v1::Hazard& h, int sign, Contribution* c) const;
  std::string HashKey(const std::string& tier) const { return prefix_ + ":agg:" + tier; }
  std::string DueKey(const std::string& tier, const std::string& dept) const {
    return prefix_ + ":agg:due:" + tier + "|" + dept;
  }
  redis::Pool* pool_;
  std::string prefix_;
};

}  // namespace firegrid::hazards
