#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using FacilitiesTest = RegistryTest;

TEST_F(FacilitiesTest, FacilityStatusChangePublishesOnlyOnChange) {
  v1::Building b = Create(admin_, kCommunityA);
  store_.ClearOutbox();
  v1::SetFacilityStatusRequest req;
  req.set_building_id(b.building_id());
  req.set_kind(v1::FACILITY_KIND_INDOOR_HYDRANT);
  req.set_status(v1::FACILITY_STATUS_NO_WATER);
  Principal fire = Make(Role::kDepartmentOfficer, kDistrict, "fire-officer");
  auto r = registry_.SetFacilityStatus(fire, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->facilities_size(), 1);
  EXPECT_EQ(r->facilities(0).updated_by(), "fire-officer");
  req.set_note("still dry");
  ASSERT_TRUE(registry_.SetFacilityStatus(fire, req).ok());
  req.set_status(v1::FACILITY_STATUS_NORMAL);
  ASSERT_TRUE(registry_.SetFacilityStatus(fire, req).ok());
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u);
  auto last = events::Unpack<v1::FacilityStatusChanged>(evs[1]);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->previous_status(), v1::FACILITY_STATUS_NO_WATER);
  EXPECT_EQ(last->facility().status(), v1::FACILITY_STATUS_NORMAL);
}

TEST_F(FacilitiesTest, NoWaterAppliesOnlyToIndoorHydrants) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::SetFacilityStatusRequest req;
  req.set_building_id(b.building_id());
  req.set_kind(v1::FACILITY_KIND_SPRINKLER);
  req.set_status(v1::FACILITY_STATUS_NO_WATER);
  auto s = registry_.SetFacilityStatus(admin_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("status"));
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
