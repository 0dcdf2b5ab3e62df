#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/events/producer.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"
#include "services/hazards/aggregates.h"
#include "services/hazards/routing.h"

namespace firegrid::hazards {

// A deadline timer: a due-soon reminder, the overdue escalation to the street, or the
// escalation to the district; or the erasure of the reporter's name and contact once the hazard
// has been closed or rejected for the rules' reporter retention (docs/privacy.md). Each is
// stored once and consumed once by whichever replica's scheduler claims it first (the claim and
// its effects are one atomic write).
struct Timer {
  enum class Kind { kDueSoon, kOverdue, kDistrict, kEraseReporter };
  std::string hazard_id;
  Kind kind = Kind::kDueSoon;
  // The assignment deadline it belongs to; for kEraseReporter, when the hazard was closed or
  // rejected.
  int64_t deadline_ms = 0;
  int64_t fire_at_ms = 0;

  std::string Member() const;  // "<hazard>|<kind>|<deadline_ms>"
  static absl::StatusOr<Timer> Parse(const std::string& member, int64_t fire_at_ms);
};

// Redis keys under a prefix (default "fg:hazards"):
//   <p>:h:<id>                 hash {data: Hazard bytes, version}
//   <p>:idx:tier               sorted set of "<tier path>|<id>" (lexicographic scans)
//   <p>:idx:dept:<slug>        the same, for hazards routed to (or supervised by) a department
//   <p>:open:<bld>:<category>  id of the open hazard of that building and category
//   <p>:idem:<owner>:<key>     "<hazard id> <digest>": the hazard a report with that idempotency
//                              key made and the digest of that request; owner: the caller's
//                              subject (IdempotencyOwner, idempotency.h); 30 days
//   <p>:bld:<id>               hash: the building projection {name, tier, use, subjects,
//                              liable_party (Party bytes, "" for none), version}
//   <p>:timers                 sorted set of timer members by fire time (ms)
//   <p>:timer:<member>         the timer itself (exists until consumed)
//   <p>:seen:<event id>        consumer idempotency marks
//   <p>:stats:day:<date>       hash: a daily statistics snapshot (date "2026-12-05", Asia/
//                              Shanghai): DailyRowKey → StatisticsRow bytes, "_taken" = 1,
//                              "_final" = 1 once it is the end-of-day snapshot; 400 days
//   <p>:agg:...                statistics counters, written with every hazard (aggregates.h)
//   <p>:outbox                 the outbox stream
class HazardStore {
 public:
  HazardStore(redis::Pool* pool, std::string prefix);

  std::string outbox_key() const { return prefix_ + ":outbox"; }
  redis::Pool& pool() { return *pool_; }
  // The statistics counters every Write keeps up to date.
  StatisticsCounters& counters() { return counters_; }

  absl::StatusOr<BuildingView> GetBuilding(const std::string& id);
  // Applies a projection update from event `event_id` unless that event was applied already
  // (ALREADY_EXISTS) or the stored version is newer (OK, nothing written).
  absl::Status PutBuilding(const BuildingView& view, const std::string& event_id);

  absl::StatusOr<v1::Hazard> Get(const std::string& id);
  absl::StatusOr<std::string> OpenHazardId(const std::string& building_id, int category);
  struct Idempotency {
    std::string hazard_id;
    std::string request_digest;  // "" for keys stored before digests were kept
  };
  absl::StatusOr<Idempotency> IdempotentReport(const std::string& subject, const std::string& key);

  // What a report reads before it writes, in one round trip (one pipeline): the report already
  // made under `idempotency_key` by `subject` (not read when the key is empty), and, for a
  // report of a building (not read when `building_id` is empty), the building (NOT_FOUND when
  // unknown, as GetBuilding) and the open hazard of its `category` ("" when none; OpenHazardId).
  struct ReportReads {
    std::optional<Idempotency> idempotent;
    absl::StatusOr<BuildingView> building = absl::NotFoundError("not read");
    std::string open_hazard_id;
  };
  absl::StatusOr<ReportReads> ReadForReport(const std::string& subject,
                                            const std::string& idempotency_key,
                                            const std::string& building_id, int category);

  struct Page {
    std::vector<v1::Hazard> hazards;
    std::string next_cursor;  // empty at the end
  };
  // Hazards indexed under `department` ("" = all) whose tier path starts with `prefix`.
  absl::StatusOr<Page> Scan(const std::string& department, const std::string& prefix,
                            const std::string& cursor, int limit);

  // Daily statistics snapshots. A day's snapshot is written whole in one atomic write: the
  // end-of-day one (`final`) unless the day has one already (ALREADY_EXISTS: another replica
  // took it), replacing a start-up one; a start-up one only when the day has none at all
  // (ALREADY_EXISTS otherwise).
  struct DayState {
    bool taken = false;
    bool final = false;
  };
  absl::StatusOr<DayState> DailySnapshotState(const std::string& date);
  absl::Status PutDailySnapshot(const std::string& date,
                                const std::map<std::string, v1::StatisticsRow>& rows, bool final);
  // The row `row_key` of each day's snapshot, in the order of `dates`: nullopt for a day
  // without a snapshot, an empty row (keyed `row_key`'s scope) for a day whose snapshot counted
  // nothing there.
  absl::StatusOr<std::vector<std::optional<v1::StatisticsRow>>> DailyRows(
      const std::vector<std::string>& dates, const std::string& row_key);

  // Timers due at `now`, oldest first.
  absl::StatusOr<std::vector<Timer>> DueTimers(absl::Time now, int limit);

  // One atomic write of hazards, their indexes, open/idempotency keys, timers and events.
  class Write {
   public:
    explicit Write(const HazardStore* store) : store_(store) {}
    // Create and Update also change the statistics counters (written at Commit, summed over
    // the write's hazards).
    void Create(const v1::Hazard& h);
    void Update(const v1::Hazard& before, const v1::Hazard& after);
    // The open-hazard key of (building, category): claimed (must be free: ALREADY_EXISTS
    // otherwise) or released (only when held by `id`).
    void ClaimOpen(const std::string& building_id, int category, const std::string& id);
    void ReleaseOpen(const std::string& building_id, int category, const std::string& id);
    void SetIdempotency(const std::string& subject, const std::string& key, const std::string& id,
                        const std::string& request_digest);
    void Schedule(const Timer& t);
    void Cancel(const Timer& t);
    // Consumes a timer: the write fails with ABORTED when another replica consumed it first.
    void Consume(const Timer& t);
    void Publish(events::Message m);
    absl::Status Commit();

   private:
    const HazardStore* store_;
    redis::AtomicWrite w_;
    redis::CounterDelta counters_;
  };
  Write NewWrite() const { return Write(this); }

  std::string Key(const std::string& kind, const std::string& id) const {
    return prefix_ + ":" + kind + ":" + id;
  }
  const std::string& prefix() const { return prefix_; }

 private:
  redis::Pool* pool_;
  std::string prefix_;
  StatisticsCounters counters_;
};

// The index entries of a hazard: the tier index and one per routed or supervising department.
std::vector<std::string> DepartmentIndexes(const v1::Hazard& h);

}  // namespace firegrid::hazards
