// One source of department ids: every department a hazard is routed to (config/hazards_rules +
// config/departments) is an org unit of the demo data, so notify's recipients
// ("org:<district>.<slug>") reach someone. Before, the utilities were routed as `gas_company`
// but registered as `500109.gas`, and never received their hazards.
#include <set>

#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "services/hazards/routing.h"
#include "services/hazards/rules.h"
#include "services/notify/recipients.h"
#include "tools/loaders/beibei.h"

namespace firegrid::loaders {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
using ::testing::Contains;

class RoutingReachTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new DemoDataset(GenerateBeibei(kDefaultSeed, 20));
    auto rules = hazards::Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = new hazards::Rules(*rules);
  }

  // The org recipients notify addresses for a hazard of `category` routed in the demo district.
  std::vector<std::string> OrgRecipients(hv1::HazardCategory category) {
    hazards::BuildingView b;
    b.building_id = "bld_1";
    b.tier_path = data_->buildings.front().building.tier_path();
    hv1::HazardRouted e;
    hv1::Hazard* h = e.mutable_hazard();
    h->set_hazard_id("hzd_1");
    h->set_building_id(b.building_id);
    h->set_tier_path(b.tier_path);
    h->set_category(category);
    *h->mutable_routing() = hazards::Route(*rules_, category, b);
    RandomIdGenerator ids;
    const events::Envelope env = events::NewEnvelope(e, "hazards", b.building_id, b.tier_path,
                                                     absl::FromUnixSeconds(1'800'000'000), ids);
    std::vector<std::string> out;
    for (const auto& planned : notify::PlanNotifications(env)) {
      for (const auto& r : planned.recipients) {
        if (r.rfind("org:", 0) == 0) out.push_back(r.substr(4));
      }
    }
    return out;
  }

  std::set<std::string> OrgUnitCodes() const {
    std::set<std::string> codes;
    for (const auto& u : data_->org_units) codes.insert(u.code());
    return codes;
  }

  static DemoDataset* data_;
  static hazards::Rules* rules_;
};
DemoDataset* RoutingReachTest::data_ = nullptr;
hazards::Rules* RoutingReachTest::rules_ = nullptr;

TEST_F(RoutingReachTest, UtilitiesOrgUnitsReceiveGasAndElectricalHazards) {
  const auto recipients = OrgRecipients(hv1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  EXPECT_THAT(recipients, Contains("500109.gas_company"));
  EXPECT_THAT(recipients, Contains("500109.power_company"));
  EXPECT_THAT(OrgUnitCodes(), Contains("500109.gas_company"));
  EXPECT_THAT(OrgUnitCodes(), Contains("500109.power_company"));
  EXPECT_THAT(OrgRecipients(hv1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT),
              Contains("500109.water_company"));
}

TEST_F(RoutingReachTest, EveryRoutedDepartmentOfEveryCategoryIsARegisteredOrgUnit) {
  const std::set<std::string> codes = OrgUnitCodes();
  for (int c = 1; hv1::HazardCategory_IsValid(c); ++c) {
    const auto category = static_cast<hv1::HazardCategory>(c);
    for (const std::string& code : OrgRecipients(category)) {
      EXPECT_TRUE(codes.count(code) > 0)
          << hv1::HazardCategory_Name(category) << " → org:" << code << " has no org unit";
    }
  }
}

}  // namespace
}  // namespace firegrid::loaders
