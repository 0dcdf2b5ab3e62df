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

TEST(StatisticsTally, CountsAnUnmatchedReportAsReportedInItsStreet) {
  v1::Hazard unmatched;
  unmatched.set_tier_path("500109001");
  unmatched.set_status(v1::STATUS_REPORTED);
  unmatched.set_unmatched(true);
  StatisticsTally district("500109", "", kNow);
  district.Add(unmatched);
  const v1::Statistics d = district.Finish();
  EXPECT_EQ(d.totals().reported(), 1);
  ASSERT_NE(Row(d.by_tier(), "500109001"), nullptr);
  EXPECT_EQ(Row(d.by_tier(), "500109001")->reported(), 1);
  EXPECT_EQ(d.by_department_size(), 0);
  // Under the street itself: in its totals, in no community's row.
  StatisticsTally street("500109001", "", kNow);
  street.Add(unmatched);
  const v1::Statistics st = street.Finish();
  EXPECT_EQ(st.totals().reported(), 1);
  EXPECT_EQ(st.by_tier_size(), 0);
}

TEST(DailyTotals, KeepsTheTotalsOfEveryDivisionAndOfEachDepartmentThere) {
  DailyTotals totals(kNow);
  totals.Add(Hazard("500109001002", v1::STATUS_REPORTED, "police"));
  totals.Add(Hazard("500109002001", v1::STATUS_CLOSED, "housing"));
  v1::Hazard unmatched;
  unmatched.set_tier_path("500109001");
  unmatched.set_status(v1::STATUS_REPORTED);
  totals.Add(unmatched);
  v1::Hazard dup = Hazard("500109001002", v1::STATUS_REPORTED, "police");
  dup.set_duplicate_of("hzd_1");
  totals.Add(dup);
  const auto rows = totals.Finish();
  EXPECT_EQ(rows.at("500109").reported(), 2);
  EXPECT_EQ(rows.at("500109").closed(), 1);
  EXPECT_EQ(rows.at("500109").key(), "500109");
  EXPECT_EQ(rows.at("500109001").reported(), 2);
  EXPECT_EQ(rows.at("500109001002").reported(), 1);
  EXPECT_EQ(rows.at("500109002").closed(), 1);
  EXPECT_EQ(rows.at("500109002").rectification_rate(), 100.0);
  EXPECT_EQ(rows.at("500109/police").reported(), 1);
  EXPECT_EQ(rows.at("500109/police").key(), "500109");
  EXPECT_EQ(rows.at("500109001002/police").reported(), 1);
  EXPECT_EQ(rows.count("500109002/police"), 0u);
  EXPECT_EQ(rows.count("500109001002/housing"), 0u);
  // The same numbers as GetStatistics' totals for the scope.
  StatisticsTally tally("500109", "", kNow);
  tally.Add(Hazard("500109001002", v1::STATUS_REPORTED, "police"));
  tally.Add(Hazard("500109002001", v1::STATUS_CLOSED, "housing"));
  tally.Add(unmatched);
  EXPECT_EQ(tally.Finish().totals().SerializeAsString(), rows.at("500109").SerializeAsString());
}

TEST(ShanghaiDay, ChangesAtMidnightInUtcPlusEight) {
  const absl::Time before = absl::FromCivil(absl::CivilSecond(2026, 12, 5, 15, 59, 59),
                                            absl::UTCTimeZone());  // 23:59:59 in Shanghai
  EXPECT_EQ(DayName(ShanghaiDay(before)), "2026-12-05");
  EXPECT_EQ(DayName(ShanghaiDay(before + absl::Seconds(1))), "2026-12-06");
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
