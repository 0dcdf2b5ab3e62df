#include "services/hazards/rules.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "libs/common/status.h"

namespace firegrid::hazards {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string CategoryName(int c) {
  return v1::HazardCategory_Name(static_cast<v1::HazardCategory>(c));
}

}  // namespace

absl::StatusOr<Rules> Rules::Create(RulesProto rules, GuidanceBook guidance,
                                    const Departments& departments) {
  Rules r;
  r.departments_ = departments;
  auto check_dept = [&](const std::string& slug, const std::string& where) -> absl::Status {
    if (!r.departments_.Contains(slug)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": department '", slug,
                       "' does not resolve to an org unit: it is not in the departments file "
                       "(config/departments.textproto)"));
    }
    return absl::OkStatus();
  };
  for (const auto& rule : rules.routing()) {
    const std::string where = absl::StrCat("rules.routing[", CategoryName(rule.category()), "]");
    if (rule.category() == v1::HAZARD_CATEGORY_UNSPECIFIED) {
      return absl::InvalidArgumentError("rules.routing: category is required");
    }
    if (rule.lead_departments().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".lead_departments: at least one"));
    }
    for (const auto& d : rule.lead_departments()) FG_RETURN_IF_ERROR(check_dept(d, where));
    for (const auto& d : rule.assisting_departments()) FG_RETURN_IF_ERROR(check_dept(d, where));
    if (!r.routing_.emplace(rule.category(), rule).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate rule"));
    }
  }
  for (const auto& g : guidance.guidance()) {
    const std::string where = absl::StrCat("guidance[", CategoryName(g.category()), "]");
    if (g.category() == v1::HAZARD_CATEGORY_UNSPECIFIED) {
      return absl::InvalidArgumentError("guidance: category is required");
    }
    if (g.title().empty() || g.steps().empty() || g.legal_basis().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": title, steps and legal_basis are required"));
    }
    if (g.usual_deadline_days() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".usual_deadline_days: must be > 0"));
    }
    if (!r.guidance_.emplace(g.category(), g).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate entry"));
    }
  }
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    if (r.routing_.count(c) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("rules.routing: no rule for ", CategoryName(c)));
    }
    if (r.guidance_.count(c) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("guidance: no entry for ", CategoryName(c)));
    }
  }
  for (const auto& s : rules.sectors()) {
    FG_RETURN_IF_ERROR(check_dept(s.department(), "rules.sectors"));
    r.sectors_[s.use()] = s.department();
  }
  for (const auto& d : rules.deadlines()) {
    if (d.severity() == v1::SEVERITY_UNSPECIFIED || d.days() <= 0 || d.days() > 366) {
      return absl::InvalidArgumentError(
          "rules.deadlines: severity and days in [1, 366] are required");
    }
    r.deadline_days_[{d.severity(), d.category()}] = d.days();
  }
  for (int s : {v1::SEVERITY_GENERAL, v1::SEVERITY_MAJOR}) {
    if (r.deadline_days_.count({s, 0}) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rules.deadlines: no default for ", v1::Severity_Name(static_cast<v1::Severity>(s))));
    }
  }
  if (rules.reminders().due_soon_hours() <= 0 ||
      rules.reminders().district_escalation_hours() <= 0) {
    return absl::InvalidArgumentError(
        "rules.reminders: due_soon_hours and district_escalation_hours must be > 0");
  }
  if (rules.reporter_retention_days() < 0 || rules.reporter_retention_days() > 3650) {
    return absl::InvalidArgumentError(
        "rules.reporter_retention_days: must be in [1, 3650] (0: the default, 180)");
  }
  if (rules.major_confirmations() < 1 || rules.major_confirmations() > 9) {
    return absl::InvalidArgumentError("rules.major_confirmations: must be in [1, 9]");
  }
  if (rules.reward_general_yuan() < 0 || rules.reward_major_yuan() < 0) {
    return absl::InvalidArgumentError("rules.reward_*_yuan: must be >= 0");
  }
  r.rules_ = std::move(rules);
  return r;
}

absl::StatusOr<Rules> Rules::LoadFiles(const std::string& rules_path,
                                       const std::string& guidance_path,
                                       const Departments& departments) {
  FG_ASSIGN_OR_RETURN(std::string rules_text, ReadFile(rules_path));
  FG_ASSIGN_OR_RETURN(std::string guidance_text, ReadFile(guidance_path));
  RulesProto rules;
  if (!google::protobuf::TextFormat::ParseFromString(rules_text, &rules)) {
    return absl::InvalidArgumentError(
        absl::StrCat(rules_path, ": not a valid HazardsRules text proto"));
  }
  GuidanceBook guidance;
  if (!google::protobuf::TextFormat::ParseFromString(guidance_text, &guidance)) {
    return absl::InvalidArgumentError(
        absl::StrCat(guidance_path, ": not a valid HazardGuidanceBook text proto"));
  }
  return Create(std::move(rules), std::move(guidance), departments);
}

std::string Rules::SectorDepartment(int building_use) const {
  auto it = sectors_.find(building_use);
  return it == sectors_.end() ? "" : it->second;
}

absl::Duration Rules::Period(v1::Severity s, v1::HazardCategory c) const {
  auto it = deadline_days_.find({s, c});
  if (it != deadline_days_.end()) return absl::Hours(24 * it->second);
  if (s == v1::SEVERITY_GENERAL) return absl::Hours(24 * guidance_.at(c).usual_deadline_days());
  return absl::Hours(24 * deadline_days_.at({s, 0}));
}

v1::Guidance Rules::GuidanceFor(v1::HazardCategory c) const {
  v1::Guidance g = guidance_.at(c);
  const auto& rule = routing_.at(c);
  *g.mutable_lead_departments() = rule.lead_departments();
  *g.mutable_assisting_departments() = rule.assisting_departments();
  return g;
}

}  // namespace firegrid::hazards
