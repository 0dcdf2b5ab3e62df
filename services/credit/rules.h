#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "firegrid/config/v1/credit_rules.pb.h"
#include "firegrid/credit/v1/credit.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"

namespace firegrid::credit {

// A validated credit rule set (config/credit_rules.textproto; the proto documents each field).
// Immutable; cheap to copy (shared). Lookups are O(1) (tables built once).
class Rules {
 public:
  // INVALID_ARGUMENT naming the field for: an empty version; base outside [min, max]; a rule
  // without id, a duplicate id, a hazard rule without trigger or with a repeat_delta on another
  // trigger than VERIFIED, or two hazard rules of one trigger equally specific for some
  // (severity, category) (which would win would be ambiguous); a manual rule without roles or legal
  // basis, or naming an unknown role, subject type or department (`known_departments`, when not
  // empty); level bands not strictly descending, not ordered A to D (each once), or whose last band
  // does not cover min_score; blacklist periods not positive, or default > max duration; a negative
  // repeat window.
  static absl::StatusOr<Rules> FromProto(const config::v1::CreditRules& proto,
                                         const std::vector<std::string>& known_departments = {});
  // Reads a text proto file and validates it (the error names the file).
  static absl::StatusOr<Rules> LoadFile(const std::string& path,
                                        const std::vector<std::string>& known_departments = {});

  const config::v1::CreditRules& proto() const;
  const std::string& version() const { return proto().version(); }

  // The band the score falls in.
  v1::Level LevelFor(int score) const;
  // The score clamped to [min_score, max_score].
  int Clamp(int score) const;
  // The most specific hazard rule for the trigger (severity and category over severity over
  // any); nullptr when none applies.
  const config::v1::HazardRule* MatchHazard(config::v1::HazardRule::Trigger trigger,
                                            hazards::v1::Severity severity,
                                            hazards::v1::HazardCategory category) const;
  // The hazard rule with this id; nullptr when there is none.
  const config::v1::HazardRule* Hazard(const std::string& rule_id) const;
  // The manual rule with this id; nullptr when there is none.
  const config::v1::ManualRule* Manual(const std::string& rule_id) const;

 private:
  struct Impl;
  explicit Rules(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace firegrid::credit
