#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "firegrid/config/v1/monitoring_rules.pb.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/monitoring/v1/state.pb.h"

namespace firegrid::monitoring {

// What monitoring asks of the other services, as the service principal "service:monitoring"
// (role internal_service). Implemented over gRPC in grpc_links.h; fakes in tests.

class HazardsLink {
 public:
  virtual ~HazardsLink() = default;
  // Files the hazard of a lasting alarm (source IoT, the alarm as device_alarm, idempotency key
  // = the alarm id, so a retry returns the same hazard): the hazard id (or the open hazard it
  // joined as a duplicate).
  virtual absl::StatusOr<std::string> FileHazard(const v1::Alarm& alarm,
                                                 const config::v1::HazardFiling& filing,
                                                 const v1::BuildingView& building) = 0;
  // Tells the alarm's hazard that the alarm cleared (NoteDeviceAlarmCleared; once per alarm on
  // the hazards side, so a retry is harmless).
  virtual absl::Status NoteCleared(const v1::Alarm& alarm, const std::string& note) = 0;
};

class NotifyLink {
 public:
  virtual ~NotifyLink() = default;
  // NotifyService.PushEvent with the serialized envelope.
  virtual absl::Status Push(const ::firegrid::events::v1::Envelope& envelope) = 0;
};

// Who must hear of a dispatching alarm of `building` at once, given its nearest `stations`
// (nearest first): the stations ("org:<station id>"), the building's subjects
// ("person:<subject>"), its community ("org:<community>") and the district's department of
// `rule.fire_rescue_department` ("org:<district>.<slug>"); no repeats.
v1::Dispatch DispatchFor(const config::v1::DispatchRule& rule, const v1::BuildingView& building,
                         std::vector<v1::StationRef> stations);

}  // namespace firegrid::monitoring
