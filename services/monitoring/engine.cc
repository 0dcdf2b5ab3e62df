// The alarm engine (engine.h): a signal, a silence or a decommission → the device's new state
// and the alarm actions to commit. Pure: no clock but `now`, no store.
#include "services/monitoring/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"

namespace firegrid::monitoring {

namespace cfg = ::firegrid::config::v1;

namespace {

// Timestamps outside this range are not valid protobuf timestamps (0001-01-01 .. 9999-12-31).
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;
constexpr uint64_t kMaxSequence = uint64_t{1} << 48;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ns = absl::ToUnixNanos(t);
  int64_t s = ns / 1'000'000'000;
  int64_t n = ns % 1'000'000'000;
  if (n < 0) {
    n += 1'000'000'000;
    --s;
  }
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(n));
}

absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

bool BitOf(const v1::StateBits& bits, cfg::StateBit bit) {
  switch (bit) {
    case cfg::STATE_BIT_FIRE_ALARM:
      return bits.fire_alarm();
    case cfg::STATE_BIT_FAULT:
      return bits.fault();
    case cfg::STATE_BIT_SUPERVISORY:
      return bits.supervisory();
    case cfg::STATE_BIT_SHIELDED:
      return bits.shielded();
    case cfg::STATE_BIT_MAIN_POWER_FAULT:
      return bits.main_power_fault();
    case cfg::STATE_BIT_BACKUP_POWER_FAULT:
      return bits.backup_power_fault();
    default:
      return false;
  }
}

const char* BitName(cfg::StateBit bit) {
  switch (bit) {
    case cfg::STATE_BIT_FIRE_ALARM:
      return "火警";
    case cfg::STATE_BIT_FAULT:
      return "故障";
    case cfg::STATE_BIT_SUPERVISORY:
      return "监管";
    case cfg::STATE_BIT_SHIELDED:
      return "屏蔽";
    case cfg::STATE_BIT_MAIN_POWER_FAULT:
      return "主电故障";
    case cfg::STATE_BIT_BACKUP_POWER_FAULT:
      return "备电故障";
    default:
      return "状态";
  }
}

struct QuantityText {
  const char* name;
  const char* unit;
  const char* format;  // of the number
};

QuantityText TextOf(v1::Quantity q) {
  switch (q) {
    case v1::QUANTITY_PRESSURE_MPA:
      return {"管网压力", "MPa", "%.2f"};
    case v1::QUANTITY_LEVEL_M:
      return {"水位", "m", "%.2f"};
    case v1::QUANTITY_RESIDUAL_CURRENT_MA:
      return {"剩余电流", "mA", "%.0f"};
    case v1::QUANTITY_TEMPERATURE_C:
      return {"线缆温度", "°C", "%.1f"};
    case v1::QUANTITY_GAS_LEL_PERCENT:
      return {"可燃气体浓度", "%LEL", "%.0f"};
    default:
      return {"测量值", "", "%g"};
  }
}

std::string Number(v1::Quantity q, double v) {
  const QuantityText t = TextOf(q);
  char buf[64];
  std::snprintf(buf, sizeof buf, t.format, v);
  std::string n = buf;
  return t.unit[0] == '\0' ? n : absl::StrCat(n, " ", t.unit);
}

// "10 分钟", "30 秒", "24 小时"; "" for zero.
std::string Span(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "";
  const int64_t s = absl::ToInt64Seconds(d);
  if (s % 3600 == 0) return absl::StrCat(s / 3600, " 小时");
  if (s % 60 == 0) return absl::StrCat(s / 60, " 分钟");
  return absl::StrCat(s, " 秒");
}

std::string PointText(const v1::Device& device, const v1::Signal& signal) {
  if (!signal.point().empty()) return absl::StrCat(" 点位 ", signal.point());
  if (!device.point().empty()) return absl::StrCat(" ", device.point());
  return "";
}

// The condition of `rule_id` in `state`, added (not met) when absent.
v1::ConditionState* ConditionOf(v1::DeviceState* state, const std::string& rule_id) {
  for (v1::ConditionState& c : *state->mutable_conditions()) {
    if (c.rule_id() == rule_id) return &c;
  }
  v1::ConditionState* c = state->add_conditions();
  c->set_rule_id(rule_id);
  return c;
}

const v1::ConditionState* FindCondition(const v1::DeviceState& state, const std::string& rule_id) {
  for (const v1::ConditionState& c : state.conditions()) {
    if (c.rule_id() == rule_id) return &c;
  }
  return nullptr;
}

// Whether the current run of `before` (met since pending_since) already raised its alarm: the
// state is only written when something changes, and the signal at which the run's duration
// had passed raised (and was written). So a run whose written device time is at least the
// duration past its onset has raised, even when a person has since cleared the alarm by hand
// (then the condition must go away and come back to raise again).
bool RunRaised(const v1::ConditionState* before, const v1::DeviceState& state,
               absl::Duration duration) {
  if (before == nullptr || !before->met() || !before->has_pending_since()) return false;
  if (!before->alarm_id().empty()) return true;
  return TimeOf(state.device_time()) - TimeOf(before->pending_since()) >= duration;
}

bool Malformed(const v1::Signal& signal) {
  if (signal.device_id().empty() || signal.sequence() == 0) return true;
  if (!signal.has_device_time()) return true;
  const auto& t = signal.device_time();
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds || t.nanos() < 0 ||
      t.nanos() > 999'999'999) {
    return true;
  }
  for (const v1::AnalogValue& a : signal.analog()) {
    if (a.quantity() == v1::QUANTITY_UNSPECIFIED || !std::isfinite(a.value())) return true;
  }
  return false;
}

const v1::AnalogValue* ValueOf(const v1::Signal& signal, v1::Quantity q) {
  for (const v1::AnalogValue& a : signal.analog()) {
    if (a.quantity() == q) return &a;
  }
  return nullptr;
}

absl::Duration HeartbeatOf(const v1::Device& device) {
  absl::Duration d = DurationOf(device.heartbeat_period());
  return d > absl::ZeroDuration() ? d : absl::Minutes(5);
}

bool SameBits(const v1::StateBits& a, const v1::StateBits& b) {
  return a.fire_alarm() == b.fire_alarm() && a.fault() == b.fault() &&
         a.supervisory() == b.supervisory() && a.shielded() == b.shielded() &&
         a.started() == b.started() && a.feedback() == b.feedback() && a.delay() == b.delay() &&
         a.main_power_fault() == b.main_power_fault() &&
         a.backup_power_fault() == b.backup_power_fault();
}

Evaluation Unchanged(const v1::DeviceState& state, Evaluation::Verdict verdict,
                     std::string reason = "") {
  Evaluation e;
  e.verdict = verdict;
  e.reject_reason = std::move(reason);
  e.state = state;
  return e;
}

}  // namespace

Engine::Engine(const Rules* rules, IdGenerator* ids) : rules_(rules), ids_(ids) {
  by_type_.resize(v1::DeviceType_MAX + 1);
  for (int t = v1::DeviceType_MIN; t <= v1::DeviceType_MAX; ++t) {
    if (t == v1::DEVICE_TYPE_UNSPECIFIED || !v1::DeviceType_IsValid(t)) continue;
    by_type_[t].bits = rules_->StateBitRulesFor(static_cast<v1::DeviceType>(t));
    by_type_[t].analog = rules_->AnalogRulesFor(static_cast<v1::DeviceType>(t));
  }
}

const Engine::TypeRules& Engine::RulesOf(v1::DeviceType type) const {
  const int t = static_cast<int>(type);
  return t > 0 && t < static_cast<int>(by_type_.size()) ? by_type_[t] : by_type_[0];
}

Evaluation Engine::OnSignal(const v1::Device& device, const v1::DeviceState& state,
                            const v1::Signal& signal, absl::Time now) const {
  if (device.status() == v1::DEVICE_STATUS_DECOMMISSIONED) {
    return Unchanged(state, Evaluation::Verdict::kRejected, "decommissioned");
  }
  if (Malformed(signal)) return Unchanged(state, Evaluation::Verdict::kRejected, "malformed");
  if (!IsNewer(signal, state)) return Unchanged(state, Evaluation::Verdict::kDuplicate);
  const absl::Time t = TimeOf(signal.device_time());
  // A boot epoch (a counter, or the boot time in seconds or milliseconds) is never beyond the
  // present in milliseconds, and no device sends 2^48 signals in one boot: either would shut
  // out its genuine later signals.
  const absl::Time horizon = now + rules_->max_clock_skew();
  if (t > horizon || signal.sequence() > kMaxSequence ||
      signal.boot_epoch() >
          static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(horizon)))) {
    return Unchanged(state, Evaluation::Verdict::kRejected, "from_the_future");
  }

  Evaluation e;
  e.verdict = Evaluation::Verdict::kAccepted;
  v1::DeviceState& next = e.state;
  next = state;
  next.set_boot_epoch(signal.boot_epoch());
  next.set_sequence(signal.sequence());
  *next.mutable_device_time() = signal.device_time();
  *next.mutable_state() = signal.state();
  *next.mutable_analog() = signal.analog();
  next.set_point(signal.point());

  bool changed = !SameBits(state.state(), signal.state()) || state.point() != signal.point();
  bool conditions_changed = false;

  // The device is heard from: its offline alarm clears.
  if (state.offline()) {
    if (!state.offline_alarm_id().empty()) {
      AlarmAction a;
      a.kind = AlarmAction::Kind::kClear;
      a.rule_id = rules_->proto().offline().id();
      a.type = v1::ALARM_TYPE_OFFLINE;
      a.severity = rules_->proto().offline().severity();
      a.alarm_id = state.offline_alarm_id();
      a.at = t;
      a.details = "设备恢复上报";
      e.actions.push_back(std::move(a));
    }
    next.set_offline(false);
    next.clear_offline_alarm_id();
    changed = true;
  }

  if (device.status() != v1::DEVICE_STATUS_IN_SERVICE) {
    // Installed, not yet in service: no alarms, and no runs that would carry into service.
    v1::DeviceState kept = next;
    kept.clear_conditions();
    for (const v1::ConditionState& c : next.conditions()) {
      if (!c.alarm_id().empty()) *kept.add_conditions() = c;
    }
    if (kept.conditions_size() != next.conditions_size()) changed = true;
    next = std::move(kept);
    e.state_changed = changed || !e.actions.empty();
    return e;
  }

  // One rule: `met` whether the raise condition holds, `gone` whether it has gone away (for
  // analog rules: beyond the hysteresis band); neither: keep the condition as it is. The
  // details are only written for an action (most signals have none).
  auto apply = [&](const std::string& rule_id, bool met, bool gone, bool latching,
                   absl::Duration duration, v1::AlarmType type, v1::AlarmSeverity severity,
                   double value, double limit, auto raise_text, auto clear_text) {
    const v1::ConditionState* before = FindCondition(state, rule_id);
    const bool was_met = before != nullptr && before->met();
    if (!met && !gone) return;  // inside the hysteresis band: nothing moves
    if (!met && (before == nullptr || (!before->met() && !before->has_pending_since() &&
                                       (latching || before->alarm_id().empty())))) {
      return;  // nothing to forget
    }
    auto action = [&](AlarmAction::Kind kind, std::string alarm_id, absl::Time at,
                      std::string details) {
      AlarmAction a;
      a.kind = kind;
      a.rule_id = rule_id;
      a.type = type;
      a.severity = severity;
      a.alarm_id = std::move(alarm_id);
      a.at = at;
      a.value = value;
      a.limit = limit;
      a.details = std::move(details);
      e.actions.push_back(std::move(a));
    };
    v1::ConditionState* c = ConditionOf(&next, rule_id);
    conditions_changed = true;  // below, every path changes the condition or raises
    if (met) {
      if (!was_met) {
        SetTime(t, c->mutable_pending_since());
        c->set_met(true);
        if (!c->alarm_id().empty()) {  // a rising edge while the alarm is active
          action(AlarmAction::Kind::kRepeat, c->alarm_id(), t, raise_text());
          return;
        }
      }
      if (c->alarm_id().empty() && !RunRaised(before, state, duration) &&
          t - TimeOf(c->pending_since()) >= duration) {
        c->set_alarm_id(ids_->NewId("alm"));
        action(AlarmAction::Kind::kRaise, c->alarm_id(), TimeOf(c->pending_since()), raise_text());
      } else if (was_met) {
        conditions_changed = false;  // still met, still pending or active: as it was
      }
      return;
    }
    // Gone.
    c->clear_pending_since();
    c->set_met(false);
    if (!c->alarm_id().empty() && !latching) {
      action(AlarmAction::Kind::kClear, c->alarm_id(), t, clear_text());
      c->clear_alarm_id();
    }
  };

  const std::string point =
      signal.point().empty() && device.point().empty() ? std::string() : PointText(device, signal);
  for (const cfg::StateBitRule* r : RulesOf(device.type()).bits) {
    const bool set = BitOf(signal.state(), r->bit());
    const absl::Duration duration = DurationOf(r->duration());
    apply(
        r->id(), set, !set, r->latching(), duration, r->alarm_type(), r->severity(), 0, 0,
        [&] {
          std::string text = absl::StrCat(BitName(r->bit()), point);
          const std::string span = Span(duration);
          if (!span.empty()) absl::StrAppend(&text, " 持续 ", span);
          return text;
        },
        [&] { return absl::StrCat(BitName(r->bit()), "恢复", point); });
  }
  for (const cfg::AnalogRule* r : RulesOf(device.type()).analog) {
    const v1::AnalogValue* v = ValueOf(signal, r->quantity());
    if (v == nullptr) continue;  // the signal does not report it: the condition stays
    const double x = v->value();
    const bool below = r->direction() == cfg::DIRECTION_BELOW;
    const bool past = below ? x < r->limit() : x > r->limit();
    const double back = below ? r->limit() + r->hysteresis() : r->limit() - r->hysteresis();
    // At the band's edge counts as back (0.10 + 0.02 is not exactly 0.12 in binary).
    const double tolerance = 1e-9 * std::max(1.0, std::fabs(back));
    const bool gone = below ? x >= back - tolerance : x <= back + tolerance;
    const absl::Duration duration = DurationOf(r->duration());
    apply(
        r->id(), past, gone, /*latching=*/false, duration, r->alarm_type(), r->severity(), x,
        r->limit(),
        [&] {
          std::string text =
              absl::StrCat(TextOf(r->quantity()).name, " ", Number(r->quantity(), x), " ",
                           below ? "低于 " : "高于 ", Number(r->quantity(), r->limit()));
          const std::string span = Span(duration);
          if (!span.empty()) absl::StrAppend(&text, " 持续 ", span);
          return text;
        },
        [&] {
          return absl::StrCat(TextOf(r->quantity()).name, " ", Number(r->quantity(), x),
                              " 已恢复 (", below ? "≥ " : "≤ ", Number(r->quantity(), back), ")");
        });
  }

  if (conditions_changed) changed = true;
  e.state_changed = changed || !e.actions.empty();
  return e;
}

bool Engine::MayDispatch(const v1::Device& device, const v1::Signal& signal) const {
  const TypeRules& rules = RulesOf(device.type());
  for (const cfg::StateBitRule* r : rules.bits) {
    if (r->dispatch() && BitOf(signal.state(), r->bit())) return true;
  }
  for (const cfg::AnalogRule* r : rules.analog) {
    if (!r->dispatch()) continue;
    const v1::AnalogValue* v = ValueOf(signal, r->quantity());
    if (v == nullptr) continue;
    if (r->direction() == cfg::DIRECTION_BELOW ? v->value() < r->limit()
                                               : v->value() > r->limit()) {
      return true;
    }
  }
  return false;
}

Evaluation Engine::OnSilence(const v1::Device& device, const v1::DeviceState& state,
                             absl::Time last_seen, absl::Time now) const {
  Evaluation e = Unchanged(state, Evaluation::Verdict::kAccepted);
  if (device.status() != v1::DEVICE_STATUS_IN_SERVICE || state.offline()) return e;
  const cfg::OfflineRule& rule = rules_->proto().offline();
  const absl::Duration period = HeartbeatOf(device);
  const absl::Duration window = period * rule.missed_periods();
  if (now - last_seen < window) return e;
  AlarmAction a;
  a.kind = AlarmAction::Kind::kRaise;
  a.rule_id = rule.id();
  a.type = v1::ALARM_TYPE_OFFLINE;
  a.severity = rule.severity();
  a.alarm_id = ids_->NewId("alm");
  a.at = now;
  a.details = absl::StrCat("设备离线: 连续 ", rule.missed_periods(), " 个心跳周期 (", Span(window),
                           ") 未上报");
  e.state.set_offline(true);
  e.state.set_offline_alarm_id(a.alarm_id);
  e.actions.push_back(std::move(a));
  e.state_changed = true;
  return e;
}

Evaluation Engine::OnDecommission(const v1::Device& device, const v1::DeviceState& state,
                                  absl::Time now) const {
  Evaluation e = Unchanged(state, Evaluation::Verdict::kAccepted);
  auto clear = [&](const std::string& rule_id, v1::AlarmType type, v1::AlarmSeverity severity,
                   const std::string& alarm_id) {
    AlarmAction a;
    a.kind = AlarmAction::Kind::kClear;
    a.rule_id = rule_id;
    a.type = type;
    a.severity = severity;
    a.alarm_id = alarm_id;
    a.at = now;
    a.details = "设备已停用";
    e.actions.push_back(std::move(a));
  };
  for (const v1::ConditionState& c : state.conditions()) {
    if (c.alarm_id().empty()) continue;
    v1::AlarmType type = v1::ALARM_TYPE_UNSPECIFIED;
    v1::AlarmSeverity severity = v1::ALARM_SEVERITY_UNSPECIFIED;
    for (const cfg::StateBitRule& r : rules_->proto().state_bit_rules()) {
      if (r.id() == c.rule_id()) type = r.alarm_type(), severity = r.severity();
    }
    for (const cfg::AnalogRule& r : rules_->proto().analog_rules()) {
      if (r.id() == c.rule_id()) type = r.alarm_type(), severity = r.severity();
    }
    clear(c.rule_id(), type, severity, c.alarm_id());
  }
  if (state.offline() && !state.offline_alarm_id().empty()) {
    clear(rules_->proto().offline().id(), v1::ALARM_TYPE_OFFLINE,
          rules_->proto().offline().severity(), state.offline_alarm_id());
  }
  const bool had_anything = state.conditions_size() > 0 || state.offline();
  e.state.clear_conditions();
  e.state.set_offline(false);
  e.state.clear_offline_alarm_id();
  e.state_changed = had_anything || !e.actions.empty();
  (void)device;
  return e;
}

}  // namespace firegrid::monitoring
