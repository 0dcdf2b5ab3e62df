#include "services/hazards/statistics.h"

#include "gtest/gtest.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::Hazard Hazard(const std::string& tier, v1::Status status, const std::string& lead) {
  v1::Hazard h;
  h.set_tier_path(tier);
  h.set_status(status);
  h.mutable_routing()->add_lead_departments(lead);
  return h;
}

const v1::StatisticsRow* Row(const google::protobuf::RepeatedPtrField<v1::StatisticsRow>& rows,
                             const std::string& key) {
  for (const auto& r : rows) {
    if (r.key() == key) return &r;
  }
  return nullptr;
}

TEST(StatisticsTally, CountsByStatusPerStreetAndDepartmentAndSkipsDuplicates) {
  StatisticsTally tally("500109", "", kNow);
  tally.Add(Hazard("500109001002", v1::STATUS_REPORTED, "police"));
  tally.Add(Hazard("500109001003", v1::STATUS_CLOSED, "police"));
  v1::Hazard late = Hazard("500109002001", v1::STATUS_RECTIFYING, "housing");
  *late.mutable_assignment()->mutable_deadline() = Ts(kNow - absl::Hours(1));
  tally.Add(late);
  v1::Hazard dup = Hazard("500109002001", v1::STATUS_REPORTED, "housing");
  dup.set_duplicate_of("hzd_1");
  tally.Add(dup);
  const v1::Statistics s = tally.Finish();
  EXPECT_EQ(s.totals().key(), "500109");
  EXPECT_EQ(s.totals().reported(), 1);
  EXPECT_EQ(s.totals().open(), 1);
  EXPECT_EQ(s.totals().overdue(), 1);
  EXPECT_EQ(s.totals().closed(), 1);
  ASSERT_NE(Row(s.by_tier(), "500109001"), nullptr);
  EXPECT_EQ(Row(s.by_tier(), "500109001")->closed(), 1);
  ASSERT_NE(Row(s.by_tier(), "500109002"), nullptr);
  EXPECT_EQ(Row(s.by_tier(), "500109002")->open(), 1);
  ASSERT_NE(Row(s.by_department(), "police"), nullptr);
  EXPECT_EQ(Row(s.by_department(), "police")->reported(), 1);
  EXPECT_EQ(Row(s.by_department(), "housing")->reported(), 0);
}

TEST(StatisticsTally, ADepartmentSeesOnlyItsOwnRow) {
  StatisticsTally tally("500109", "police", kNow);
  v1::Hazard h = Hazard("500109001002", v1::STATUS_REPORTED, "police");
  h.mutable_routing()->add_assisting_departments("housing");
  tally.Add(h);
  const v1::Statistics s = tally.Finish();
  ASSERT_EQ(s.by_department_size(), 1);
  EXPECT_EQ(s.by_department(0).key(), "police");
}

TEST(RectificationRate, IsClosedOverOpenAndClosedToOneDecimal) {
  v1::StatisticsRow r;
  r.set_open(2);
  r.set_closed(1);
  ASSERT_TRUE(RectificationRate(r).has_value());
  EXPECT_DOUBLE_EQ(*RectificationRate(r), 33.3);
}

TEST(RectificationRate, IsUnsetNotAHundredPercentWithNoOpenAndNoClosedHazards) {
  v1::StatisticsRow r;
  r.set_reported(4);
  r.set_rejected(1);
  EXPECT_FALSE(RectificationRate(r).has_value());
  StatisticsTally tally("500109", "", kNow);
  tally.Add(Hazard("500109001002", v1::STATUS_REPORTED, "police"));
  const v1::Statistics s = tally.Finish();
  EXPECT_FALSE(s.totals().has_rectification_rate());
  ASSERT_EQ(s.by_tier_size(), 1);
  EXPECT_FALSE(s.by_tier(0).has_rectification_rate());
}

}  // namespace
}  // namespace firegrid::hazards
