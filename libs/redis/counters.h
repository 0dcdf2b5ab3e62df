#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"

namespace firegrid::redis {

// Maintained counters: aggregates a service keeps beside its records so that reading them costs
// no scan. They live under one key prefix <c> ("<service prefix>:agg"): hashes of counts and
// sorted sets of members (e.g. open hazards by deadline, to count those past a time), changed
// in the same AtomicWrite as the records they count. Two more keys: <c>:gen, incremented by
// every write that changes a counter, and <c>:built, set once the counters cover every record
// (see Rebuild). The services say what each record contributes (a CounterSnapshot of it); this
// file only adds, subtracts, reads and replaces.

// Counters as a set of contributions: hash key → field → count (zeros left out), sorted-set key
// → member → score.
struct CounterSnapshot {
  std::map<std::string, std::map<std::string, int64_t>> hashes;
  std::map<std::string, std::map<std::string, double>> sets;
  // Adds `other`'s counts and members (a member's score: `other`'s).
  void Merge(const CounterSnapshot& other);
  void DropZeros();
  bool operator==(const CounterSnapshot& o) const { return hashes == o.hashes && sets == o.sets; }
};

// The counter changes of one atomic write, accumulated over its records: for each record
// changed, Add(what it contributed before, what it contributes after) (an empty snapshot for a
// record created). AppendTo then writes the net changes: one HINCRBY per changed field, ZREM /
// ZADD per changed member, and INCR <c>:gen when anything changed.
class CounterDelta {
 public:
  void Add(const CounterSnapshot& before, const CounterSnapshot& after);
  void AppendTo(const std::string& counters_prefix, AtomicWrite* w) const;
  bool empty() const;

 private:
  std::map<std::string, std::map<std::string, int64_t>> increments_;
  // member → its score after the write, nullopt: removed.
  std::map<std::string, std::map<std::string, std::optional<double>>> members_;
};

// The counters as stored under `counters_prefix` (every key "<c>:*" but gen and built).
absl::StatusOr<CounterSnapshot> ReadCounters(Pool& pool, const std::string& counters_prefix);

// Whether <c>:built is set.
absl::StatusOr<bool> CountersBuilt(Pool& pool, const std::string& counters_prefix);

// Builds the counters for records stored before they existed, once: unless <c>:built is set,
// `recount()` counts every record, and the stored counters are replaced by that recount in one
// atomic write that fails when <c>:gen moved since the recount began (a record was written
// meanwhile), in which case it starts again (at most `attempts` times; ABORTED after). Then
// <c>:built is set. Returns false when the counters were built already.
absl::StatusOr<bool> RebuildCounters(
    Pool& pool, const std::string& counters_prefix,
    const std::function<absl::StatusOr<CounterSnapshot>()>& recount, int attempts = 20);

// One counter that differs between the counters stored and a recount: a hash field's count or
// a sorted-set member's score, as text ("" where there is none).
struct CounterDifference {
  std::string key;
  std::string field;  // the hash field or the set member
  std::string live;
  std::string rebuilt;
  bool operator==(const CounterDifference&) const = default;
};

// A check of counters: how many records the recount counted, and where the counters differ.
struct CounterCheck {
  int64_t records = 0;
  std::vector<CounterDifference> differences;
};

// Where `live` and `rebuilt` differ, in (key, field) order.
std::vector<CounterDifference> DiffCounters(const CounterSnapshot& live,
                                            const CounterSnapshot& rebuilt);

// Compares the counters stored under `counters_prefix` with `recount()`, writing nothing. The
// recount and the read of the stored counters are made between two reads of <c>:gen and made
// again when it moved (a record was written meanwhile, so the two would not describe the same
// records; ABORTED after `attempts`). FAILED_PRECONDITION before the counters are built.
absl::StatusOr<std::vector<CounterDifference>> CheckCounters(
    Pool& pool, const std::string& counters_prefix,
    const std::function<absl::StatusOr<CounterSnapshot>()>& recount, int attempts = 20);

}  // namespace firegrid::redis
