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

TEST(Redact, TheLiablePersonsIdIsUnmaskedOnlyForDistrictAdminsAndInternalServices) {
  const std::map<Role, std::string> want = {
      {Role::kDistrictAdmin, "11010519491231002X"},
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

TEST(Redact, AnOrganisationsCreditCodeIsShownToEveryone) {
  v1::Hazard h;
  h.mutable_liable_party()->set_role(subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT);
  h.mutable_liable_party()->set_credit_code("91350100M000100Y43");
  auth::Principal p;
  p.role = Role::kBuildingManager;
  EXPECT_EQ(Redact(h, p).liable_party().credit_code(), "91350100M000100Y43");
}

TEST(ForEvent, CarriesTheLiablePartyUnmaskedButNoAuditOrContact) {
  const v1::Hazard e = ForEvent(WithLiablePerson());
  EXPECT_EQ(e.liable_party().person_id(), "11010519491231002X");
  EXPECT_EQ(e.liable_party().name(), "张三");
  EXPECT_TRUE(e.audit().empty());
  EXPECT_TRUE(e.reporter().contact().empty());
}

}  // namespace
}  // namespace firegrid::hazards
