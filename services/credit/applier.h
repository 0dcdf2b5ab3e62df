#pragma once

#include <atomic>
#include <functional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/credit/engine.h"
#include "services/credit/rules.h"
#include "services/credit/store.h"
#include "services/credit/subject_ids.h"

namespace firegrid::credit {

struct ApplierOptions {
  std::string outbox_key;  // where publications go (the runtime's "<prefix>:outbox")
  int batch_size = 256;    // facts per RunOnce; a batch whose writes grow large is split
                           // into several atomic writes, each ending on a whole fact
  absl::Duration lease = absl::Seconds(5);  // one applier per generation across replicas
  std::string instance_id;  // this replica's lease owner id (default: host:pid:random)
  // Called after each fact is applied to the generation in force (metrics).
  std::function<void(const v1::Fact&, const Outcome&)> on_applied;
};

// The ranking keys of a subject in generation `version` (P:g:V:rank:<tier>:<type> for every
// district, street and community code of its buildings, tier "all" without buildings; none for
// a subject without a type).
std::set<std::string> RankKeys(const CreditStore& store, const std::string& version,
                               const v1::SubjectState& s);

// Stream ids "<ms>-<seq>" in order; "0" is before every id.
bool StreamIdLess(const std::string& a, const std::string& b);

// Applies the history to generations. One per replica; every replica runs it, and a lease per
// generation lets one of them at a time apply.
//
// - Live: the generation in force (P:serving) follows the history: each RunOnce applies the
//   facts after its cursor in atomic batches (state, ledger, rankings, due times, outcomes,
//   export records and outbox events with the cursor advance); only the generation in force
//   publishes events and export records.
// - Replay: when this replica's rules version is not the one in force (and not in force before,
//   or the generation in force is missing), it builds the new generation from the whole history
//   in memory (MemoryState), writes it in pipelined chunks, then follows the history like the
//   live applier (publishing nothing) until its cursor reaches the end of the history, and
//   switches P:serving in one atomic step that checks the cursor is at the end. Reads meanwhile
//   come from the old generation. Progress is in P:replay (RulesInfo). The first start (nothing
//   in force) is a replay of an empty or existing history.
// Deterministic: same history + same rules → the same keys and values in the generation.
class Applier {
 public:
  Applier(CreditStore* store, const Rules* rules, const SubjectIds* ids, Clock* clock,
          ApplierOptions options);

  // One step: replay or switch when needed, else apply up to batch_size facts to the
  // generation in force. Returns the facts applied (0 when idle or another replica holds the
  // lease).
  absl::StatusOr<int> RunOnce();

  // Rebuilds this rules version's generation from the history now (what RunOnce does when it
  // must), without switching; for tests and benchmarks. Returns the facts applied.
  absl::StatusOr<int64_t> ReplayAll();

  // For the periodic task: appends a ClockFact (fact_id "clock:<unix ms>", time = now to the
  // millisecond) when a blacklist entry of the generation in force is due at or before now and
  // no clock fact this applier appended is still waiting to be applied. True when it appended.
  absl::StatusOr<bool> AppendClockIfDue();

 private:
  // Applies up to batch_size facts after the cursor of `version` (whose generation exists) in
  // atomic writes; `publish`: the generation is in force (outbox events, export records).
  absl::StatusOr<int> ApplyBatch(const std::string& version, bool publish);
  std::string Owner() const;

  CreditStore* store_;
  const Rules* rules_;
  const SubjectIds* ids_;
  Clock* clock_;
  ApplierOptions options_;
  RandomIdGenerator event_ids_;  // envelope ids of publications
  std::string last_clock_id_;    // stream id of the last ClockFact appended here
  std::atomic<bool> said_superseded_{false};  // logged once that newer rules are in force
};

}  // namespace firegrid::credit
