#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "services/monitoring/links.h"
#include "services/monitoring/repositories.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

// What the filer needs of the alarm store (AlarmStore has these; an adapter in main.cc, fakes
// in tests).
class HazardQueue {
 public:
  virtual ~HazardQueue() = default;
  virtual absl::StatusOr<v1::Alarm> Get(const std::string& alarm_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> HazardsDue(absl::Time now, int limit) = 0;
  virtual absl::Status MarkHazardFiled(const std::string& alarm_id, const std::string& hazard_id,
                                       absl::Time now) = 0;
  virtual absl::Status DropHazardDue(const std::string& alarm_id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ClearNotesDue(int limit) = 0;
  virtual absl::Status MarkClearNoted(const std::string& alarm_id) = 0;
};

struct FilerRound {
  int filed = 0;    // hazards filed (or found already filed) and recorded
  int dropped = 0;  // queue entries of alarms no longer active, unknown, or without a filing
  int noted = 0;    // hazards told that their alarm cleared
  int failed = 0;   // calls that failed (tried again next round)
};

// Alarm → hazard (run periodically): for each alarm whose hazard is due and that is still
// active, files the hazard through the link (idempotent by alarm id, so a retry after a crash,
// or another replica doing the same, gives the same hazard) and records it on the alarm; for
// each alarm with a hazard that cleared, tells the hazard once. Failures stay queued.
class HazardFiler {
 public:
  HazardFiler(HazardQueue* queue, DeviceDirectory* buildings, const Rules* rules, HazardsLink* link)
      : queue_(queue), buildings_(buildings), rules_(rules), link_(link) {}

  // One round of at most `limit` of each. An error only when the queues cannot be read.
  absl::StatusOr<FilerRound> RunOnce(absl::Time now, int limit = 100);

 private:
  HazardQueue* queue_;
  DeviceDirectory* buildings_;
  const Rules* rules_;
  HazardsLink* link_;
};

// The note a hazard gets when its alarm clears: who cleared it and their note, or that the
// device reported the condition gone.
std::string ClearNote(const v1::Alarm& alarm);

}  // namespace firegrid::monitoring
