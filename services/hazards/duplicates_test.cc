#include "services/hazards/duplicates.h"

#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

v1::Hazard Hazard(const std::string& id, const std::string& building) {
  v1::Hazard h;
  h.set_hazard_id(id);
  h.set_building_id(building);
  h.set_status(v1::STATUS_VERIFIED);
  h.set_version(3);
  return h;
}

auth::Principal Street() {
  auth::Principal p;
  p.role = auth::Role::kStreetOfficer;
  p.subject = "street";
  p.tier_path = "500109001";
  return p;
}

TEST(CountDuplicateReport, CountsTheReportOnTheOpenHazardAndAdvancesItsVersion) {
  const v1::Hazard after = CountDuplicateReport(Hazard("hzd_1", "bld_A"), kNow);
  EXPECT_EQ(after.duplicate_reports(), 1);
  EXPECT_EQ(after.version(), 4);
}

TEST(CheckMergeable, OnlyTheSameBuildingAndNotAHazardWithDuplicatesOfItsOwn) {
  EXPECT_TRUE(CheckMergeable(Hazard("hzd_1", "bld_A"), Hazard("hzd_2", "bld_A")).ok());
  EXPECT_EQ(CheckMergeable(Hazard("hzd_1", "bld_A"), Hazard("hzd_2", "bld_B")).code(),
            absl::StatusCode::kFailedPrecondition);
  v1::Hazard with_dups = Hazard("hzd_1", "bld_A");
  with_dups.set_duplicate_reports(1);
  EXPECT_EQ(CheckMergeable(with_dups, Hazard("hzd_2", "bld_A")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MergeAndUnmerge, LinkAndUnlinkTheDuplicateAuditedWithTheCountOnTheTarget) {
  const v1::Hazard dup = Hazard("hzd_1", "bld_A");
  const v1::Hazard target = Hazard("hzd_2", "bld_A");
  DuplicatePair merged = MergeInto(dup, target, Street(), kNow, "same car");
  EXPECT_EQ(merged.duplicate.duplicate_of(), "hzd_2");
  EXPECT_EQ(merged.duplicate.status(), v1::STATUS_VERIFIED);
  ASSERT_EQ(merged.duplicate.audit_size(), 1);
  EXPECT_EQ(merged.duplicate.audit(0).action(), "merge");
  EXPECT_EQ(merged.duplicate.audit(0).note(), "duplicate of hzd_2; same car");
  EXPECT_EQ(merged.target.duplicate_reports(), 1);
  EXPECT_EQ(merged.duplicate.version(), 4);
  EXPECT_EQ(merged.target.version(), 4);

  DuplicatePair split = Unmerge(merged.duplicate, merged.target, Street(), kNow, "");
  EXPECT_TRUE(split.duplicate.duplicate_of().empty());
  EXPECT_EQ(split.duplicate.audit(1).action(), "unmerge");
  EXPECT_EQ(split.target.duplicate_reports(), 0);
}

}  // namespace
}  // namespace firegrid::hazards
