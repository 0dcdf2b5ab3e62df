#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/config/v1/hazards_rules.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "services/hazards/departments.h"

namespace firegrid::hazards {

using RulesProto = ::firegrid::config::v1::HazardsRules;
using GuidanceBook = ::firegrid::config::v1::HazardGuidanceBook;

// The validated rules and guidance, indexed for lookups.
class Rules {
 public:
  // Every category has exactly one routing rule and one guidance entry; every department a
  // routing or sector rule names resolves to an org unit of `departments` (else the error names
  // the rule and the target); every severity has a default deadline; numbers are positive.
  // Errors name the offending field.
  static absl::StatusOr<Rules> Create(RulesProto rules, GuidanceBook guidance,
                                      const Departments& departments = Departments::Shipped());
  static absl::StatusOr<Rules> LoadFiles(const std::string& rules_path,
                                         const std::string& guidance_path,
                                         const Departments& departments = Departments::Shipped());

  const RulesProto& proto() const { return rules_; }
  const firegrid::config::v1::RoutingRule& RoutingFor(v1::HazardCategory c) const {
    return routing_.at(c);
  }
  // The sector department of a building use, or "".
  std::string SectorDepartment(int building_use) const;
  bool IsDepartment(const std::string& slug) const { return departments_.Contains(slug); }
  const Departments& departments() const { return departments_; }
  // The rectification period: a rule for (severity, category); for a general hazard otherwise
  // the guidance's usual deadline of the category; otherwise the severity's default.
  absl::Duration Period(v1::Severity s, v1::HazardCategory c) const;
  // Guidance with its departments filled in from the routing rule.
  v1::Guidance GuidanceFor(v1::HazardCategory c) const;
  absl::Duration due_soon() const { return absl::Hours(rules_.reminders().due_soon_hours()); }
  absl::Duration district_escalation() const {
    return absl::Hours(rules_.reminders().district_escalation_hours());
  }
  int major_confirmations() const { return rules_.major_confirmations(); }
  // How long a reporter's name and contact are kept after the hazard is closed or rejected.
  absl::Duration reporter_retention() const {
    const int days = rules_.reporter_retention_days();
    return absl::Hours(24 * (days == 0 ? 180 : days));
  }

 private:
  RulesProto rules_;
  std::map<int, firegrid::config::v1::RoutingRule> routing_;
  std::map<int, v1::Guidance> guidance_;
  Departments departments_;
  std::map<int, std::string> sectors_;
  std::map<std::pair<int, int>, int> deadline_days_;  // (severity, category or 0) → days
};

}  // namespace firegrid::hazards
