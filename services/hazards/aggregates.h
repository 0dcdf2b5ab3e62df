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
#include "libs/redis/counters.h"
#include "libs/redis/pool.h"

namespace firegrid::hazards {


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
//   <p>:agg:gen, <p>:agg:built   see libs/redis/counters.h
// Duplicates count nowhere (as in StatisticsTally).
class StatisticsCounters {
 public:
  StatisticsCounters(redis::Pool* pool, std::string prefix);

  // What one hazard adds to the counters.
  redis::CounterSnapshot ContributionOf(const v1::Hazard& h) const;
  // Adds to `delta` the changes of the counters for a hazard going from `before` to `after`
  // (null: created).
  void AddDelta(const v1::Hazard* before, const v1::Hazard* after,
                redis::CounterDelta* delta) const;
  std::string counters_prefix() const { return prefix_ + ":agg"; }

  // GetStatistics of `tier_path` for `department` ("" = all) at `now`, from the counters;
  // nullopt when they are not built yet (the caller counts by a scan then).
  absl::StatusOr<std::optional<v1::Statistics>> Statistics(const std::string& tier_path,
                                                           const std::string& department,
                                                           absl::Time now);

  // The rows of a daily snapshot (DailyTotals::Finish: each district, street and community
  // with hazards, for all departments and per department) at `now`, from the counters; nullopt
  // when they are not built yet.
  absl::StatusOr<std::optional<std::map<std::string, v1::StatisticsRow>>> DailyRows(absl::Time now);

  // The counters as a recount of `hazards` writes them, and as stored: the two must be equal.
  using Snapshot = redis::CounterSnapshot;
  Snapshot Recount(const std::vector<v1::Hazard>& hazards) const;
  absl::StatusOr<Snapshot> Read();

  // Builds the counters for hazards stored before they existed, once (RebuildCounters, libs/
  // redis/counters.h: a recount of every hazard replacing the counters in one atomic write,
  // started again when a hazard was written meanwhile). Returns how many hazards it counted, or
  // -1 when the counters were built already.
  absl::StatusOr<int> Build(HazardStore& store);

  // The counters as stored compared with a recount of every hazard in `store`, writing nothing
  // (CheckCounters, libs/redis/counters.h); FAILED_PRECONDITION before Build.
  absl::StatusOr<redis::CounterCheck> Check(HazardStore& store);

 private:
  std::string HashKey(const std::string& tier) const { return prefix_ + ":agg:" + tier; }
  std::string DueKey(const std::string& tier, const std::string& dept) const {
    return prefix_ + ":agg:due:" + tier + "|" + dept;
  }
  // Every hazard of `store` counted (`counted`: how many).
  absl::StatusOr<Snapshot> RecountStore(HazardStore& store, int64_t* counted) const;
  redis::Pool* pool_;
  std::string prefix_;
};

}  // namespace firegrid::hazards
