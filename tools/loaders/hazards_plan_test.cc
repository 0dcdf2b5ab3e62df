#include "tools/loaders/hazards_plan.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::loaders {
namespace {

class HazardsPlanTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new DemoDataset(GenerateBeibei());
    plan_ = new std::vector<PlannedHazard>(PlanBeibeiHazards(*data_));
  }
  static void TearDownTestSuite() {
    delete plan_;
    delete data_;
  }
  const PlannedBuilding& BuildingOf(const PlannedHazard& h) {
    for (const PlannedBuilding& b : data_->buildings) {
      if (b.request_id == h.building_request_id) return b;
    }
    ADD_FAILURE() << "no building " << h.building_request_id;
    return data_->buildings.front();
  }
  static DemoDataset* data_;
  static std::vector<PlannedHazard>* plan_;
};
DemoDataset* HazardsPlanTest::data_ = nullptr;
std::vector<PlannedHazard>* HazardsPlanTest::plan_ = nullptr;

TEST_F(HazardsPlanTest, AboutFortyHazardsReachingEveryStateOfTheLifecycle) {
  EXPECT_GE(plan_->size(), 38u);
  EXPECT_LE(plan_->size(), 45u);
  std::map<HazardGoal, int> goals;
  for (const PlannedHazard& h : *plan_) {
    if (!h.duplicate) ++goals[h.goal];
  }
  for (HazardGoal g :
       {HazardGoal::kReported, HazardGoal::kRejected, HazardGoal::kVerified, HazardGoal::kAssigned,
        HazardGoal::kRectifying, HazardGoal::kSubmitted, HazardGoal::kClosed,
        HazardGoal::kReworking, HazardGoal::kClosedAfterRework}) {
    EXPECT_GE(goals[g], 1) << static_cast<int>(g);
  }
  EXPECT_EQ(goals[HazardGoal::kRejected], 1);
  EXPECT_GE(goals[HazardGoal::kClosed], 5);
  EXPECT_GE(goals[HazardGoal::kReported], 5);
}

TEST_F(HazardsPlanTest, HasTheSpecialCases) {
  int major = 0, named = 0, anonymous = 0, iot = 0, fire_inspection = 0, duplicates = 0;
  for (const PlannedHazard& h : *plan_) {
    const hv1::ReportHazardRequest& r = h.report;
    if (r.severity() == hv1::SEVERITY_MAJOR) {
      ++major;
      EXPECT_NE(h.goal, HazardGoal::kReported);  // it gets its three confirmations
    }
    if (r.source() == hv1::SOURCE_PUBLIC_TIP_OFF) {
      if (r.reporter().anonymous()) {
        ++anonymous;
        EXPECT_TRUE(r.reporter().name().empty());
      } else {
        ++named;
        EXPECT_FALSE(r.reporter().name().empty());
        EXPECT_EQ(h.goal, HazardGoal::kVerified);  // verified: the reward is recorded
      }
    } else {
      EXPECT_FALSE(r.reporter().anonymous());
      EXPECT_TRUE(r.reporter().name().empty());
    }
    if (r.source() == hv1::SOURCE_IOT) {
      ++iot;
      EXPECT_EQ(h.reporter, HazardReporter::kDistrictAdmin);  // IoT only from systems/admins
    }
    if (r.source() == hv1::SOURCE_FIRE_INSPECTION) {
      ++fire_inspection;
      EXPECT_EQ(h.reporter, HazardReporter::kFireInspector);
    }
    duplicates += h.duplicate;
  }
  EXPECT_EQ(major, 1);
  EXPECT_EQ(named, 1);
  EXPECT_EQ(anonymous, 1);
  EXPECT_EQ(iot, 1);
  EXPECT_GE(fire_inspection, 2);
  EXPECT_EQ(duplicates, 1);
}

TEST_F(HazardsPlanTest, EachBuildingAndCategoryOnceExceptTheDuplicateOfAnOpenHazard) {
  std::map<std::pair<std::string, int>, const PlannedHazard*> seen;
  for (const PlannedHazard& h : *plan_) {
    const auto pair = std::make_pair(h.building_request_id, static_cast<int>(h.report.category()));
    auto it = seen.find(pair);
    if (h.duplicate) {
      ASSERT_NE(it, seen.end()) << "the duplicate follows the hazard it repeats";
      EXPECT_EQ(it->second->goal, HazardGoal::kReported);  // still open when repeated
      EXPECT_NE(it->second->reporter, h.reporter);
      EXPECT_NE(it->second->idempotency_key, h.idempotency_key);
    } else {
      EXPECT_EQ(it, seen.end()) << h.idempotency_key << " repeats a building and category";
      seen[pair] = &h;
    }
  }
}

TEST_F(HazardsPlanTest, SpreadsOverEveryStreetAndTheReportableCategories) {
  std::set<std::string> streets, all_streets;
  std::set<int> categories;
  for (const PlannedBuilding& b : data_->buildings) {
    all_streets.insert(b.building.tier_path().substr(0, 9));
  }
  for (const PlannedHazard& h : *plan_) {
    streets.insert(h.community.substr(0, 9));
    categories.insert(h.report.category());
    EXPECT_EQ(h.community, BuildingOf(h).building.tier_path());
  }
  EXPECT_EQ(streets, all_streets);
  EXPECT_EQ(categories.size(), 11u);  // every category but the fire-access ones
  for (int c :
       {hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, hv1::HAZARD_CATEGORY_FIRE_ACCESS_UNMARKED,
        hv1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY}) {
    EXPECT_EQ(categories.count(c), 0u) << "left to the campaign hazards";
  }
}

TEST_F(HazardsPlanTest, CategoriesFitTheirBuildings) {
  for (const PlannedHazard& h : *plan_) {
    const PlannedBuilding& b = BuildingOf(h);
    switch (h.report.category()) {
      case hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER: {
        bool dry = false;
        for (const auto& f : b.facilities) {
          dry |= f.kind() == bv1::FACILITY_KIND_INDOOR_HYDRANT &&
                 f.status() == bv1::FACILITY_STATUS_NO_WATER;
        }
        EXPECT_TRUE(dry) << h.idempotency_key;
        break;
      }
      case hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED:
        EXPECT_TRUE(b.chain_steps.empty() || !b.chain_steps.back().filing_sequence.has_value())
            << h.idempotency_key;
        break;
      case hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES:
        EXPECT_TRUE(b.building.old_residential()) << h.idempotency_key;
        break;
      case hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED:
        EXPECT_NE(b.building.use(), bv1::BUILDING_USE_RESIDENTIAL) << h.idempotency_key;
        break;
      default:
        break;
    }
  }
}

TEST_F(HazardsPlanTest, ReportsAreValidForTheService) {
  std::set<std::string> keys;
  for (const PlannedHazard& h : *plan_) {
    EXPECT_TRUE(keys.insert(h.idempotency_key).second) << h.idempotency_key;
    EXPECT_LE(h.idempotency_key.size(), 128u);
    const hv1::ReportHazardRequest& r = h.report;
    EXPECT_TRUE(r.building_id().empty());
    EXPECT_TRUE(r.idempotency_key().empty());
    EXPECT_NE(r.category(), hv1::HAZARD_CATEGORY_UNSPECIFIED);
    EXPECT_NE(r.source(), hv1::SOURCE_UNSPECIFIED);
    EXPECT_FALSE(r.description().empty());
    ASSERT_FALSE(r.evidence().empty());
    for (const hv1::Evidence& e : r.evidence()) {
      const bool url = absl::StartsWith(e.uri(), "https://");
      const bool hash = absl::StartsWith(e.uri(), "sha256:") && e.uri().size() == 71 &&
                        e.uri().find_first_not_of("0123456789abcdef", 7) == std::string::npos;
      EXPECT_TRUE(url || hash) << e.uri();
    }
    EXPECT_FALSE(h.responsible_party.empty());
  }
}

TEST_F(HazardsPlanTest, TheSameDatasetGivesTheSamePlan) {
  std::vector<PlannedHazard> again = PlanBeibeiHazards(GenerateBeibei());
  ASSERT_EQ(again.size(), plan_->size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].idempotency_key, (*plan_)[i].idempotency_key);
    EXPECT_EQ(again[i].building_request_id, (*plan_)[i].building_request_id);
    EXPECT_EQ(again[i].report.SerializeAsString(), (*plan_)[i].report.SerializeAsString());
  }
}

TEST(HazardsPlanSmallTest, SmallDatasetsGetAsManyHazardsAsTheyHaveBuildings) {
  EXPECT_TRUE(PlanBeibeiHazards(DemoDataset{}).empty());
  std::vector<PlannedHazard> plan = PlanBeibeiHazards(GenerateBeibei(kDefaultSeed, 12));
  EXPECT_EQ(plan.size(), 13u);  // 12 buildings, one hazard each, plus the duplicate
  std::set<std::string> buildings;
  for (const PlannedHazard& h : plan) buildings.insert(h.building_request_id);
  EXPECT_EQ(buildings.size(), 12u);
}

}  // namespace
}  // namespace firegrid::loaders
