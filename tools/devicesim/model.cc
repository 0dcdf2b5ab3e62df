#include "tools/devicesim/model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"

namespace firegrid::devicesim {
namespace {

namespace sv1 = ::firegrid::monitoring::v1;

// Normal value, its noise per tick, the value of a lasting drop (low pressure) and of a fault
// spike, per quantity. The limits are those of config/monitoring_rules.textproto.
struct Profile {
  double normal;
  double noise;
  double low;    // below the limit (pressure, level)
  double spike;  // beyond the limit (current, temperature, gas)
};
Profile ProfileOf(mv1::DeviceType type, sv1::Quantity q) {
  switch (q) {
    case sv1::QUANTITY_PRESSURE_MPA:
      return type == mv1::DEVICE_TYPE_SPRINKLER_PRESSURE ? Profile{0.35, 0.004, 0.02, 0.35}
                                                         : Profile{0.30, 0.004, 0.05, 0.30};
    case sv1::QUANTITY_LEVEL_M:
      return {2.6, 0.01, 0.6, 2.6};  // limit 1.0 m
    case sv1::QUANTITY_RESIDUAL_CURRENT_MA:
      return {90, 4, 90, 380};  // limit 300 mA
    case sv1::QUANTITY_TEMPERATURE_C:
      return {34, 0.3, 34, 34};
    case sv1::QUANTITY_GAS_LEL_PERCENT:
      return {1.5, 0.2, 1.5, 32};  // limit 25 %LEL
    default:
      return {0, 0, 0, 0};
  }
}

bool CanFireAlarm(mv1::DeviceType t) {
  return t == mv1::DEVICE_TYPE_FIRE_ALARM_PANEL || t == mv1::DEVICE_TYPE_SMOKE_DETECTOR;
}
bool CanRunLow(mv1::DeviceType t) {
  return t == mv1::DEVICE_TYPE_HYDRANT_PRESSURE || t == mv1::DEVICE_TYPE_SPRINKLER_PRESSURE ||
         t == mv1::DEVICE_TYPE_WATER_TANK_LEVEL;
}
// Analog monitors show a fault as a value beyond the limit; the others raise the fault bit.
bool FaultIsSpike(mv1::DeviceType t) {
  return t == mv1::DEVICE_TYPE_ELECTRICAL_FIRE_MONITOR || t == mv1::DEVICE_TYPE_GAS_DETECTOR;
}

}  // namespace

std::vector<sv1::Quantity> QuantitiesOf(mv1::DeviceType type) {
  switch (type) {
    case mv1::DEVICE_TYPE_HYDRANT_PRESSURE:
    case mv1::DEVICE_TYPE_SPRINKLER_PRESSURE:
      return {sv1::QUANTITY_PRESSURE_MPA};
    case mv1::DEVICE_TYPE_WATER_TANK_LEVEL:
      return {sv1::QUANTITY_LEVEL_M};
    case mv1::DEVICE_TYPE_ELECTRICAL_FIRE_MONITOR:
      return {sv1::QUANTITY_RESIDUAL_CURRENT_MA, sv1::QUANTITY_TEMPERATURE_C};
    case mv1::DEVICE_TYPE_GAS_DETECTOR:
      return {sv1::QUANTITY_GAS_LEL_PERCENT};
    default:
      return {};
  }
}

absl::StatusOr<Trigger> ParseTrigger(absl::string_view name) {
  if (name == "fire_alarm") return Trigger::kFireAlarm;
  if (name == "low_pressure") return Trigger::kLowPressure;
  if (name == "fault") return Trigger::kFault;
  if (name == "restore") return Trigger::kRestore;
  if (name == "reboot") return Trigger::kReboot;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown trigger \"", name, "\" (fire_alarm, low_pressure, fault, restore, reboot)"));
}

SimFleet::SimFleet(std::vector<SimDevice> devices, SimOptions options, absl::Time start)
    : devices_(std::move(devices)), options_(options), rng_(options.seed), last_tick_(start) {
  live_.resize(devices_.size());
  for (size_t i = 0; i < devices_.size(); ++i) {
    index_[devices_[i].device_id] = i;
    Live& l = live_[i];
    l.boot_epoch = static_cast<uint64_t>(absl::ToUnixMillis(start));
    for (sv1::Quantity q : QuantitiesOf(devices_[i].type)) {
      l.values[q] = ProfileOf(devices_[i].type, q).normal;
    }
    l.next_heartbeat = start;  // every device reports at once
  }
}

absl::Status SimFleet::Apply(const std::string& device_id, Trigger trigger, absl::Time now) {
  auto it = index_.find(device_id);
  if (it == index_.end()) {
    return absl::NotFoundError(absl::StrCat("no device ", device_id, " in the fleet"));
  }
  const SimDevice& d = devices_[it->second];
  Live& l = live_[it->second];
  switch (trigger) {
    case Trigger::kFireAlarm:
      if (!CanFireAlarm(d.type)) {
        return absl::FailedPreconditionError(
            absl::StrCat(device_id, " is a ", DeviceTypeName(d.type), ": no fire alarms"));
      }
      l.fire_until = now + options_.fire_alarm_duration;
      if (d.type == mv1::DEVICE_TYPE_FIRE_ALARM_PANEL) {
        l.point = absl::StrFormat("1-%03d", std::uniform_int_distribution<int>(1, 200)(rng_));
      }
      break;
    case Trigger::kLowPressure:
      if (!CanRunLow(d.type)) {
        return absl::FailedPreconditionError(absl::StrCat(
            device_id, " is a ", DeviceTypeName(d.type), ": no pressure or level to drop"));
      }
      l.low = true;
      break;
    case Trigger::kFault:
      l.fault_until = now + options_.fault_duration;
      break;
    case Trigger::kRestore:
      l.low = false;
      l.fault_until = absl::InfinitePast();
      l.fire_until = absl::InfinitePast();
      break;
    case Trigger::kReboot:
      Reboot(l, now);
      break;
  }
  Evolve(it->second, now);
  l.changed = true;
  return absl::OkStatus();
}

void SimFleet::Reboot(Live& l, absl::Time now) {
  l.boot_epoch = std::max(l.boot_epoch + 1, static_cast<uint64_t>(absl::ToUnixMillis(now)));
  l.sequence = 0;
  l.changed = true;
}

bool SimFleet::Happens(absl::Duration mean_interval, absl::Duration elapsed) {
  if (mean_interval <= absl::ZeroDuration() || elapsed <= absl::ZeroDuration()) return false;
  const double p = 1 - std::exp(-absl::FDivDuration(elapsed, mean_interval));
  return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

void SimFleet::RandomEvents(absl::Time now, absl::Duration elapsed) {
  if (devices_.empty()) return;
  auto pick = [&](auto can) -> int {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < devices_.size(); ++i) {
      if (can(devices_[i].type)) candidates.push_back(i);
    }
    if (candidates.empty()) return -1;
    return static_cast<int>(
        candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)]);
  };
  if (Happens(options_.fault_every, elapsed)) {
    int i = pick([](mv1::DeviceType) { return true; });
    if (i >= 0) (void)Apply(devices_[i].device_id, Trigger::kFault, now);
  }
  if (Happens(options_.fire_alarm_every, elapsed)) {
    int i = pick(CanFireAlarm);
    if (i >= 0) (void)Apply(devices_[i].device_id, Trigger::kFireAlarm, now);
  }
  if (Happens(options_.reboot_every, elapsed)) {
    int i = pick([](mv1::DeviceType) { return true; });
    if (i >= 0) (void)Apply(devices_[i].device_id, Trigger::kReboot, now);
  }
}

// Moves the device's bits and values to what they are at `now`; marks a change of the bits or
// a jump of a value past its limit as a change to report at once.
void SimFleet::Evolve(size_t i, absl::Time now) {
  const SimDevice& d = devices_[i];
  Live& l = live_[i];
  const bool fire = now < l.fire_until;
  const bool fault = now < l.fault_until;
  sv1::StateBits bits;
  bits.set_fire_alarm(fire);
  bits.set_fault(fault && !FaultIsSpike(d.type));
  if (!fire) l.point.clear();
  if (bits.SerializeAsString() != l.bits.SerializeAsString()) {
    l.bits = bits;
    l.changed = true;
  }
  for (auto& [q, value] : l.values) {
    const Profile p = ProfileOf(d.type, static_cast<sv1::Quantity>(q));
    double target = p.normal;
    if (l.low) target = p.low;
    if (fault && FaultIsSpike(d.type)) target = p.spike;
    const double before = value;
    // Mean-reverting drift; a forced level is reached within a few ticks.
    value += 0.3 * (target - value) + std::normal_distribution<double>(0, p.noise)(rng_);
    value = std::max(0.0, value);
    if (std::abs(value - before) > 10 * p.noise) l.changed = true;
  }
}

sv1::Signal SimFleet::Emit(size_t i, absl::Time now) {
  const SimDevice& d = devices_[i];
  Live& l = live_[i];
  sv1::Signal s;
  s.set_device_id(d.device_id);
  s.set_boot_epoch(l.boot_epoch);
  s.set_sequence(++l.sequence);
  *s.mutable_device_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  *s.mutable_state() = l.bits;
  for (const auto& [q, value] : l.values) {
    sv1::AnalogValue* a = s.add_analog();
    a->set_quantity(static_cast<sv1::Quantity>(q));
    a->set_value(std::round(value * 1000) / 1000);
  }
  s.set_point(l.point);
  l.changed = false;
  l.next_heartbeat = now + d.heartbeat_period;
  return s;
}

std::vector<sv1::Signal> SimFleet::Tick(absl::Time now) {
  RandomEvents(now, now - last_tick_);
  last_tick_ = now;
  std::vector<sv1::Signal> due;
  for (size_t i = 0; i < devices_.size(); ++i) {
    Evolve(i, now);
    if (live_[i].changed || now >= live_[i].next_heartbeat) due.push_back(Emit(i, now));
  }
  return due;
}

}  // namespace firegrid::devicesim
