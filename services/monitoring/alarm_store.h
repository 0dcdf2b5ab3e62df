#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/monitoring/v1/state.pb.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/monitoring/engine.h"
#include "services/monitoring/repositories.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

// A device's handled state as stored: the `st` and `sver` fields of its registry hash
// (DeviceStore::DeviceKey). version 0 and an empty state when nothing was written yet.
struct StoredState {
  int64_t version = 0;
  v1::DeviceState state;
};

// One atomic change of a device: its new state and the alarms its actions raise, repeat or
// clear, with their events on the outbox, their audit records, the maintained counters and
// indexes, and the hazard-filing queue entries; all or nothing, and only if the device's state
// is still at `expected_version` (else ABORTED: re-read and evaluate again).
struct DeviceCommit {
  v1::Device device;
  v1::BuildingView building;
  int64_t expected_version = 0;
  v1::DeviceState state;
  std::vector<AlarmAction> actions;
  // For kRaise actions of dispatching rules: the alarm id → who must hear of it at once.
  std::map<std::string, v1::Dispatch> dispatch;
  std::string actor;        // "device:<id>" for signals, "monitoring" for the sweep
  std::string traceparent;  // W3C trace context for the events ("" for none)
  absl::Time now;
};

struct CommitResult {
  std::vector<v1::Alarm> alarms;  // every alarm the commit raised, repeated or cleared
  // The AlarmRaised envelopes with a dispatch, as written to the outbox: to be pushed straight
  // to notify as well (NotifyService.PushEvent).
  std::vector<::firegrid::events::v1::Envelope> dispatch_events;
};

// Every transition is appended to the alarm's history, except that beyond 50 entries the oldest
// repeats are dropped from it (the count and the audit stream keep them all).
//
// Alarms in Redis (prefix default "fg:monitoring"):
//   <p>:alm:<alarm id>             hash {data: Alarm, ver}
//   <p>:active:<device>:<type>     string: the device's active alarm id of the type (at most
//                                  one); <type> is the AlarmType name, e.g. ALARM_TYPE_FIRE
//   <p>:alms:b:<building> / <p>:alms:t:<tier>   sorted sets by raise time (ms): every alarm,
//                                  for the building and its community, street and district
//                                  (the 12-, 9- and 6-digit prefixes of its tier path)
//   <p>:open:b:<building> / <p>:open:t:<tier>   the same for alarms not CLEARED_ACK
//   <p>:cnt:b:<building> / <p>:cnt:t:<tier>     hash "<type>:<state>" (enum names) → count of
//                                  open alarms (CLEARED_ACK is not counted)
//   <p>:cnt:all                    the same over every alarm of the service (metrics)
//   <p>:hazard-due                 sorted set alarm id → when to file its hazard (ms)
//   <p>:hazard-clear               sorted set alarm id → when to tell its hazard of its clear
//                                  (ms; the clear's time, later after a failed try), for
//                                  cleared alarms with a hazard not told yet
//   <p>:seen                       sorted set device id → offline deadline (ms)
//   <p>:audit                      stream: one entry per alarm transition (alarm, device,
//                                  building, action, from, to, actor, note, at_ms), written in
//                                  the same atomic write as the transition; kept a year
// and the device's state in its registry hash (fields st, sver).
class AlarmStore final : public StateRepository {
 public:
  AlarmStore(redis::Pool* pool, std::string prefix, std::string outbox_key, const Rules* rules);

  // The stored states of `device_ids` in one round trip (same order).
  absl::StatusOr<std::vector<StoredState>> LoadStates(
      const std::vector<std::string>& device_ids) override;

  // See DeviceCommit. ABORTED when the state's version moved.
  absl::StatusOr<CommitResult> Commit(const DeviceCommit& commit) override;

  absl::StatusOr<v1::Alarm> Get(const std::string& alarm_id);
  // Alarms of a building or under a tier prefix, newest raise first, from the open indexes
  // when `open_only`; filtered by states/types/device (empty: all); `after` is an opaque
  // cursor ("" = first page); returns the page and the next cursor ("" at the end).
  struct Page {
    std::vector<v1::Alarm> alarms;
    std::string next;
  };
  struct Query {
    std::string building_id;  // set: the building's; else tier_prefix
    std::string tier_prefix;
    bool open_only = true;
    std::vector<v1::AlarmState> states;
    std::vector<v1::AlarmType> types;
    std::string device_id;
    int limit = 50;
    std::string after;
    // Index entries one call examines at most (filters may reject many): past it, the page
    // is short (maybe empty) and `next` goes on from where it stopped.
    int scan_budget = 2000;
  };
  absl::StatusOr<Page> List(const Query& query);
  // The counters of a building or a tier (6, 9 or 12 digits).
  absl::StatusOr<v1::AlarmCounts> Count(const std::string& building_id, const std::string& tier);
  // Every open alarm of the service by type and state (`<p>:cnt:all`), for the metrics.
  absl::StatusOr<v1::AlarmCounts> CountAll();

  // Acknowledge / clear by a person, audited and evented (AlarmAcknowledged / AlarmCleared)
  // atomically. FAILED_PRECONDITION for an alarm already in the target state (ack of an acked
  // alarm; clear of a cleared one). A manual clear also updates the device's state
  // (Engine::AfterManualClear) in the same write.
  absl::StatusOr<v1::Alarm> Acknowledge(const std::string& alarm_id, const std::string& actor,
                                        const std::string& note, absl::Time now,
                                        const std::string& traceparent);
  absl::StatusOr<v1::Alarm> Clear(const std::string& alarm_id, const std::string& actor,
                                  const std::string& note, absl::Time now,
                                  const std::string& traceparent);

  // The hazard queue (the rule's HazardFiling.after after the raise): alarm ids due at `now`.
  absl::StatusOr<std::vector<std::string>> HazardsDue(absl::Time now, int limit);
  // Records the filed hazard on the alarm (AlarmHazardFiled event, history "hazard_filed")
  // and takes it off the queue. An alarm that cleared meanwhile gets the hazard recorded too
  // (the hazard exists) and its clear queued for the hazard (ClearNotesDue). Recording the same
  // hazard again changes nothing.
  absl::StatusOr<v1::Alarm> MarkHazardFiled(const std::string& alarm_id,
                                            const std::string& hazard_id, absl::Time now);
  absl::Status DropHazardDue(const std::string& alarm_id);
  // Cleared alarms with a hazard whose hazard has not been told yet, due at `now`.
  absl::StatusOr<std::vector<std::string>> ClearNotesDue(absl::Time now, int limit);
  absl::Status MarkClearNoted(const std::string& alarm_id);
  // After a failed try: the entry (if still queued) is due again at `when`, so that it does
  // not hold up the entries behind it.
  absl::Status PostponeHazardDue(const std::string& alarm_id, absl::Time when);
  absl::Status PostponeClearNote(const std::string& alarm_id, absl::Time when);

  // Offline detection: each device's deadline (last seen + missed periods × heartbeat period)
  // only ever moves forward (ZADD GT); devices whose deadline passed at `now`.
  absl::Status RecordSeen(
      const std::vector<std::pair<std::string, absl::Time>>& deadlines) override;
  absl::StatusOr<std::vector<std::string>> OfflineDue(absl::Time now, int limit) override;
  // Takes a device off the watch once it is marked offline (its next signal puts it back).
  absl::Status Unwatch(const std::string& device_id) override;

 private:
  struct Loaded;  // an alarm as read, with its stored version
  class Tx;       // one atomic write of alarm transitions (alarm_store.cc)

  absl::StatusOr<std::optional<Loaded>> Load(const std::string& alarm_id);
  absl::StatusOr<CommitResult> CommitOnce(const DeviceCommit& commit);
  std::string Key(const std::string& a, const std::string& b = "") const;
  absl::StatusOr<v1::AlarmCounts> CountKey(const std::string& key, const std::string& scope);

  redis::Pool* pool_;
  std::string prefix_;
  std::string outbox_key_;
  const Rules* rules_;
  RandomIdGenerator ids_;  // event ids
};

}  // namespace firegrid::monitoring
