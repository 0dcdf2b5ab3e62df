// The parts of engine.h that only look at a device's stored state (shared by the engine and
// the alarm store's manual clear).
#include "services/monitoring/engine.h"

namespace firegrid::monitoring {

bool IsNewer(const v1::Signal& a, const v1::DeviceState& b) {
  if (a.boot_epoch() != b.boot_epoch()) return a.boot_epoch() > b.boot_epoch();
  return a.sequence() > b.sequence();
}

v1::DeviceState Engine::AfterManualClear(const v1::DeviceState& state,
                                         const std::string& alarm_id) {
  v1::DeviceState out = state;
  if (alarm_id.empty()) return out;
  for (v1::ConditionState& c : *out.mutable_conditions()) {
    if (c.alarm_id() == alarm_id) c.clear_alarm_id();
  }
  if (out.offline_alarm_id() == alarm_id) {
    out.clear_offline_alarm_id();
    out.set_offline(false);
  }
  return out;
}

}  // namespace firegrid::monitoring
