#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "tools/devicesim/fleet.h"

namespace firegrid::devicesim {

// How often things happen in the simulated fleet. Intervals are fleet-wide means (events come
// as a Poisson process); zero: never.
struct SimOptions {
  absl::Duration fault_every = absl::Minutes(10);
  absl::Duration fault_duration = absl::Minutes(3);
  absl::Duration fire_alarm_every = absl::Minutes(45);
  // How long a panel or detector shows the fire alarm before it is reset at the device.
  absl::Duration fire_alarm_duration = absl::Minutes(1);
  absl::Duration reboot_every = absl::Hours(2);
  uint64_t seed = 1;
};

// What can be made to happen to one device at once.
enum class Trigger {
  kFireAlarm,    // a panel or smoke detector reports a fire alarm (fire_alarm_duration)
  kLowPressure,  // a pressure or level device drops below its limit and stays there
  kFault,        // the device's fault (or, for analog monitors, its value beyond the limit)
  kRestore,      // back to normal: fault, fire alarm and low pressure gone
  kReboot,       // restart: a new boot epoch, sequence numbers from 1
};
absl::StatusOr<Trigger> ParseTrigger(absl::string_view name);  // "fire_alarm", "low_pressure", ...

// The simulated fleet. Each device reports like a real one: a signal every heartbeat period with
// its state bits and drifting analog values, and at once when its state bits change or a value
// jumps; (boot_epoch, sequence) increase, the epoch being the boot time in milliseconds since
// 1970 (so a restarted simulator's devices have higher epochs than before, even within a second)
// and sequences restarting from 1 after a reboot. Not thread-safe.
class SimFleet {
 public:
  SimFleet(std::vector<SimDevice> devices, SimOptions options, absl::Time start);

  // NOT_FOUND for an unknown device; FAILED_PRECONDITION when the device cannot do it (a fire
  // alarm on a pressure sensor, low pressure on a smoke detector).
  absl::Status Apply(const std::string& device_id, Trigger trigger, absl::Time now);

  // Advances the fleet to `now` (random events, drift) and returns the signals due: every
  // device whose heartbeat is due or whose state changed, in fleet order. The first call
  // reports every device.
  std::vector<monitoring::v1::Signal> Tick(absl::Time now);

  const std::vector<SimDevice>& devices() const { return devices_; }

 private:
  struct Live {
    uint64_t boot_epoch = 0;
    uint64_t sequence = 0;
    absl::Time next_heartbeat = absl::InfinitePast();
    monitoring::v1::StateBits bits;
    std::string point;             // the panel point of the current fire alarm
    std::map<int, double> values;  // by Quantity
    absl::Time fault_until = absl::InfinitePast();
    absl::Time fire_until = absl::InfinitePast();
    bool low = false;
    bool changed = true;
  };

  void RandomEvents(absl::Time now, absl::Duration elapsed);
  bool Happens(absl::Duration mean_interval, absl::Duration elapsed);
  void Evolve(size_t i, absl::Time now);
  void Reboot(Live& live, absl::Time now);
  monitoring::v1::Signal Emit(size_t i, absl::Time now);

  std::vector<SimDevice> devices_;
  std::vector<Live> live_;
  std::map<std::string, size_t> index_;
  SimOptions options_;
  std::mt19937_64 rng_;
  absl::Time last_tick_;
};

// The analog quantities a device type reports (empty for panels and smoke detectors).
std::vector<monitoring::v1::Quantity> QuantitiesOf(monitoring::v1::DeviceType type);

}  // namespace firegrid::devicesim
