// The demo dataset as the real registry takes it: every org unit, building (with its parties)
// and responsibility step is accepted, and the parties come back exactly as planned (already
// normalised), so that a demo run never stops on its own data.
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/buildings/memory_store.h"
#include "services/buildings/registry.h"
#include "tools/loaders/beibei.h"

namespace firegrid::loaders {
namespace {

TEST(DemoRegistryTest, TheRegistryAcceptsEveryPlannedBuildingWithItsPartiesUnchanged) {
  const DemoDataset data = GenerateBeibei();
  FakeClock clock(absl::FromCivil(absl::CivilDay(2026, 11, 23), absl::UTCTimeZone()));
  SequentialIdGenerator ids;
  buildings::MemoryStore store;
  buildings::Registry registry(&store, buildings::DefaultRules(), &clock, &ids);
  auth::Principal admin;
  admin.role = auth::Role::kDistrictAdmin;
  admin.tier_path = kBeibeiCode;
  admin.subject = "admin";
  // The parties are compared as stored: read by an internal service, which sees identity
  // numbers unmasked (every other caller gets them masked).
  const auth::Principal service{.subject = "service:test", .role = auth::Role::kInternalService};
  for (const bv1::OrgUnit& unit : data.org_units) {
    bv1::UpsertOrgUnitRequest req;
    *req.mutable_org_unit() = unit;
    auto out = registry.UpsertOrgUnit(admin, req);
    ASSERT_TRUE(out.ok()) << unit.code() << ": " << out.status();
  }
  int parties = 0;
  for (const PlannedBuilding& p : data.buildings) {
    bv1::CreateBuildingRequest req;
    *req.mutable_building() = p.building;
    req.set_request_id(p.request_id);
    auto b = registry.CreateBuilding(admin, req);
    ASSERT_TRUE(b.ok()) << p.request_id << ": " << b.status();
    bv1::GetBuildingRequest get;
    get.set_building_id(b->building_id());
    auto stored = registry.GetBuilding(service, get);
    ASSERT_TRUE(stored.ok()) << p.request_id << ": " << stored.status();
    ASSERT_EQ(stored->parties_size(), p.building.parties_size()) << p.request_id;
    for (int i = 0; i < stored->parties_size(); ++i) {
      EXPECT_EQ(stored->parties(i).SerializeAsString(), p.building.parties(i).SerializeAsString())
          << p.request_id << " party " << i;
    }
    parties += stored->parties_size();
    int64_t version = b->version();
    for (const ChainStep& step : p.chain_steps) {
      bv1::FileResponsibilityRequest file;
      file.set_building_id(b->building_id());
      file.set_expected_version(version);
      *file.mutable_chain() = step.chain;
      auto filed = registry.FileResponsibility(admin, file);
      ASSERT_TRUE(filed.ok()) << p.request_id << ": " << filed.status();
      version = filed->version();
    }
  }
  EXPECT_GT(parties, 3 * static_cast<int>(data.buildings.size()) - 100);
}

}  // namespace
}  // namespace firegrid::loaders
