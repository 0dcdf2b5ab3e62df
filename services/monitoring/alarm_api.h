#pragma once

#include "absl/status/statusor.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/repositories.h"

namespace firegrid::monitoring {

// The alarm RPCs: reads scoped by access.h (a building's alarms need MayRead of the building;
// a tier listing MayListTier), acknowledge and clear with a note (at most 1000 bytes of UTF-8,
// required for a clear), audited and evented by the store.
class AlarmApi {
 public:
  AlarmApi(AlarmStore* alarms, DeviceDirectory* buildings, Clock* clock);

  absl::StatusOr<v1::Alarm> Get(const auth::Principal& p, const v1::GetAlarmRequest& r);
  absl::StatusOr<v1::ListAlarmsResponse> List(const auth::Principal& p,
                                              const v1::ListAlarmsRequest& r);
  absl::StatusOr<v1::AlarmCounts> Count(const auth::Principal& p, const v1::CountAlarmsRequest& r);
  absl::StatusOr<v1::Alarm> Acknowledge(const auth::Principal& p,
                                        const v1::AcknowledgeAlarmRequest& r);
  absl::StatusOr<v1::Alarm> Clear(const auth::Principal& p, const v1::ClearAlarmRequest& r);

 private:
  // The alarm's building from the projection; when the projection does not know it, a view of
  // what the alarm records (its id, name and tier path: tier roles keep their access).
  absl::StatusOr<v1::BuildingView> BuildingOf(const v1::Alarm& alarm);

  AlarmStore* alarms_;
  DeviceDirectory* buildings_;
  Clock* clock_;
};

}  // namespace firegrid::monitoring
