#pragma once

#include <string>

#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/server/metrics.h"
#include "services/hazards/store.h"

namespace firegrid::hazards {

// The hazards domain metrics (the alert rules in deploy/ use these names):
//   firegrid_hazards_reported_total{category}  hazards reported (a report linked as a duplicate
//                                              of an open hazard and an idempotent retry are not
//                                              new hazards and are not counted)
//   firegrid_hazards_closed_total{category}    hazards closed by a passed review
//   firegrid_hazards_overdue_total{category}   hazards that passed their deadline while open
//   firegrid_timers_fired_total{kind}          deadline timers that took effect: due_soon,
//                                              overdue, district
// Counted once per committed change, on the replica that made it. `category` is the CLI's
// spelling: the enum value without HAZARD_CATEGORY_, lower case ("fire_access_occupied").
class HazardMetrics {
 public:
  explicit HazardMetrics(server::MetricsRegistry* registry);

  void Reported(v1::HazardCategory c);
  void Closed(v1::HazardCategory c);
  void Overdue(v1::HazardCategory c);
  void TimerFired(Timer::Kind kind);

 private:
  server::Family<server::Counter>& reported_;
  server::Family<server::Counter>& closed_;
  server::Family<server::Counter>& overdue_;
  server::Family<server::Counter>& timers_;
};

// "fire_access_occupied" for HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED.
std::string CategoryLabel(v1::HazardCategory c);
// "due_soon", "overdue", "district".
std::string TimerKindLabel(Timer::Kind kind);

}  // namespace firegrid::hazards
