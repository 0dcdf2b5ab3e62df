#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/common/stop_flag.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/links.h"
#include "services/monitoring/repositories.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

// Alarm → hazard. Each round:
// - takes the alarms whose hazard is due (AlarmStore::HazardsDue: the rule's HazardFiling.after
//   past the raise); for one still active, files its hazard with the hazards service
//   (HazardsLink::FileHazard, idempotency key = the alarm id) and records it on the alarm
//   (MarkHazardFiled); one no longer active (or whose rule files none any more) leaves the
//   queue without a hazard;
// - tells the hazards of cleared alarms that their alarm cleared (HazardsLink::NoteCleared,
//   with the clear's note) and takes them off that queue.
// An entry whose call fails stays queued, due again `retry_after` later (counted in
// failures()), so that it does not hold up the entries behind it. A crash or a lost
// reply between FileHazard and MarkHazardFiled, or two replicas filing at once, still make one
// hazard: the hazards service returns the same hazard for the same idempotency key.
class HazardFiler {
 public:
  // All must outlive the filer. `batch`: entries of each queue taken per round.
  HazardFiler(AlarmStore* alarms, const Rules* rules, HazardsLink* hazards,
              DeviceDirectory* buildings, Clock* clock, int batch = 100,
              absl::Duration retry_after = absl::Seconds(30));
  ~HazardFiler();  // Stop()
  HazardFiler(const HazardFiler&) = delete;
  HazardFiler& operator=(const HazardFiler&) = delete;

  // One round: how many entries it settled (hazards filed and recorded, entries dropped,
  // clears noted). An error only when the queues cannot be read.
  absl::StatusOr<int> RunOnce();

  // Runs a round every `interval` on a thread until Stop(); a round that settled a full batch
  // is followed by the next at once.
  void Start(absl::Duration interval);
  void Stop();

  // Calls that failed (the entry stays for the next round), since the filer was created.
  int64_t failures() const { return failures_.load(); }
  int64_t filed() const { return filed_.load(); }
  int64_t noted() const { return noted_.load(); }

 private:
  // Whether the queue entry was settled; false: postponed by retry_after (counted).
  bool FileOne(const std::string& alarm_id, absl::Time now);
  bool NoteOne(const std::string& alarm_id, absl::Time now);
  void Fail(const std::string& what, const std::string& alarm_id, const absl::Status& s);

  AlarmStore* alarms_;
  const Rules* rules_;
  HazardsLink* hazards_;
  DeviceDirectory* buildings_;
  Clock* clock_;
  int batch_;
  absl::Duration retry_after_;
  std::atomic<int64_t> failures_{0};
  std::atomic<int64_t> filed_{0};
  std::atomic<int64_t> noted_{0};
  StopFlag stop_;
  std::thread thread_;
};

}  // namespace firegrid::monitoring
