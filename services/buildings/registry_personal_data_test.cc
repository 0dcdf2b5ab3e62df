// Personal data in the registry (docs/privacy.md): the chain's phones and the parties' identity
// numbers masked in every answer, revealed only by an audited GetBuilding (or a district
// admin's export), and only to the callers entitled to them.
#include <string>
#include <vector>

#include "libs/subjects/party.h"
#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

namespace sv1 = ::firegrid::subjects::v1;

class PersonalDataTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    registry_.set_personal_data_audit([this](audit::AuditRecord r) {
      if (audit_down_) return absl::UnavailableError("audit log unreachable");
      records_.push_back(std::move(r));
      return absl::OkStatus();
    });
    v1::CreateBuildingRequest create;
    *create.mutable_building() = Fields(kCommunityA);
    *create.mutable_building()->add_parties() =
        MakeParty(sv1::PARTY_ROLE_OCCUPANT, "张伟", "", kPersonId);
    auto created = registry_.CreateBuilding(admin_, create);
    ASSERT_TRUE(created.ok()) << created.status();
    v1::FileResponsibilityRequest file;
    file.set_building_id(created->building_id());
    file.set_expected_version(created->version());
    *file.mutable_chain() = Chain("mgr-1");
    auto filed = registry_.FileResponsibility(street_, file);
    ASSERT_TRUE(filed.ok()) << filed.status();
    id_ = filed->building_id();
  }

  absl::StatusOr<v1::Building> Get(const Principal& p, bool reveal) {
    v1::GetBuildingRequest get;
    get.set_building_id(id_);
    get.set_reveal_personal_data(reveal);
    return registry_.GetBuilding(p, get);
  }

  std::string id_;
  std::vector<audit::AuditRecord> records_;  // the in-memory audit log
  bool audit_down_ = false;
};

TEST_F(PersonalDataTest, ChainPhonesAreMaskedInEveryAnswerForEveryoneButInternalServices) {
  const Principal manager = Make(Role::kBuildingManager, "", "mgr-1");
  const Principal dept = Make(Role::kDepartmentOfficer, kDistrict, "dept");
  for (const Principal& p : {admin_, street_, worker_a_, manager, dept}) {
    SCOPED_TRACE(auth::RoleName(p.role));
    auto b = Get(p, false);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->responsibility().chain().responsible_person().phone(), "138****0001");
    EXPECT_EQ(b->responsibility().chain().manager().phone(), "138****0002");
    EXPECT_EQ(b->responsibility().chain().building_head().phone(), "138****0003");
    EXPECT_EQ(b->responsibility().chain().manager().name(), "李四");
    auto list = registry_.ListBuildings(p, v1::ListBuildingsRequest());
    ASSERT_TRUE(list.ok()) << list.status();
    ASSERT_EQ(list->buildings_size(), 1);
    EXPECT_EQ(list->buildings(0).responsibility().chain().manager().phone(), "138****0002");
    v1::GetResponsibilityHistoryRequest history;
    history.set_building_id(id_);
    auto h = registry_.GetResponsibilityHistory(p, history);
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_GE(h->records_size(), 1);
    for (const auto& r : h->records()) {
      EXPECT_EQ(r.chain().manager().phone().find("00000"), std::string::npos);
    }
  }
  auto internal = Get(Make(Role::kInternalService, "", "credit"), false);
  ASSERT_TRUE(internal.ok());
  EXPECT_EQ(internal->responsibility().chain().manager().phone(), "13800000002");
  EXPECT_EQ(internal->parties(0).person_id(), kPersonId);
  EXPECT_TRUE(records_.empty()) << "masked reads and internal services write no record";
}

TEST_F(PersonalDataTest, ADistrictAdminRevealsPhonesAndIdentityNumbersAndTheReadIsAudited) {
  auto b = Get(admin_, true);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->responsibility().chain().manager().phone(), "13800000002");
  EXPECT_EQ(b->parties(0).person_id(), kPersonId);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].method(), "/firegrid.buildings.v1.BuildingService/GetBuilding");
  EXPECT_EQ(records_[0].object_id(), id_);
  EXPECT_EQ(records_[0].principal(), "admin");
  EXPECT_EQ(records_[0].detail(),
            "revealed=responsibility.chain.responsible_person.phone,"
            "responsibility.chain.manager.phone,responsibility.chain.building_head.phone,"
            "parties.person_id");
}

TEST_F(PersonalDataTest, TheResponsibleTiersAndNamedManagersRevealPhonesButNotIdentityNumbers) {
  for (const Principal& p : {street_, worker_a_, Make(Role::kBuildingManager, "", "mgr-1")}) {
    SCOPED_TRACE(auth::RoleName(p.role));
    records_.clear();
    auto b = Get(p, true);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->responsibility().chain().building_head().phone(), "13800000003");
    EXPECT_EQ(b->parties(0).person_id(), "500109********1232");
    ASSERT_EQ(records_.size(), 1u);
    EXPECT_EQ(records_[0].principal(), p.subject);
    EXPECT_EQ(records_[0].detail().find("parties.person_id"), std::string::npos);
  }
}

TEST_F(PersonalDataTest, DepartmentsAndOtherTiersMayNotReveal) {
  EXPECT_EQ(Get(Make(Role::kDepartmentOfficer, kDistrict, "dept"), true).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(worker_b_, true).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(records_.empty());
}

TEST_F(PersonalDataTest, ARevealIsRefusedWhenItsAuditRecordCannotBeWritten) {
  audit_down_ = true;
  EXPECT_EQ(Get(admin_, true).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(PersonalDataTest, ExportsMaskIdentityNumbersUnlessADistrictAdminRevealsThem) {
  auto plain = registry_.ExportBuildingsCsv(admin_, v1::ExportBuildingsCsvRequest());
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->content().find(kPersonId), std::string::npos);
  EXPECT_NE(plain->content().find("500109********1232"), std::string::npos);
  EXPECT_TRUE(records_.empty());
  v1::ExportBuildingsCsvRequest reveal;
  reveal.set_reveal_personal_data(true);
  EXPECT_EQ(registry_.ExportBuildingsCsv(street_, reveal).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto full = registry_.ExportBuildingsCsv(admin_, reveal);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_NE(full->content().find(kPersonId), std::string::npos);
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].method(), "/firegrid.buildings.v1.BuildingService/ExportBuildingsCsv");
  EXPECT_EQ(records_[0].object_id(), kDistrict);
  EXPECT_EQ(records_[0].detail(), "revealed=parties.person_id");
}

TEST_F(PersonalDataTest, AMaskedPhoneSentBackIsRefused) {
  auto b = Get(street_, false);
  ASSERT_TRUE(b.ok());
  v1::FileResponsibilityRequest file;
  file.set_building_id(id_);
  file.set_expected_version(b->version());
  *file.mutable_chain() = b->responsibility().chain();  // as read: phones masked
  auto refiled = registry_.FileResponsibility(street_, file);
  EXPECT_EQ(refiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refiled.status().message().find("phone"), std::string::npos);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
