#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "firegrid/config/v1/buildings_rules.pb.h"
#include "libs/common/working_days.h"

namespace firegrid::buildings {

using Rules = firegrid::config::v1::BuildingsRules;

// Parses and validates rules in text format. Every threshold must be positive and consistent
// (e.g. class I height above high-rise height); errors name the field.
absl::StatusOr<Rules> ParseRules(const std::string& textproto);
absl::StatusOr<Rules> LoadRulesFile(const std::string& path);
absl::Status ValidateRules(const Rules& rules);

// The rules of config/buildings_rules.textproto, compiled in for tests and as the fallback
// documented in the README.
Rules DefaultRules();

// The filing calendar the rules describe.
absl::StatusOr<WorkCalendar> CalendarFromRules(const Rules& rules);

}  // namespace firegrid::buildings
