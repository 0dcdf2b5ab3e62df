#include "services/credit/rules.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "libs/auth/principal.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"

namespace firegrid::credit {

namespace cfg = ::firegrid::config::v1;

namespace {

// Lookup table dimensions: every trigger × severity × category value the enums define.
constexpr int kTriggers = cfg::HazardRule::Trigger_ARRAYSIZE;
constexpr int kSeverities = hazards::v1::Severity_ARRAYSIZE;
constexpr int kCategories = hazards::v1::HazardCategory_ARRAYSIZE;

int Slot(int trigger, int severity, int category) {
  return (trigger * kSeverities + severity) * kCategories + category;
}

// severity and category (3) over severity (2) over category (1) over any (0).
int Specificity(const cfg::HazardRule& r) {
  return (r.severity() != hazards::v1::SEVERITY_UNSPECIFIED ? 2 : 0) +
         (r.categories_size() > 0 ? 1 : 0);
}

bool Covers(const cfg::HazardRule& r, int severity, int category) {
  if (r.severity() != hazards::v1::SEVERITY_UNSPECIFIED && r.severity() != severity) return false;
  if (r.categories_size() == 0) return true;
  return std::find(r.categories().begin(), r.categories().end(), category) != r.categories().end();
}

}  // namespace

struct Rules::Impl {
  cfg::CreditRules proto;
  // Slot(trigger, severity, category) → index into proto.hazard_rules(), -1 for none.
  std::vector<int> hazard_index;
  absl::flat_hash_map<std::string, int> hazard_ids;
  absl::flat_hash_map<std::string, int> manual_index;
};

absl::StatusOr<Rules> Rules::FromProto(const cfg::CreditRules& proto,
                                       const std::vector<std::string>& known_departments) {
  if (proto.version().empty()) return InvalidField("version", "required");
  if (proto.min_score() > proto.max_score()) {
    return InvalidField("max_score",
                        absl::StrCat("must be >= min_score (", proto.min_score(), ")"));
  }
  if (proto.base_score() < proto.min_score() || proto.base_score() > proto.max_score()) {
    return InvalidField("base_score",
                        absl::StrCat("must lie in [min_score, max_score] = [", proto.min_score(),
                                     ", ", proto.max_score(), "]"));
  }
  if (proto.repeat_window_days() < 0) {
    return InvalidField("repeat_window_days", "must not be negative");
  }

  auto impl = std::make_shared<Impl>();
  impl->proto = proto;
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < proto.hazard_rules_size(); ++i) {
    const cfg::HazardRule& r = proto.hazard_rules(i);
    const std::string f = absl::StrCat("hazard_rules[", i, "]");
    if (r.id().empty()) return InvalidField(f + ".id", "required");
    if (!ids.insert(r.id()).second) return InvalidField(f + ".id", "duplicate");
    if (r.trigger() == cfg::HazardRule::TRIGGER_UNSPECIFIED) {
      return InvalidField(f + ".trigger", "required");
    }
    if (r.repeat_delta() != 0 && r.trigger() != cfg::HazardRule::TRIGGER_VERIFIED) {
      return InvalidField(f + ".repeat_delta", "only TRIGGER_VERIFIED rules have a repeat delta");
    }
    for (int c = 0; c < r.categories_size(); ++c) {
      if (r.categories(c) == hazards::v1::HAZARD_CATEGORY_UNSPECIFIED) {
        return InvalidField(absl::StrCat(f, ".categories[", c, "]"), "must be a category");
      }
    }
    impl->hazard_ids.emplace(r.id(), i);
  }
  // The winner of every (trigger, severity, category); a tie of equally specific rules is an
  // ambiguity in the rule set.
  impl->hazard_index.assign(kTriggers * kSeverities * kCategories, -1);
  for (int t = 0; t < kTriggers; ++t) {
    for (int s = 0; s < kSeverities; ++s) {
      for (int c = 0; c < kCategories; ++c) {
        int best = -1;
        for (int i = 0; i < proto.hazard_rules_size(); ++i) {
          const cfg::HazardRule& r = proto.hazard_rules(i);
          if (r.trigger() != t || !Covers(r, s, c)) continue;
          if (best >= 0 && Specificity(r) == Specificity(proto.hazard_rules(best))) {
            return InvalidField(
                absl::StrCat("hazard_rules[", i, "]"),
                absl::StrCat("as specific as hazard_rules[", best, "] (",
                             proto.hazard_rules(best).id(), ") for ", hazards::v1::Severity_Name(s),
                             " ", hazards::v1::HazardCategory_Name(c)));
          }
          if (best < 0 || Specificity(r) > Specificity(proto.hazard_rules(best))) best = i;
        }
        impl->hazard_index[Slot(t, s, c)] = best;
      }
    }
  }

  for (int i = 0; i < proto.manual_rules_size(); ++i) {
    const cfg::ManualRule& r = proto.manual_rules(i);
    const std::string f = absl::StrCat("manual_rules[", i, "]");
    if (r.id().empty()) return InvalidField(f + ".id", "required");
    if (!ids.insert(r.id()).second) return InvalidField(f + ".id", "duplicate");
    if (r.legal_basis().empty()) return InvalidField(f + ".legal_basis", "required");
    if (r.roles().empty()) return InvalidField(f + ".roles", "at least one role");
    for (int k = 0; k < r.roles_size(); ++k) {
      if (!auth::ParseRole(r.roles(k)).ok()) {
        return InvalidField(absl::StrCat(f, ".roles[", k, "]"),
                            absl::StrCat("unknown role '", r.roles(k), "'"));
      }
    }
    for (int k = 0; k < r.subject_types_size(); ++k) {
      if (subjects::ParseSubjectType(r.subject_types(k)) ==
          subjects::v1::SUBJECT_TYPE_UNSPECIFIED) {
        return InvalidField(absl::StrCat(f, ".subject_types[", k, "]"),
                            absl::StrCat("unknown subject type '", r.subject_types(k), "'"));
      }
    }
    if (!known_departments.empty()) {
      for (int k = 0; k < r.departments_size(); ++k) {
        if (std::find(known_departments.begin(), known_departments.end(), r.departments(k)) ==
            known_departments.end()) {
          return InvalidField(absl::StrCat(f, ".departments[", k, "]"),
                              absl::StrCat("unknown department '", r.departments(k), "'"));
        }
      }
    }
    impl->manual_index.emplace(r.id(), i);
  }

  if (proto.levels().empty()) return InvalidField("levels", "required");
  for (int i = 0; i < proto.levels_size(); ++i) {
    const cfg::LevelBand& b = proto.levels(i);
    const std::string f = absl::StrCat("levels[", i, "]");
    if (i >= v1::Level_ARRAYSIZE - 1) return InvalidField(f, "one band per level A to D");
    if (b.level() != i + 1) {
      return InvalidField(f + ".level",
                          absl::StrCat("must be ", v1::Level_Name(static_cast<v1::Level>(i + 1)),
                                       " (bands run from A to D)"));
    }
    if (i > 0 && b.min_score() >= proto.levels(i - 1).min_score()) {
      return InvalidField(f + ".min_score", "bands must be strictly descending");
    }
  }
  if (proto.levels_size() != v1::Level_ARRAYSIZE - 1) {
    return InvalidField(
        "levels",
        absl::StrCat("missing ", v1::Level_Name(static_cast<v1::Level>(proto.levels_size() + 1))));
  }
  if (proto.levels(proto.levels_size() - 1).min_score() > proto.min_score()) {
    return InvalidField(absl::StrCat("levels[", proto.levels_size() - 1, "].min_score"),
                        "the last band must cover min_score");
  }

  const cfg::Blacklist& bl = proto.blacklist();
  if (bl.objection_days() <= 0) return InvalidField("blacklist.objection_days", "must be > 0");
  if (bl.default_duration_days() <= 0) {
    return InvalidField("blacklist.default_duration_days", "must be > 0");
  }
  if (bl.max_duration_days() <= 0)
    return InvalidField("blacklist.max_duration_days", "must be > 0");
  if (bl.default_duration_days() > bl.max_duration_days()) {
    return InvalidField("blacklist.default_duration_days", "must be <= max_duration_days");
  }
  if (bl.repair_min_days() <= 0) return InvalidField("blacklist.repair_min_days", "must be > 0");
  return Rules(std::move(impl));
}

absl::StatusOr<Rules> Rules::LoadFile(const std::string& path,
                                      const std::vector<std::string>& known_departments) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  cfg::CreditRules proto;
  if (!google::protobuf::TextFormat::ParseFromString(ss.str(), &proto)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a valid CreditRules text proto"));
  }
  absl::StatusOr<Rules> rules = FromProto(proto, known_departments);
  if (!rules.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", rules.status().message()));
  }
  return rules;
}

const cfg::CreditRules& Rules::proto() const { return impl_->proto; }

v1::Level Rules::LevelFor(int score) const {
  const auto& levels = impl_->proto.levels();
  for (const cfg::LevelBand& b : levels) {
    if (score >= b.min_score()) return b.level();
  }
  return levels[levels.size() - 1].level();
}

int Rules::Clamp(int score) const {
  return std::clamp(score, impl_->proto.min_score(), impl_->proto.max_score());
}

const cfg::HazardRule* Rules::MatchHazard(cfg::HazardRule::Trigger trigger,
                                          hazards::v1::Severity severity,
                                          hazards::v1::HazardCategory category) const {
  if (trigger < 0 || trigger >= kTriggers || severity < 0 || severity >= kSeverities ||
      category < 0 || category >= kCategories) {
    return nullptr;
  }
  const int i = impl_->hazard_index[Slot(trigger, severity, category)];
  return i < 0 ? nullptr : &impl_->proto.hazard_rules(i);
}

const cfg::HazardRule* Rules::Hazard(const std::string& rule_id) const {
  auto it = impl_->hazard_ids.find(rule_id);
  return it == impl_->hazard_ids.end() ? nullptr : &impl_->proto.hazard_rules(it->second);
}

const cfg::ManualRule* Rules::Manual(const std::string& rule_id) const {
  auto it = impl_->manual_index.find(rule_id);
  return it == impl_->manual_index.end() ? nullptr : &impl_->proto.manual_rules(it->second);
}

}  // namespace firegrid::credit
