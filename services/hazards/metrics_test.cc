#include "services/hazards/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using ::testing::HasSubstr;

TEST(HazardMetrics, LabelsAreTheCliSpellingOfCategoriesAndTheTimerKinds) {
  EXPECT_EQ(CategoryLabel(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED), "fire_access_occupied");
  EXPECT_EQ(CategoryLabel(v1::HAZARD_CATEGORY_GAS_ELECTRICAL), "gas_electrical");
  EXPECT_EQ(TimerKindLabel(Timer::Kind::kDueSoon), "due_soon");
  EXPECT_EQ(TimerKindLabel(Timer::Kind::kDistrict), "district");
}

TEST(HazardMetrics, RegistersExactlyTheNamesTheAlertRulesUse) {
  server::MetricsRegistry registry;
  HazardMetrics metrics(&registry);
  metrics.Reported(v1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  metrics.Closed(v1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  metrics.Overdue(v1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  metrics.TimerFired(Timer::Kind::kOverdue);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE firegrid_hazards_reported_total counter"));
  EXPECT_THAT(text, HasSubstr("firegrid_hazards_reported_total{category=\"gas_electrical\"} 1"));
  EXPECT_THAT(text, HasSubstr("firegrid_hazards_closed_total{category=\"gas_electrical\"} 1"));
  EXPECT_THAT(text, HasSubstr("firegrid_hazards_overdue_total{category=\"gas_electrical\"} 1"));
  EXPECT_THAT(text, HasSubstr("firegrid_timers_fired_total{kind=\"overdue\"} 1"));
}

}  // namespace
}  // namespace firegrid::hazards
