#include "services/buildings/party_text.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

namespace sv1 = ::firegrid::subjects::v1;
using ::testing::HasSubstr;

TEST(PartyText, ParsesOrganisationsAndPersonsWithOptionalAccount) {
  auto org = ParsePartyText(" owner : 重庆嘉陵置业有限公司 : 91500109MA5U0001A4 ");
  ASSERT_TRUE(org.ok()) << org.status();
  EXPECT_EQ(org->role(), sv1::PARTY_ROLE_OWNER);
  EXPECT_EQ(org->name(), "重庆嘉陵置业有限公司");
  EXPECT_EQ(org->credit_code(), "91500109MA5U0001A4");
  EXPECT_TRUE(org->person_id().empty());

  auto person = ParsePartyText("occupant:张伟:ID:500109198503121232:tenant-7");
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_EQ(person->role(), sv1::PARTY_ROLE_OCCUPANT);
  EXPECT_EQ(person->person_id(), "500109198503121232");
  EXPECT_TRUE(person->credit_code().empty());
  EXPECT_EQ(person->account_subject(), "tenant-7");

  auto agency = ParsePartyText("Maintenance-Agency:重庆消安:91500109MA60003C02:agency-1");
  ASSERT_TRUE(agency.ok()) << agency.status();
  EXPECT_EQ(agency->role(), sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  EXPECT_EQ(agency->account_subject(), "agency-1");
}

TEST(PartyText, AcceptsTheChineseRoleNames) {
  const std::vector<std::pair<std::string, sv1::PartyRole>> cases = {
      {"产权人", sv1::PARTY_ROLE_OWNER},
      {"使用人", sv1::PARTY_ROLE_OCCUPANT},
      {"管理单位", sv1::PARTY_ROLE_MANAGEMENT_UNIT},
      {"物业", sv1::PARTY_ROLE_PROPERTY_COMPANY},
      {"维保单位", sv1::PARTY_ROLE_MAINTENANCE_AGENCY},
      {"建设单位", sv1::PARTY_ROLE_BUILDER}};
  for (const auto& [alias, role] : cases) {
    auto p = ParsePartyText(alias + ":某单位:91500109MA5U0001A4");
    ASSERT_TRUE(p.ok()) << alias << ": " << p.status();
    EXPECT_EQ(p->role(), role) << alias;
  }
}

TEST(PartyText, RefusesUnknownRolesAndMalformedEntriesSayingWhatIsWanted) {
  auto role = ParsePartyText("landlord:某人:91500109MA5U0001A4");
  EXPECT_EQ(role.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(role.status().message(), HasSubstr("unknown role 'landlord'"));
  EXPECT_THAT(role.status().message(), HasSubstr("maintenance_agency"));
  EXPECT_THAT(ParsePartyText("owner:91500109MA5U0001A4").status().message(),
              HasSubstr("want ROLE:NAME:CREDIT_CODE or ROLE:NAME:id:IDENTITY_NUMBER"));
  EXPECT_FALSE(ParsePartyText("occupant:张伟:id").ok());
  EXPECT_FALSE(ParsePartyText("owner:a:b:c:d").ok());
  auto list = ParsePartiesText("owner:甲:91500109MA5U0001A4; nobody");
  EXPECT_THAT(list.status().message(), HasSubstr("entry 2: want"));
}

TEST(PartyText, ListsRoundTripIncludingEscapedSeparatorsInNames) {
  google::protobuf::RepeatedPtrField<sv1::Party> parties;
  sv1::Party* a = parties.Add();
  a->set_role(sv1::PARTY_ROLE_PROPERTY_COMPANY);
  a->set_name("A:B;C\\D");  // every character the syntax uses
  a->set_credit_code("91500109MA5U0002B8");
  sv1::Party* b = parties.Add();
  b->set_role(sv1::PARTY_ROLE_OCCUPANT);
  b->set_name("张伟");
  b->set_person_id("11010519491231002X");
  b->set_account_subject("mgr:1");
  const std::string text = PartiesText(parties);
  EXPECT_EQ(text,
            "property_company:A\\:B\\;C\\\\D:91500109MA5U0002B8; "
            "occupant:张伟:id:11010519491231002X:mgr\\:1");
  auto back = ParsePartiesText(text);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*back)[0], *a));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals((*back)[1], *b));
  // Line breaks separate entries too; empty entries are skipped.
  auto lines = ParsePartiesText("owner:甲:91500109MA5U0001A4\n\n;builder:乙:91500109MA60003C02;");
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_EQ(lines->size(), 2u);
  EXPECT_TRUE(ParsePartiesText("  ").value().empty());
}

}  // namespace
}  // namespace firegrid::buildings
