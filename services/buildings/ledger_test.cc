#include "services/buildings/ledger.h"

#include "gtest/gtest.h"
#include "services/buildings/csv.h"

namespace firegrid::buildings {
namespace {

v1::Building Make(const std::string& id, const std::string& tier, v1::BuildingClass c, bool filed,
                  bool marked, v1::FacilityStatus hydrant) {
  v1::Building b;
  b.set_building_id(id);
  b.set_name("楼 " + id);
  b.set_tier_path(tier);
  b.set_building_class(c);
  b.mutable_responsibility()->set_filing_state(filed ? v1::FILING_STATE_FILED
                                                     : v1::FILING_STATE_LATE);
  auto* lane = b.add_fire_lanes();
  lane->set_lane_id("a");
  lane->mutable_marking()->set_lines_painted(true);
  lane->mutable_marking()->set_name_marked(true);
  lane->mutable_marking()->set_sign_installed(marked);
  b.set_fire_access_compliant(marked);
  if (hydrant != v1::FACILITY_STATUS_UNSPECIFIED) {
    auto* f = b.add_facilities();
    f->set_kind(v1::FACILITY_KIND_INDOOR_HYDRANT);
    f->set_status(hydrant);
  }
  return b;
}

TEST(Ledger, CountsCompletenessPerCommunityAndInTotal) {
  std::vector<v1::Building> bs = {
      Make("bld_1", "500109001001", v1::BUILDING_CLASS_I, true, true, v1::FACILITY_STATUS_NORMAL),
      Make("bld_2", "500109001001", v1::BUILDING_CLASS_II, false, false,
           v1::FACILITY_STATUS_NO_WATER),
      Make("bld_3", "500109001002", v1::BUILDING_CLASS_II, true, true,
           v1::FACILITY_STATUS_UNSPECIFIED),
  };
  std::map<std::string, std::string> names = {{"500109001", "天生街道"},
                                              {"500109001001", "凤凰社区"}};
  v1::Ledger l = ComputeLedger("500109001", bs, names, absl::FromUnixSeconds(0));
  EXPECT_EQ(l.name(), "天生街道");
  const auto& t = l.totals();
  EXPECT_EQ(t.buildings(), 3);
  EXPECT_EQ(t.class_i(), 1);
  EXPECT_EQ(t.class_ii(), 2);
  EXPECT_EQ(t.responsibility_filed(), 2);
  EXPECT_EQ(t.filing_late(), 1);
  EXPECT_EQ(t.with_lanes(), 3);
  EXPECT_EQ(t.lanes_marked(), 2);
  EXPECT_EQ(t.with_indoor_hydrants(), 2);
  EXPECT_EQ(t.indoor_hydrants_with_water(), 1);
  EXPECT_EQ(t.fire_access_non_compliant(), 1);
  EXPECT_DOUBLE_EQ(t.responsibility_filed_pct(), 66.7);
  EXPECT_DOUBLE_EQ(t.lanes_marked_pct(), 66.7);
  EXPECT_DOUBLE_EQ(t.indoor_hydrants_with_water_pct(), 50.0);
  ASSERT_EQ(l.rows_size(), 2);
  EXPECT_EQ(l.rows(0).tier_path(), "500109001001");
  EXPECT_EQ(l.rows(0).name(), "凤凰社区");
  EXPECT_EQ(l.rows(0).counts().buildings(), 2);
  // The second community has no indoor hydrant recorded: its ratio is undefined, not 100 %.
  EXPECT_FALSE(l.rows(1).counts().has_indoor_hydrants_with_water_pct());
  EXPECT_DOUBLE_EQ(l.rows(1).counts().lanes_marked_pct(), 100.0);
}

TEST(Ledger, RatioWithZeroDenominatorIsUnsetNotHundredOrZeroPercent) {
  v1::Ledger empty = ComputeLedger("500109001", {}, {}, absl::FromUnixSeconds(0));
  EXPECT_FALSE(empty.totals().has_responsibility_filed_pct());
  EXPECT_FALSE(empty.totals().has_lanes_marked_pct());
  EXPECT_FALSE(empty.totals().has_indoor_hydrants_with_water_pct());
  v1::Building bare;
  bare.set_tier_path("500109001001");
  bare.mutable_responsibility()->set_filing_state(v1::FILING_STATE_MISSING);
  v1::Ledger one = ComputeLedger("500109001", {bare}, {}, absl::FromUnixSeconds(0));
  ASSERT_TRUE(one.totals().has_responsibility_filed_pct());
  EXPECT_DOUBLE_EQ(one.totals().responsibility_filed_pct(), 0.0);  // 0 of 1: a real 0 %
  EXPECT_FALSE(one.totals().has_lanes_marked_pct());
  EXPECT_FALSE(one.totals().has_indoor_hydrants_with_water_pct());
}

TEST(Ledger, HighRiseWithNoFireLaneOrRescueSiteCountsAsNotCompliant) {
  v1::Building b;
  b.set_tier_path("500109001001");
  b.set_building_class(v1::BUILDING_CLASS_I);
  b.set_fire_access_compliant(false);  // as assessed: lane and site missing
  v1::Ledger l = ComputeLedger("500109001", {b}, {}, absl::FromUnixSeconds(0));
  EXPECT_EQ(l.totals().with_lanes(), 0);
  EXPECT_EQ(l.totals().fire_access_non_compliant(), 1);
}

TEST(Ledger, LateFilingCountsAsFiledAndAsFiledLate) {
  v1::Building b;
  b.set_tier_path("500109001001");
  b.mutable_responsibility()->set_filing_state(v1::FILING_STATE_FILED_LATE);
  v1::Ledger l = ComputeLedger("500109001", {b}, {}, absl::FromUnixSeconds(0));
  EXPECT_EQ(l.totals().responsibility_filed(), 1);
  EXPECT_EQ(l.totals().filed_late(), 1);
  EXPECT_EQ(l.totals().filing_late(), 0);
}

TEST(Ledger, CsvHasAHeaderAndOneRowPerBuilding) {
  std::vector<v1::Building> bs = {
      Make("bld_1", "500109001001", v1::BUILDING_CLASS_I, true, true, v1::FACILITY_STATUS_NORMAL),
      Make("bld_2", "500109001001", v1::BUILDING_CLASS_II, false, false,
           v1::FACILITY_STATUS_NO_WATER)};
  auto rows = ParseCsv(LedgerCsv(bs, {{"500109001001", "凤凰社区"}}));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].fields[0], "building_id");
  EXPECT_EQ((*rows)[2].fields[0], "bld_2");
  EXPECT_EQ((*rows)[2].fields[4], "凤凰社区");
  EXPECT_EQ((*rows)[2].fields[8], "ii");
  EXPECT_EQ((*rows)[2].fields[9], "late");
  EXPECT_EQ((*rows)[2].fields[18], "no_water");
}

TEST(ShortEnumName, StripsTheTypePrefix) {
  EXPECT_EQ(ShortEnumName(v1::BuildingUse_descriptor(), v1::BUILDING_USE_ELDERLY_CARE),
            "elderly_care");
  EXPECT_EQ(ShortEnumName(v1::BuildingClass_descriptor(), v1::BUILDING_CLASS_SUPER_HIGH_RISE),
            "super_high_rise");
}

}  // namespace
}  // namespace firegrid::buildings
