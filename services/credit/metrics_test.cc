// The credit metrics as scraped: the unapplied-age gauge's name, label and value, no sample
// while the age cannot be read, and no gauge once the metrics object is gone.
#include "services/credit/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::credit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CreditMetricsTest, UnappliedAgeGaugeReportsTheServingGenerationsAgeInSeconds) {
  server::MetricsRegistry registry;
  absl::StatusOr<absl::Duration> age = absl::Seconds(150);
  {
    CreditMetrics m(&registry);
    EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_credit_unapplied_age_seconds")));
    ASSERT_TRUE(m.WatchUnappliedAge([&] { return age; }).ok());

    std::string text = registry.Render();
    EXPECT_THAT(text, HasSubstr("# TYPE firegrid_credit_unapplied_age_seconds gauge"));
    EXPECT_THAT(text,
                HasSubstr("firegrid_credit_unapplied_age_seconds{generation=\"serving\"} 150"));
    age = absl::ZeroDuration();
    EXPECT_THAT(registry.Render(),
                HasSubstr("firegrid_credit_unapplied_age_seconds{generation=\"serving\"} 0"));
    // Redis unreachable: no sample, rather than a caught-up 0.
    age = absl::UnavailableError("redis down");
    EXPECT_THAT(registry.Render(),
                Not(HasSubstr("firegrid_credit_unapplied_age_seconds{generation=\"serving\"}")));
  }
  EXPECT_THAT(registry.Render(), Not(HasSubstr("firegrid_credit_unapplied_age_seconds")));
}

}  // namespace
}  // namespace firegrid::credit
