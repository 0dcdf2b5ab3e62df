#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "libs/common/working_days.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/counters.h"
#include "libs/redis/pool.h"
#include "services/buildings/rules.h"
#include "services/buildings/store.h"

namespace firegrid::buildings {

// What one building adds to the ledger counters of its district, street and community: the
// figures it passes (LedgerFigureNames(), named as the LedgerCounts fields) except the two that
// depend on the time of the read — filing pending and filing late. A building changed and not
// filed is "unfiled" with its filing due time instead: pending before it, late from it.
struct LedgerEntry {
  std::vector<std::string> figures;
  bool unfiled = false;
  absl::Time filing_due;
};

// Computes entries with the filing calendar and period of the rules (the read-time filing
// state of ComputeFilingState, as the ledger counts it).
class LedgerCounting {
 public:
  explicit LedgerCounting(const Rules& rules);
  LedgerEntry EntryOf(v1::Building b) const;

 private:
  WorkCalendar calendar_;
  int period_working_days_;
};

// Maintained ledger counters on Redis, updated by every create and update of a building in the
// same atomic write (RedisStore), so that a ledger read costs one hash read and a ZCOUNT per
// row whatever the number of buildings. Keys under the buildings prefix <p>:
//   <p>:agg:<tier>      hash per district, street and community a building lies in:
//                       "<figure>" counts the buildings under <tier> passing that figure,
//                       "<community>|<figure>" the same per community (the ledger's rows);
//                       figure "unfiled": changed and not filed (pending or late)
//   <p>:agg:due:<tier>  sorted set of the unfiled buildings there by filing due time (µs):
//                       filing late = ZCOUNT up to now
//   <p>:agg:gen, <p>:agg:built   see libs/redis/counters.h
class LedgerCounters {
 public:
  LedgerCounters(redis::Pool* pool, std::string prefix, LedgerCounting counting);

  // What one building adds to the counters.
  redis::CounterSnapshot ContributionOf(const v1::Building& b) const;
  // Adds to `delta` the counter changes of a building going from `before` to `after` (null:
  // created).
  void AddDelta(const v1::Building* before, const v1::Building* after,
                redis::CounterDelta* delta) const;
  std::string counters_prefix() const { return prefix_ + ":agg"; }

  // The ledger counts of `tier_path` at `now`; nullopt until the counters are built.
  absl::StatusOr<std::optional<LedgerTally>> Tally(const std::string& tier_path, absl::Time now);

  // The counters as a recount of `buildings` writes them, and as stored: the two must be
  // equal.
  using Snapshot = redis::CounterSnapshot;
  Snapshot Recount(const std::vector<v1::Building>& buildings) const;
  absl::StatusOr<Snapshot> Read();

  // Counts the buildings stored before the counters existed, once (RebuildCounters, libs/redis/
  // counters.h: a recount replacing the counters in one atomic write, started again when a
  // building was written meanwhile). How many it counted; -1 when built already.
  absl::StatusOr<int> Build(Store& store);

  // The counters as stored compared with a recount of every building in `store`, writing
  // nothing (CheckCounters, libs/redis/counters.h); FAILED_PRECONDITION before Build.
  absl::StatusOr<redis::CounterCheck> Check(Store& store);

 private:
  std::string HashKey(const std::string& tier) const { return prefix_ + ":agg:" + tier; }
  std::string DueKey(const std::string& tier) const { return prefix_ + ":agg:due:" + tier; }
  // Every building of `store` counted (`counted`: how many).
  absl::StatusOr<Snapshot> RecountStore(Store& store, int64_t* counted) const;
  redis::Pool* pool_;
  std::string prefix_;
  LedgerCounting counting_;
};

}  // namespace firegrid::buildings
