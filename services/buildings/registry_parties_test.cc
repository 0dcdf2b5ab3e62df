// A building's parties (credit subjects): validation on create and update, who may set them,
// the events carrying them.
#include "libs/subjects/party.h"
#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

namespace sv1 = ::firegrid::subjects::v1;

class PartiesTest : public RegistryTest {
 protected:
  static v1::Building WithParties(const std::string& tier) {
    v1::Building b = Fields(tier);
    *b.add_parties() = MakeParty(sv1::PARTY_ROLE_OWNER, "重庆嘉陵置业有限公司", kOwnerCode);
    *b.add_parties() =
        MakeParty(sv1::PARTY_ROLE_MANAGEMENT_UNIT, "重庆嘉陵物业管理有限公司", kPropertyCode);
    *b.add_parties() =
        MakeParty(sv1::PARTY_ROLE_PROPERTY_COMPANY, "重庆嘉陵物业管理有限公司", kPropertyCode);
    *b.add_parties() = MakeParty(sv1::PARTY_ROLE_OCCUPANT, "张伟", "", kPersonId);
    return b;
  }

  absl::StatusOr<v1::Building> CreateWith(const Principal& p, const v1::Building& b) {
    v1::CreateBuildingRequest req;
    *req.mutable_building() = b;
    return registry_.CreateBuilding(p, req);
  }
};

TEST_F(PartiesTest, CreateStoresNormalisedPartiesAndPublishesThemUnmasked) {
  v1::Building in = WithParties(kCommunityA);
  in.mutable_parties(0)->set_credit_code(" 91500109ma5u0001a4 ");  // lower case, spaces
  in.mutable_parties(3)->set_name(" 张伟 ");
  auto b = CreateWith(worker_a_, in);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->parties_size(), 4);
  EXPECT_EQ(b->parties(0).credit_code(), kOwnerCode);
  EXPECT_EQ(b->parties(3).name(), "张伟");
  auto stored = store_.GetBuilding(b->building_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->parties(3).person_id(), kPersonId);
  // The topic is internal: the credit service needs the identity number itself.
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  auto payload = events::Unpack<v1::BuildingRegistered>(evs[0]);
  ASSERT_TRUE(payload.ok());
  ASSERT_EQ(payload->building().parties_size(), 4);
  EXPECT_EQ(payload->building().parties(3).person_id(), kPersonId);
}

struct BadParty {
  std::string name;  // the test's name: what is wrong
  std::function<void(v1::Building*)> mutate;
  std::string field;   // the field the error names
  std::string reason;  // and why
};

void PrintTo(const BadParty& c, std::ostream* os) { *os << c.name << " → " << c.field; }

class PartyValidationTest : public PartiesTest, public ::testing::WithParamInterface<BadParty> {};

TEST_P(PartyValidationTest, CreateAndUpdateRefuseNamingTheFieldAndWhy) {
  v1::Building in = WithParties(kCommunityA);
  GetParam().mutate(&in);
  auto s = CreateWith(admin_, in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().field + ": "));
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().reason));
  EXPECT_TRUE(store_.outbox().empty());

  // The same list through UpdateBuilding: the same answer, nothing written.
  v1::Building b = Create(admin_, kCommunityA);
  store_.ClearOutbox();
  v1::UpdateBuildingRequest upd;
  *upd.mutable_building()->mutable_parties() = in.parties();
  upd.mutable_building()->set_building_id(b.building_id());
  upd.mutable_update_mask()->add_paths("parties");
  upd.set_expected_version(b.version());
  s = registry_.UpdateBuilding(admin_, upd).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().field + ": "));
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().reason));
  EXPECT_TRUE(store_.outbox().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Parties, PartyValidationTest,
    ::testing::Values(
        BadParty{
            "CreditCodeWithWrongCheckCharacter",
            [](v1::Building* b) { b->mutable_parties(1)->set_credit_code("91500109MA5U0002B9"); },
            "building.parties[1].credit_code",
            "check character is 9, but the first 17 "
            "characters give 8"},
        BadParty{
            "CreditCodeTooShort",
            [](v1::Building* b) { b->mutable_parties(0)->set_credit_code("91500109MA5U0001A"); },
            "building.parties[0].credit_code", "18 characters, not 17"},
        BadParty{
            "CreditCodeWithLetterOutsideTheSet",
            [](v1::Building* b) { b->mutable_parties(0)->set_credit_code("91500109MA5O0001A4"); },
            "building.parties[0].credit_code",
            "character 12 (O) is not in the credit code's "
            "character set"},
        BadParty{
            "PersonIdWithWrongCheckCharacter",
            [](v1::Building* b) { b->mutable_parties(3)->set_person_id("500109198503121233"); },
            "building.parties[3].person_id",
            "check character is 3, but the first 17 digits "
            "give 2"},
        BadParty{
            "PersonIdWithImpossibleBirthDate",
            [](v1::Building* b) { b->mutable_parties(3)->set_person_id("500109198513121232"); },
            "building.parties[3].person_id", "not a valid birth date"},
        BadParty{
            "MaskedPersonIdSentBack",
            [](v1::Building* b) { b->mutable_parties(3)->set_person_id("500109********1232"); },
            "building.parties[3].person_id", "characters 1-17 must be digits"},
        BadParty{"BothCodeAndPersonId",
                 [](v1::Building* b) { b->mutable_parties(3)->set_credit_code(kAgencyCode); },
                 "building.parties[3].credit_code", "not both"},
        BadParty{"NeitherCodeNorPersonId",
                 [](v1::Building* b) { b->mutable_parties(0)->clear_credit_code(); },
                 "building.parties[0].credit_code", "required"},
        BadParty{"NoRole", [](v1::Building* b) { b->mutable_parties(2)->clear_role(); },
                 "building.parties[2].role", "required"},
        BadParty{"BlankName", [](v1::Building* b) { b->mutable_parties(2)->set_name("   "); },
                 "building.parties[2].name", "required"},
        BadParty{"SamePartyTwiceInOneRole",
                 [](v1::Building* b) {
                   *b->add_parties() =
                       MakeParty(sv1::PARTY_ROLE_OWNER, "重庆嘉陵置业", "91500109ma5u0001a4");
                 },
                 "building.parties[4]", "same party in the same role as parties[0]"},
        BadParty{"SamePersonTwiceInOneRole",
                 [](v1::Building* b) {
                   *b->add_parties() = MakeParty(sv1::PARTY_ROLE_OCCUPANT, "张 伟", "", kPersonId);
                 },
                 "building.parties[4]", "same party in the same role as parties[3]"},
        BadParty{"MoreThanFifty",
                 [](v1::Building* b) {
                   for (int i = 0; i < 47; ++i) {
                     *b->add_parties() =
                         MakeParty(sv1::PARTY_ROLE_OCCUPANT, "租户", "", kPersonIdX);
                   }
                 },
                 "building.parties", "at most 50 parties"}),
    [](const ::testing::TestParamInfo<BadParty>& info) { return info.param.name; });

TEST_F(PartiesTest, TheSameCodeInAnotherRoleIsAllowed) {
  // WithParties names the property company also as the management unit.
  auto b = CreateWith(admin_, WithParties(kCommunityA));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->parties(1).credit_code(), b->parties(2).credit_code());
}

TEST_F(PartiesTest, UpdateWithThePartiesPathReplacesTheList) {
  auto b = CreateWith(admin_, WithParties(kCommunityA));
  ASSERT_TRUE(b.ok()) << b.status();
  store_.ClearOutbox();
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b->building_id());
  *upd.mutable_building()->add_parties() =
      MakeParty(sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "重庆消安消防技术服务有限公司", kAgencyCode);
  upd.mutable_update_mask()->add_paths("parties");
  upd.set_expected_version(b->version());
  auto after = registry_.UpdateBuilding(street_, upd);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->parties_size(), 1);  // replaced, not appended
  EXPECT_EQ(after->parties(0).role(), sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  auto payload = events::Unpack<v1::BuildingUpdated>(evs[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_THAT(payload->changed_fields(), ::testing::ElementsAre("parties"));
  EXPECT_EQ(payload->building().parties_size(), 1);

  // Another path leaves the parties as they are; an empty list with the path clears them.
  upd.mutable_building()->clear_parties();
  upd.mutable_building()->set_height_m(70);
  upd.mutable_update_mask()->set_paths(0, "height_m");
  upd.set_expected_version(after->version());
  after = registry_.UpdateBuilding(street_, upd);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->parties_size(), 1);
  upd.mutable_update_mask()->set_paths(0, "parties");
  upd.set_expected_version(after->version());
  after = registry_.UpdateBuilding(street_, upd);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->parties_size(), 0);
}

TEST_F(PartiesTest, OnlyThoseWhoMayChangeTheBuildingSetItsParties) {
  v1::Building b = Create(admin_, kCommunityA);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b.building_id());
  *upd.mutable_building()->mutable_parties() = WithParties(kCommunityA).parties();
  upd.mutable_update_mask()->add_paths("parties");
  upd.set_expected_version(b.version());
  const Principal department = Make(Role::kDepartmentOfficer, kDistrict, "dept");
  const Principal internal = Make(Role::kInternalService, "", "hazards");
  for (const Principal& p : {worker_b_, department, internal}) {
    EXPECT_EQ(registry_.UpdateBuilding(p, upd).status().code(), absl::StatusCode::kPermissionDenied)
        << auth::RoleName(p.role);
  }
  auto after = registry_.UpdateBuilding(worker_a_, upd);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->parties_size(), 4);
  // Nor create a building with parties out of scope.
  EXPECT_EQ(CreateWith(worker_b_, WithParties(kCommunityA)).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// Masking per role: every RPC that returns a building shows a natural person's identity number
// masked to every caller but internal services, district admins included (they reveal it
// explicitly: registry_personal_data_test.cc).
TEST_F(PartiesTest, PersonIdsAreMaskedForEveryoneButInternalServices) {
  const std::string masked = subjects::MaskPersonId(kPersonId);
  ASSERT_EQ(masked, "500109********1232");
  auto created = CreateWith(admin_, WithParties(kCommunityA));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->parties(3).person_id(), masked);
  // A chain naming a building manager, so that it may read the building.
  v1::FileResponsibilityRequest file;
  file.set_building_id(created->building_id());
  file.set_expected_version(created->version());
  *file.mutable_chain() = Chain("mgr-1");
  auto filed = registry_.FileResponsibility(street_, file);
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->parties(3).person_id(), masked);
  EXPECT_EQ(filed->parties(0).credit_code(), kOwnerCode);  // organisations are never masked

  struct Reader {
    Principal p;
    bool sees;
  };
  const std::vector<Reader> readers = {
      {admin_, false},
      {Make(Role::kInternalService, "", "credit"), true},
      {street_, false},
      {worker_a_, false},
      {Make(Role::kDepartmentOfficer, kDistrict, "dept"), false},
      {Make(Role::kBuildingManager, "", "mgr-1"), false},
  };
  v1::GetBuildingRequest get;
  get.set_building_id(created->building_id());
  for (const Reader& r : readers) {
    const std::string want = r.sees ? kPersonId : masked;
    SCOPED_TRACE(auth::RoleName(r.p.role));
    auto b = registry_.GetBuilding(r.p, get);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->parties(3).person_id(), want);
    auto list = registry_.ListBuildings(r.p, v1::ListBuildingsRequest());
    ASSERT_TRUE(list.ok()) << list.status();
    ASSERT_EQ(list->buildings_size(), 1);
    EXPECT_EQ(list->buildings(0).parties(3).person_id(), want);
    v1::SetFacilityStatusRequest facility;
    facility.set_building_id(created->building_id());
    facility.set_kind(v1::FACILITY_KIND_FIRE_ALARM);
    facility.set_status(v1::FACILITY_STATUS_NORMAL);
    auto after_facility = registry_.SetFacilityStatus(r.p, facility);
    if (after_facility.ok()) {
      EXPECT_EQ(after_facility->parties(3).person_id(), want);
    } else {
      EXPECT_EQ(after_facility.status().code(), absl::StatusCode::kPermissionDenied);
    }
  }

  // The writes that answer with the building, by a street officer.
  v1::Building current = *registry_.GetBuilding(admin_, get);
  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(current.building_id());
  upd.mutable_building()->set_height_m(61);
  upd.mutable_update_mask()->add_paths("height_m");
  upd.set_expected_version(current.version());
  auto updated = registry_.UpdateBuilding(street_, upd);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->parties(3).person_id(), masked);
  v1::SetFireAccessRequest access;
  access.set_building_id(current.building_id());
  access.set_expected_version(updated->version());
  auto assessed = registry_.SetFireAccess(street_, access);
  ASSERT_TRUE(assessed.ok()) << assessed.status();
  EXPECT_EQ(assessed->building().parties(3).person_id(), masked);
  v1::CreateBuildingRequest create;
  *create.mutable_building() = WithParties(kCommunityB);
  create.set_request_id("retry-1");
  for (int attempt = 0; attempt < 2; ++attempt) {  // the first answer and the idempotent replay
    auto b = registry_.CreateBuilding(street_, create);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(b->parties(3).person_id(), masked);
  }
  // What is stored stays whole: an update of another field by a masked reader keeps the number.
  auto stored = store_.GetBuilding(current.building_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->parties(3).person_id(), kPersonId);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
