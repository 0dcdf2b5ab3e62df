#include "services/hazards/metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace firegrid::hazards {

std::string CategoryLabel(v1::HazardCategory c) {
  const std::string& name = v1::HazardCategory_Name(c);
  constexpr absl::string_view kPrefix = "HAZARD_CATEGORY_";
  if (name.empty()) return absl::StrCat(static_cast<int>(c));
  return absl::AsciiStrToLower(absl::StartsWith(name, kPrefix) ? name.substr(kPrefix.size())
                                                               : name);
}

std::string TimerKindLabel(Timer::Kind kind) {
  switch (kind) {
    case Timer::Kind::kDueSoon:
      return "due_soon";
    case Timer::Kind::kOverdue:
      return "overdue";
    case Timer::Kind::kDistrict:
      return "district";
    case Timer::Kind::kEraseReporter:
      return "erase_reporter";
  }
  return "unknown";
}

HazardMetrics::HazardMetrics(server::MetricsRegistry* registry)
    : reported_(registry->AddCounter("firegrid_hazards_reported_total",
                                     "Hazards reported (not counting duplicate reports), by "
                                     "category.")),
      closed_(registry->AddCounter("firegrid_hazards_closed_total",
                                   "Hazards closed by a passed review, by category.")),
      overdue_(registry->AddCounter("firegrid_hazards_overdue_total",
                                    "Hazards that passed their rectification deadline while "
                                    "open, by category.")),
      timers_(registry->AddCounter("firegrid_timers_fired_total",
                                   "Deadline timers that took effect, by kind (due_soon, "
                                   "overdue, district).")) {}

void HazardMetrics::Reported(v1::HazardCategory c) {
  reported_.Get({{"category", CategoryLabel(c)}}).Increment();
}
void HazardMetrics::Closed(v1::HazardCategory c) {
  closed_.Get({{"category", CategoryLabel(c)}}).Increment();
}
void HazardMetrics::Overdue(v1::HazardCategory c) {
  overdue_.Get({{"category", CategoryLabel(c)}}).Increment();
}
void HazardMetrics::TimerFired(Timer::Kind kind) {
  timers_.Get({{"kind", TimerKindLabel(kind)}}).Increment();
}

}  // namespace firegrid::hazards
