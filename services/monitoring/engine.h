#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "firegrid/monitoring/v1/state.pb.h"
#include "libs/common/ids.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

// What a signal (or a silence, or a decommission) does to one device's alarms: the pure,
// deterministic heart of the service. It reads no clock but the `now` it is given and touches
// no store; the ingest pipeline loads the device's state, calls it, and commits the result
// atomically (AlarmStore::Commit) under the state's version.
struct AlarmAction {
  enum class Kind {
    kRaise,   // a new alarm (alarm_id freshly generated)
    kRepeat,  // the condition rose again while its alarm is active: count + 1
    kClear,   // the condition went away (or the device came back, or was decommissioned)
  };
  Kind kind = Kind::kRaise;
  std::string rule_id;
  v1::AlarmType type = v1::ALARM_TYPE_UNSPECIFIED;
  v1::AlarmSeverity severity = v1::ALARM_SEVERITY_UNSPECIFIED;
  std::string alarm_id;
  // kRaise: device time of the condition's onset; others: device time of the signal (server
  // time for silence and decommission).
  absl::Time at = absl::InfinitePast();
  double value = 0;  // analog rules: the value of the signal
  double limit = 0;  // analog rules: the rule's limit
  // Human-readable, e.g. "压力 0.06 MPa < 0.10 MPa 持续 10 分钟", "点位 1-023".
  std::string details;
};

struct Evaluation {
  enum class Verdict {
    kAccepted,   // handled: (boot_epoch, sequence) is newer than the state's
    kDuplicate,  // at or below the state's (boot_epoch, sequence): no effect at all
    kRejected,   // reject_reason says why; no effect
  };
  Verdict verdict = Verdict::kAccepted;
  // "from_the_future" (device time beyond now + max_clock_skew, a boot epoch beyond that
  // time in Unix milliseconds, or a sequence beyond 2^48), "decommissioned",
  // "malformed" (no device time, sequence 0, an analog value not finite, ...).
  std::string reject_reason;
  // The state after the signal (unchanged for duplicates and rejections).
  v1::DeviceState state;
  // Whether `state` must be written: bits, point, a condition or the offline flag changed, or
  // there are actions. A heartbeat that changes none of these is not written (its sequence and
  // values are not kept; replaying it has no effect either).
  bool state_changed = false;
  std::vector<AlarmAction> actions;
};

class Engine {
 public:
  // `rules` and `ids` must outlive the engine; `ids` makes alarm ids ("alm_<ulid>").
  Engine(const Rules* rules, IdGenerator* ids);

  // The effect of `signal` on `device` whose handled state is `state`, at server time `now`.
  // Order: (boot_epoch, sequence) must be above the state's (a larger boot_epoch restarts the
  // sequence); the device time must not be beyond now + max_clock_skew. A device that is
  // INSTALLED (not yet in service) gets its state updated but no alarms; a DECOMMISSIONED one
  // is rejected. An offline device's signal clears its offline alarm. For every rule of the
  // device's type: bit rules raise when the bit has been set for the rule's duration (device
  // time since the first signal with it), analog rules when the value has been past the limit
  // for the duration; an active alarm clears when the condition is gone (analog: past the
  // hysteresis band back inside the limit; a value at the band's edge is back), except for
  // latching rules; a rising edge of the condition while its alarm is active is a repeat. A
  // signal without a rule's analog quantity leaves that rule's condition as it was.
  // An alarm a person cleared while its condition still holds is not raised again until the
  // condition has gone away and come back (AfterManualClear). An INSTALLED device keeps no
  // pending conditions, so that its runs start afresh when it goes into service.
  Evaluation OnSignal(const v1::Device& device, const v1::DeviceState& state,
                      const v1::Signal& signal, absl::Time now) const;

  // Whether `signal` meets the condition of a dispatching rule of the device's type (e.g. a
  // fire alarm bit): the ingest pipeline handles such devices first. Duration, order and state
  // are not looked at.
  bool MayDispatch(const v1::Device& device, const v1::Signal& signal) const;

  // The offline rule at `now` for a device last heard from at `last_seen`: raises the offline
  // alarm when the device is in service, not already offline, and silent for missed_periods of
  // its heartbeat period. Otherwise an evaluation with no actions and state_changed false.
  Evaluation OnSilence(const v1::Device& device, const v1::DeviceState& state, absl::Time last_seen,
                       absl::Time now) const;

  // The device was decommissioned at `now`: every active alarm of its state clears.
  Evaluation OnDecommission(const v1::Device& device, const v1::DeviceState& state,
                            absl::Time now) const;

  // A person cleared `alarm_id` by hand: the state forgets it (the condition's alarm id and,
  // for the offline alarm, the offline flag), so that the condition rising again raises a new
  // alarm. The state unchanged when it does not hold that alarm.
  static v1::DeviceState AfterManualClear(const v1::DeviceState& state,
                                          const std::string& alarm_id);

 private:
  // The rules of one device type, looked up once (not per signal).
  struct TypeRules {
    std::vector<const config::v1::StateBitRule*> bits;
    std::vector<const config::v1::AnalogRule*> analog;
  };
  const TypeRules& RulesOf(v1::DeviceType type) const;

  const Rules* rules_;
  IdGenerator* ids_;
  std::vector<TypeRules> by_type_;  // by DeviceType value; [0] (unspecified) has none
};

// (boot_epoch, sequence) of `a` is above that of `b`'s state.
bool IsNewer(const v1::Signal& a, const v1::DeviceState& b);

}  // namespace firegrid::monitoring
