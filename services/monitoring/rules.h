#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/config/v1/monitoring_rules.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"

namespace firegrid::monitoring {

// The alarm rules (config/monitoring_rules.textproto), validated at load: every rule has a
// unique non-empty id, a source, an alarm type and severity; state-bit rules a bit; analog
// rules a quantity, a direction, a finite limit, a hysteresis >= 0 and a duration >= 0; hazard
// filings a category, a severity and an `after` >= 0; offline.missed_periods >= 1; dispatch
// nearest_stations >= 1, radius_m > 0 and a department slug; max_clock_skew > 0. No two rules
// of one device type raise the same alarm type. INVALID_ARGUMENT naming the rule and field.
class Rules {
 public:
  static absl::StatusOr<Rules> LoadFile(const std::string& path);
  static absl::StatusOr<Rules> FromText(const std::string& text);
  static absl::StatusOr<Rules> FromProto(config::v1::MonitoringRules proto);

  const config::v1::MonitoringRules& proto() const { return proto_; }
  const std::string& version() const { return proto_.version(); }

  // The state-bit and analog rules that apply to `type`, in file order.
  std::vector<const config::v1::StateBitRule*> StateBitRulesFor(v1::DeviceType type) const;
  std::vector<const config::v1::AnalogRule*> AnalogRulesFor(v1::DeviceType type) const;

  // The hazard filing of the rule with `rule_id` (state-bit, analog or offline); null when
  // the rule files none or is unknown.
  const config::v1::HazardFiling* HazardFilingOf(const std::string& rule_id) const;
  // Whether the rule with `rule_id` dispatches (alerts stations at once).
  bool Dispatches(const std::string& rule_id) const;
  // Whether alarms of the rule stay active until a person clears them (fire alarms).
  bool Latching(const std::string& rule_id) const;

  absl::Duration max_clock_skew() const;

 private:
  explicit Rules(config::v1::MonitoringRules proto) : proto_(std::move(proto)) {}
  config::v1::MonitoringRules proto_;
};

}  // namespace firegrid::monitoring
