#include "services/hazards/metrics.h"

#include "absl/strings/ascii.h"
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

// firegridctl's EnumLabel drops the type prefix and lower-cases, keeping prefix words only for
// labels shorter than three letters: no category is that short, so the labels agree.
TEST(HazardMetrics, EveryCategoryLabelIsItsNameWithoutThePrefixInLowerCase) {
  for (int c = 1; v1::HazardCategory_IsValid(c); ++c) {
    const auto category = static_cast<v1::HazardCategory>(c);
    const std::string label = CategoryLabel(category);
    EXPECT_GE(label.size(), 3u) << label;
    EXPECT_EQ(absl::AsciiStrToUpper(label), v1::HazardCategory_Name(category).substr(16)) << label;
  }
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
