#include "services/hazards/redaction.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using auth::Role;

v1::Hazard WithLiablePerson() {
  v1::Hazard h;
  h.set_hazard_id("hzd_1");
  auto* p = h.mutable_liable_party();
  p->set_role(subjects::v1::PARTY_ROLE_OCCUPANT);
  p->set_name("张三");
  p->set_person_id("11010519491231002X");
  h.mutable_reporter()->set_contact("13800000000");
  h.add_audit()->set_action("report");
  return h;
}

TEST(Redact, TheLiablePersonsIdIsUnmaskedOnlyForInternalServices) {
  const std::map<Role, std::string> want = {
      {Role::kDistrictAdmin, "110105********002X"},
      {Role::kInternalService, "11010519491231002X"},
      {Role::kStreetOfficer, "110105********002X"},
      {Role::kCommunityWorker, "110105********002X"},
      {Role::kDepartmentOfficer, "110105********002X"},
      {Role::kBuildingManager, "110105********002X"},
  };
  for (const auto& [role, id] : want) {
    auth::Principal p;
    p.role = role;
    const v1::Hazard h = Redact(WithLiablePerson(), p);
    EXPECT_EQ(h.liable_party().person_id(), id) << auth::RoleName(role);
    EXPECT_EQ(h.liable_party().name(), "张三") << auth::RoleName(role);
  }
}

TEST(Redact, TheReporterIsMaskedForEveryRoleDistrictAdminsAndInternalServicesIncluded) {
  for (Role role : {Role::kDistrictAdmin, Role::kInternalService, Role::kStreetOfficer,
                    Role::kCommunityWorker, Role::kDepartmentOfficer, Role::kBuildingManager}) {
    auth::Principal p;
    p.role = role;
    v1::Hazard h = WithLiablePerson();
    h.mutable_reporter()->set_name("陈先生");
    h.mutable_reporter()->set_contact("chen@example.org");
    const v1::Hazard shown = Redact(h, p);
    EXPECT_EQ(shown.reporter().name(), "陈**") << auth::RoleName(role);
    EXPECT_EQ(shown.reporter().contact(), "c***@example.org") << auth::RoleName(role);
  }
}

TEST(PersonalFields, NamesTheFieldsARevealShowsAndOnlyThoseSet) {
  v1::Hazard h = WithLiablePerson();
  EXPECT_EQ(PersonalFields(h),
            (std::vector<std::string>{"reporter.contact", "liable_party.person_id"}));
  h.mutable_reporter()->set_name("陈先生");
  EXPECT_EQ(PersonalFields(h), (std::vector<std::string>{"reporter.name", "reporter.contact",
                                                         "liable_party.person_id"}));
  EXPECT_TRUE(PersonalFields(v1::Hazard()).empty());
}

TEST(Redact, AnOrganisationsCreditCodeIsShownToEveryone) {
  v1::Hazard h;
  h.mutable_liable_party()->set_role(subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT);
  h.mutable_liable_party()->set_credit_code("91350100M000100Y43");
  auth::Principal p;
  p.role = Role::kBuildingManager;
  EXPECT_EQ(Redact(h, p).liable_party().credit_code(), "91350100M000100Y43");
}

TEST(ForEvent, CarriesTheLiablePartyUnmaskedButNoAuditNorTheReportersNameOrContact) {
  v1::Hazard h = WithLiablePerson();
  h.mutable_reporter()->set_name("陈先生");
  h.mutable_reporter()->set_subject("channel:wechat");
  const v1::Hazard e = ForEvent(h);
  EXPECT_TRUE(e.reporter().name().empty());
  EXPECT_EQ(e.reporter().subject(), "channel:wechat");
  EXPECT_EQ(e.liable_party().person_id(), "11010519491231002X");
  EXPECT_EQ(e.liable_party().name(), "张三");
  EXPECT_TRUE(e.audit().empty());
  EXPECT_TRUE(e.reporter().contact().empty());
}

TEST(PublicView, APublicChannelSeesStatusPlaceTimesAndNotesButNoPeople) {
  v1::Hazard h = WithLiablePerson();
  h.set_description("楼道堆放杂物");
  h.set_status(v1::STATUS_ASSIGNED);
  h.set_channel("wechat");
  h.mutable_location()->set_address("某路 1 号");
  h.mutable_reporter()->set_name("李四");
  h.mutable_reporter()->set_subject("channel:wechat");
  h.add_building_subjects("mgr-a");
  h.add_confirmations("street-officer-1");
  h.mutable_assignment()->set_responsible_party("某物业公司");
  h.mutable_assignment()->set_responsible_subject("mgr-a");
  h.mutable_assignment()->mutable_deadline()->set_seconds(1800000000);
  h.add_rectification_evidence()->set_uri("https://evidence.example/after.jpg");
  h.mutable_reward()->set_recorded_by("street-officer-1");
  h.mutable_device_alarm()->set_alarm_id("alm_1");
  h.mutable_reported_at()->set_seconds(1700000000);
  h.set_version(4);
  auto* named = h.add_audit();
  named->set_action("name_liable_party");
  named->set_note("liable party: 张三 (occupant, 110105********002X)");
  auto* assigned = h.add_audit();
  assigned->set_action("assign");
  assigned->set_actor("street-officer-1");
  assigned->set_role("street_officer");
  assigned->set_note("deadline 2027-01-15 08:00");
  auth::Principal channel;
  channel.role = Role::kPublicChannel;
  channel.subject = "channel:wechat";
  const v1::Hazard shown = Redact(h, channel);
  EXPECT_EQ(shown.description(), "楼道堆放杂物");
  EXPECT_EQ(shown.status(), v1::STATUS_ASSIGNED);
  EXPECT_EQ(shown.location().address(), "某路 1 号");
  EXPECT_EQ(shown.channel(), "wechat");
  EXPECT_EQ(shown.reported_at().seconds(), 1700000000);
  EXPECT_EQ(shown.version(), 4);
  EXPECT_EQ(shown.assignment().deadline().seconds(), 1800000000);
  EXPECT_FALSE(shown.has_liable_party());
  EXPECT_FALSE(shown.has_reward());
  EXPECT_FALSE(shown.has_device_alarm());
  EXPECT_EQ(shown.reporter().name(), "");
  EXPECT_EQ(shown.reporter().contact(), "");
  EXPECT_EQ(shown.reporter().subject(), "");
  EXPECT_TRUE(shown.building_subjects().empty());
  EXPECT_TRUE(shown.confirmations().empty());
  EXPECT_TRUE(shown.rectification_evidence().empty());
  EXPECT_EQ(shown.assignment().responsible_party(), "");
  EXPECT_EQ(shown.assignment().responsible_subject(), "");
  // Status notes: role-level, no actor, nothing that names the liable party.
  ASSERT_EQ(shown.audit_size(), 2);
  EXPECT_EQ(shown.audit(0).action(), "report");
  EXPECT_EQ(shown.audit(1).action(), "assign");
  EXPECT_EQ(shown.audit(1).role(), "street_officer");
  EXPECT_EQ(shown.audit(1).actor(), "");
  EXPECT_EQ(shown.audit(1).note(), "deadline 2027-01-15 08:00");
  EXPECT_EQ(shown.SerializeAsString().find("street-officer-1"), std::string::npos);
  EXPECT_EQ(shown.SerializeAsString().find("mgr-a"), std::string::npos);
}

}  // namespace
}  // namespace firegrid::hazards
