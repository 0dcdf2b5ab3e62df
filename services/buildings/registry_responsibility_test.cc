#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using ResponsibilityTest = RegistryTest;

TEST_F(ResponsibilityTest, FilingRecordsHistoryFlagsLateRecordsALateFilingAsLateAndPublishes) {
  v1::Building b = Create(admin_, kCommunityA);
  store_.ClearOutbox();
  v1::FileResponsibilityRequest req;
  req.set_building_id(b.building_id());
  req.set_expected_version(b.version());
  *req.mutable_chain() = Chain();
  auto changed = registry_.FileResponsibility(street_, req);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->responsibility().filing_state(), v1::FILING_STATE_PENDING);

  // Five working days later (Monday → next Monday) it is still pending; a day later, late.
  clock_.Advance(absl::Hours(24 * 7));
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  EXPECT_EQ(registry_.GetBuilding(admin_, get)->responsibility().filing_state(),
            v1::FILING_STATE_PENDING);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(registry_.GetBuilding(admin_, get)->responsibility().filing_state(),
            v1::FILING_STATE_LATE);
  v1::ListBuildingsRequest late;
  late.add_filing_states(v1::FILING_STATE_LATE);
  EXPECT_EQ(registry_.ListBuildings(admin_, late)->buildings_size(), 1);

  EXPECT_EQ(registry_.GetBuilding(admin_, get)->responsibility().working_days_late(), 1);

  // Filing the document with the same chain now, after the period, makes it FILED_LATE, by
  // one working day (Tuesday after the period ended with Monday).
  req.set_expected_version(changed->version());
  req.mutable_filing()->set_document_number("北碚天生备〔2026〕3号");
  *req.mutable_filing()->mutable_filed_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
  auto filed = registry_.FileResponsibility(street_, req);
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->responsibility().filing_state(), v1::FILING_STATE_FILED_LATE);
  EXPECT_EQ(filed->responsibility().working_days_late(), 1);
  EXPECT_EQ(filed->responsibility().filing().filed_with(), kStreet);
  // It stays filed late, however much later it is read, and the ledger counts it.
  clock_.Advance(absl::Hours(24 * 30));
  auto reread = registry_.GetBuilding(admin_, get);
  EXPECT_EQ(reread->responsibility().filing_state(), v1::FILING_STATE_FILED_LATE);
  EXPECT_EQ(reread->responsibility().working_days_late(), 1);
  auto ledger = registry_.GetLedger(street_, v1::GetLedgerRequest());
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->totals().filed_late(), 1);
  EXPECT_EQ(ledger->totals().responsibility_filed(), 1);

  v1::GetResponsibilityHistoryRequest h;
  h.set_building_id(b.building_id());
  auto history = registry_.GetResponsibilityHistory(admin_, h);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->records_size(), 2);
  EXPECT_TRUE(history->records(0).chain_changed());
  EXPECT_FALSE(history->records(1).chain_changed());
  EXPECT_EQ(history->records(1).recorded_by(), "street");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[1].type(), "firegrid.buildings.v1.ResponsibilityFiled");
}

TEST_F(ResponsibilityTest, FilingValidatesChainAndDocumentAndRole) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::FileResponsibilityRequest req;
  req.set_building_id(b.building_id());
  req.set_expected_version(b.version());
  *req.mutable_chain() = Chain();
  req.mutable_chain()->mutable_manager()->set_phone("call me");
  EXPECT_THAT(std::string(registry_.FileResponsibility(admin_, req).status().message()),
              HasSubstr("chain.manager.phone"));
  *req.mutable_chain() = Chain();
  req.mutable_chain()->clear_property_company();
  EXPECT_THAT(std::string(registry_.FileResponsibility(admin_, req).status().message()),
              HasSubstr("chain.property_company"));
  *req.mutable_chain() = Chain();
  req.mutable_filing()->set_document_number("doc");
  *req.mutable_filing()->mutable_filed_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  EXPECT_THAT(std::string(registry_.FileResponsibility(admin_, req).status().message()),
              HasSubstr("filing.filed_at"));
  req.clear_filing();
  // Filing belongs to the street/town: a community worker may not.
  EXPECT_EQ(registry_.FileResponsibility(worker_a_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ResponsibilityTest, ThreeNosBuildingMayHaveNoPropertyCompany) {
  v1::CreateBuildingRequest create;
  *create.mutable_building() = Fields(kCommunityA);
  create.mutable_building()->set_three_nos(true);
  auto b = registry_.CreateBuilding(admin_, create);
  ASSERT_TRUE(b.ok());
  v1::FileResponsibilityRequest req;
  req.set_building_id(b->building_id());
  req.set_expected_version(b->version());
  *req.mutable_chain() = Chain();
  req.mutable_chain()->clear_property_company();
  EXPECT_TRUE(registry_.FileResponsibility(admin_, req).ok());
}

TEST_F(ResponsibilityTest, BuildingManagerSeesOnlyBuildingsThatNameIt) {
  v1::Building mine = Create(admin_, kCommunityA);
  v1::Building other = Create(admin_, kCommunityA);
  v1::FileResponsibilityRequest req;
  req.set_building_id(mine.building_id());
  req.set_expected_version(mine.version());
  *req.mutable_chain() = Chain("mgr-7");
  ASSERT_TRUE(registry_.FileResponsibility(admin_, req).ok());
  Principal mgr = Make(Role::kBuildingManager, "", "mgr-7");
  v1::GetBuildingRequest get;
  get.set_building_id(mine.building_id());
  EXPECT_TRUE(registry_.GetBuilding(mgr, get).ok());
  get.set_building_id(other.building_id());
  EXPECT_EQ(registry_.GetBuilding(mgr, get).status().code(), absl::StatusCode::kPermissionDenied);
  auto list = registry_.ListBuildings(mgr, v1::ListBuildingsRequest());
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->buildings_size(), 1);
  EXPECT_EQ(list->buildings(0).building_id(), mine.building_id());
  // It may record facility status on its own building but not change the building.
  v1::SetFacilityStatusRequest f;
  f.set_building_id(mine.building_id());
  f.set_kind(v1::FACILITY_KIND_FIRE_ALARM);
  f.set_status(v1::FACILITY_STATUS_FAULT);
  EXPECT_TRUE(registry_.SetFacilityStatus(mgr, f).ok());
  f.set_building_id(other.building_id());
  EXPECT_EQ(registry_.SetFacilityStatus(mgr, f).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(mine.building_id());
  upd.mutable_update_mask()->add_paths("name");
  upd.mutable_building()->set_name("x");
  upd.set_expected_version(3);
  EXPECT_EQ(registry_.UpdateBuilding(mgr, upd).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ResponsibilityTest, ServiceAgencyHasNoAccessToTheRegistry) {
  v1::Building b = Create(admin_, kCommunityA);
  Principal agency = Make(Role::kServiceAgency, kDistrict, "agency");
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  EXPECT_EQ(registry_.GetBuilding(agency, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_.ListBuildings(agency, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
