#include "services/hazards/lifecycle.h"

#include <cctype>
#include <map>
#include <set>

#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using auth::Principal;
using auth::Role;

Principal Make(Role role, const std::string& tier, const std::string& subject,
               const std::string& department = "") {
  Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = subject;
  p.department = department;
  return p;
}

const std::map<std::string, Principal>& Callers() {
  static const auto* callers = new std::map<std::string, Principal>{
      {"district_admin", Make(Role::kDistrictAdmin, "500109", "admin")},
      {"street_officer", Make(Role::kStreetOfficer, "500109001", "street")},
      {"other_street", Make(Role::kStreetOfficer, "500109002", "street2")},
      {"community_worker", Make(Role::kCommunityWorker, "500109001002", "grid")},
      {"other_community", Make(Role::kCommunityWorker, "500109001003", "grid2")},
      {"lead_department", Make(Role::kDepartmentOfficer, "500109", "um", "urban_management")},
      {"assisting_department", Make(Role::kDepartmentOfficer, "500109", "pol", "police")},
      {"unrouted_department", Make(Role::kDepartmentOfficer, "500109", "hl", "health")},
      {"building_manager", Make(Role::kBuildingManager, "", "mgr")},
      {"other_manager", Make(Role::kBuildingManager, "", "mgr2")},
      {"service_agency", Make(Role::kServiceAgency, "500109", "agency")},
      {"internal_service", Make(Role::kInternalService, "", "svc")},
      {"public_channel", Make(Role::kPublicChannel, "500109", "channel:wechat")},
  };
  return *callers;
}

v1::Hazard Sample(v1::Status status) {
  v1::Hazard h;
  h.set_hazard_id("hzd_1");
  h.set_tier_path("500109001002");
  h.set_status(status);
  h.mutable_routing()->add_lead_departments("urban_management");
  h.mutable_routing()->add_assisting_departments("police");
  h.mutable_assignment()->set_supervising_department("urban_management");
  h.mutable_assignment()->set_responsible_subject("mgr");
  h.add_building_subjects("mgr");
  return h;
}

TEST(CanSee, FollowsTierDepartmentAndNaming) {
  const std::set<std::string> see = {"district_admin",  "street_officer",       "community_worker",
                                     "lead_department", "assisting_department", "building_manager",
                                     "internal_service"};
  for (const auto& [name, p] : Callers()) {
    EXPECT_EQ(CanSee(p, Sample(v1::STATUS_REPORTED)).ok(), see.count(name) > 0) << name;
  }
}

struct ActionCase {
  Action action;
  v1::Status from;
  std::set<std::string> allowed;
};

void PrintTo(const ActionCase& c, std::ostream* os) {
  *os << ActionName(c.action) << " from " << v1::Status_Name(c.from);
}

class AuthorizeTest : public ::testing::TestWithParam<ActionCase> {};

// Every transition, allowed and refused, for every kind of caller.
TEST_P(AuthorizeTest, OnlyTheRolesOfTheTransitionMayTakeIt) {
  const ActionCase& c = GetParam();
  v1::Hazard h = Sample(c.from);
  for (const auto& [name, p] : Callers()) {
    const bool ok = CanSee(p, h).ok() && Authorize(p, h, c.action).ok();
    EXPECT_EQ(ok, c.allowed.count(name) > 0) << ActionName(c.action) << " by " << name;
    EXPECT_TRUE(CheckState(h, c.action).ok()) << ActionName(c.action);
  }
}

const std::set<std::string> kDecide = {"district_admin", "street_officer", "lead_department"};
const std::set<std::string> kRectify = {"district_admin", "street_officer", "community_worker",
                                        "building_manager"};
const std::set<std::string> kStaff = {"district_admin", "street_officer"};

INSTANTIATE_TEST_SUITE_P(
    Lifecycle, AuthorizeTest,
    ::testing::Values(ActionCase{Action::kVerify, v1::STATUS_REPORTED, kDecide},
                      ActionCase{Action::kReject, v1::STATUS_REPORTED, kDecide},
                      ActionCase{Action::kAssign, v1::STATUS_VERIFIED, kDecide},
                      ActionCase{Action::kStart, v1::STATUS_ASSIGNED, kRectify},
                      ActionCase{Action::kSubmit, v1::STATUS_RECTIFYING, kRectify},
                      ActionCase{Action::kReviewPass, v1::STATUS_SUBMITTED, kDecide},
                      ActionCase{Action::kReviewFail, v1::STATUS_SUBMITTED, kDecide},
                      ActionCase{Action::kChangeCategory, v1::STATUS_ASSIGNED, kDecide},
                      ActionCase{Action::kMerge, v1::STATUS_REPORTED, kStaff}),
    [](const ::testing::TestParamInfo<ActionCase>& info) {
      std::string name;
      bool upper = true;
      for (char c : ActionName(info.param.action)) {
        if (c == '_') {
          upper = true;
          continue;
        }
        name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
      }
      return name;
    });

TEST(Authorize, TheSubmitterMayNotReviewTheirOwnRectification) {
  v1::Hazard h = Sample(v1::STATUS_RECTIFYING);
  const Principal& street = Callers().at("street_officer");
  Record(&h, street, "submit", v1::STATUS_SUBMITTED, absl::FromUnixSeconds(10), "done");
  EXPECT_EQ(Authorize(street, h, Action::kReviewPass).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(Callers().at("district_admin"), h, Action::kReviewPass).ok());
}

TEST(Authorize, ReviewBelongsToTheSupervisingDepartmentNotEveryLead) {
  v1::Hazard h = Sample(v1::STATUS_SUBMITTED);
  h.mutable_assignment()->set_supervising_department("police");
  EXPECT_FALSE(Authorize(Callers().at("lead_department"), h, Action::kReviewPass).ok());
  EXPECT_TRUE(Authorize(Callers().at("assisting_department"), h, Action::kReviewPass).ok());
}

// Each action from each state: only its own source state passes; others are FAILED_PRECONDITION.
TEST(MayNameLiableParty, OnlyTheLeadDepartmentDistrictAdminsAndInternalServices) {
  const std::set<std::string> allowed = {"district_admin", "lead_department", "internal_service"};
  for (const auto& [name, p] : Callers()) {
    const absl::Status s = MayNameLiableParty(p, Sample(v1::STATUS_REPORTED));
    EXPECT_EQ(s.ok(), allowed.count(name) > 0) << name;
    if (!s.ok()) EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << name;
  }
}

TEST(NameLiableParty, SetsThePartyAndRecordsWhoIsLiableWithTheIdMasked) {
  v1::Hazard h = Sample(v1::STATUS_VERIFIED);
  subjects::v1::Party occupant;
  occupant.set_role(subjects::v1::PARTY_ROLE_OCCUPANT);
  occupant.set_name("张三");
  occupant.set_person_id("11010519491231002X");
  const absl::Time now = absl::FromUnixSeconds(1764000000);
  NameLiableParty(&h, Callers().at("lead_department"), occupant, now);
  EXPECT_EQ(h.liable_party().person_id(), "11010519491231002X");
  EXPECT_EQ(h.status(), v1::STATUS_VERIFIED);
  ASSERT_EQ(h.audit_size(), 1);
  EXPECT_EQ(h.audit(0).action(), "name_liable_party");
  EXPECT_EQ(h.audit(0).actor(), "um");
  EXPECT_EQ(h.audit(0).note(), "liable party: 张三 (occupant, 110105********002X)");

  // The same party again changes nothing; an organisation is named by its credit code.
  NameLiableParty(&h, Callers().at("lead_department"), occupant, now);
  EXPECT_EQ(h.audit_size(), 1);
  subjects::v1::Party agency;
  agency.set_role(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY);
  agency.set_name("某消防技术服务有限公司");
  agency.set_credit_code("91350100M000100Y43");
  NameLiableParty(&h, Callers().at("district_admin"), agency, now);
  ASSERT_EQ(h.audit_size(), 2);
  EXPECT_EQ(h.audit(1).note(),
            "liable party: 某消防技术服务有限公司 (maintenance_agency, 91350100M000100Y43)");
  EXPECT_EQ(h.liable_party().credit_code(), "91350100M000100Y43");
  EXPECT_TRUE(h.liable_party().person_id().empty());
}

TEST(CheckState, EachTransitionOnlyFromItsState) {
  const std::map<Action, std::set<v1::Status>> from = {
      {Action::kVerify, {v1::STATUS_REPORTED}},
      {Action::kReject, {v1::STATUS_REPORTED}},
      {Action::kAssign, {v1::STATUS_VERIFIED}},
      {Action::kStart, {v1::STATUS_ASSIGNED}},
      {Action::kSubmit, {v1::STATUS_RECTIFYING}},
      {Action::kReviewPass, {v1::STATUS_SUBMITTED}},
      {Action::kReviewFail, {v1::STATUS_SUBMITTED}},
      {Action::kChangeCategory,
       {v1::STATUS_REPORTED, v1::STATUS_VERIFIED, v1::STATUS_ASSIGNED, v1::STATUS_RECTIFYING,
        v1::STATUS_SUBMITTED}},
      {Action::kMerge,
       {v1::STATUS_REPORTED, v1::STATUS_VERIFIED, v1::STATUS_ASSIGNED, v1::STATUS_RECTIFYING,
        v1::STATUS_SUBMITTED}},
  };
  for (const auto& [action, ok_states] : from) {
    for (int s = 1; v1::Status_IsValid(s); ++s) {
      absl::Status st = CheckState(Sample(static_cast<v1::Status>(s)), action);
      if (ok_states.count(static_cast<v1::Status>(s))) {
        EXPECT_TRUE(st.ok()) << ActionName(action) << " from " << s << ": " << st;
      } else {
        EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition)
            << ActionName(action) << " from " << s;
      }
    }
  }
}

TEST(CheckState, ADuplicateOnlyUnmerges) {
  v1::Hazard h = Sample(v1::STATUS_REPORTED);
  EXPECT_EQ(CheckState(h, Action::kUnmerge).code(), absl::StatusCode::kFailedPrecondition);
  h.set_duplicate_of("hzd_0");
  EXPECT_EQ(CheckState(h, Action::kVerify).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckState(h, Action::kUnmerge).ok());
}

v1::Hazard Unmatched() {
  v1::Hazard h;
  h.set_hazard_id("hzd_2");
  h.set_tier_path("500109001");
  h.set_status(v1::STATUS_REPORTED);
  h.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
  h.set_channel("wechat");
  h.set_unmatched(true);
  return h;
}

TEST(CanSee, APublicChannelSeesOnlyItsOwnChannelsReportsInItsDistrict) {
  const Principal& wechat = Callers().at("public_channel");
  EXPECT_TRUE(CanSee(wechat, Unmatched()).ok());
  v1::Hazard web = Unmatched();
  web.set_channel("web");
  EXPECT_EQ(CanSee(wechat, web).code(), absl::StatusCode::kPermissionDenied);
  v1::Hazard elsewhere = Unmatched();
  elsewhere.set_tier_path("500110001");
  EXPECT_EQ(CanSee(wechat, elsewhere).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CanSee(wechat, Sample(v1::STATUS_REPORTED)).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CanSee, AnUnmatchedReportIsSeenByItsStreetAndTheDistrictNotByCommunitiesOrDepartments) {
  const std::set<std::string> see = {"district_admin", "street_officer", "internal_service",
                                     "public_channel"};
  for (const auto& [name, p] : Callers()) {
    EXPECT_EQ(CanSee(p, Unmatched()).ok(), see.count(name) > 0) << name;
  }
}

TEST(Authorize, APublicChannelMayTakeNoStepOfTheLifecycle) {
  const Principal& wechat = Callers().at("public_channel");
  for (Action a : {Action::kVerify, Action::kReject, Action::kAssign, Action::kStart,
                   Action::kSubmit, Action::kReviewPass, Action::kReviewFail,
                   Action::kChangeCategory, Action::kMerge, Action::kUnmerge, Action::kMatch}) {
    EXPECT_EQ(Authorize(wechat, Unmatched(), a).code(), absl::StatusCode::kPermissionDenied)
        << ActionName(a);
  }
}

TEST(Authorize, OnlyDistrictAdminsAndStreetOfficersMatchPublicReports) {
  const std::set<std::string> allowed = {"district_admin", "street_officer"};
  for (const auto& [name, p] : Callers()) {
    const bool ok = CanSee(p, Unmatched()).ok() && Authorize(p, Unmatched(), Action::kMatch).ok();
    EXPECT_EQ(ok, allowed.count(name) > 0) << name;
  }
}

TEST(CheckState, AnUnmatchedReportIsOnlyMatchedOrRejectedAndMatchedOnce) {
  for (Action a : {Action::kVerify, Action::kAssign, Action::kStart, Action::kSubmit,
                   Action::kReviewPass, Action::kChangeCategory, Action::kMerge}) {
    absl::Status s = CheckState(Unmatched(), a);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << ActionName(a);
    EXPECT_NE(s.message().find("MatchPublicReport"), absl::string_view::npos) << ActionName(a);
  }
  EXPECT_TRUE(CheckState(Unmatched(), Action::kMatch).ok());
  EXPECT_TRUE(CheckState(Unmatched(), Action::kReject).ok());
  v1::Hazard rejected = Unmatched();
  rejected.set_status(v1::STATUS_REJECTED);
  EXPECT_EQ(CheckState(rejected, Action::kMatch).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckState(Sample(v1::STATUS_REPORTED), Action::kMatch).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CanReport, APublicChannelReportsWithinItsDistrictOnlyAndAloneReportsWithoutABuilding) {
  const Principal& wechat = Callers().at("public_channel");
  BuildingView inside;
  inside.tier_path = "500109001002";
  BuildingView outside;
  outside.tier_path = "500110001002";
  EXPECT_TRUE(CanReport(wechat, inside).ok());
  EXPECT_EQ(CanReport(wechat, outside).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CanReportUnmatched(wechat, "500109001").ok());
  EXPECT_EQ(CanReportUnmatched(wechat, "500110001").code(), absl::StatusCode::kPermissionDenied);
  for (const auto& [name, p] : Callers()) {
    if (name == "public_channel") continue;
    EXPECT_EQ(CanReportUnmatched(p, "500109001").code(), absl::StatusCode::kPermissionDenied)
        << name;
  }
  EXPECT_EQ(ChannelOf(wechat), "wechat");
  EXPECT_EQ(ChannelOf(Callers().at("street_officer")), "");
  EXPECT_EQ(MayReadGuidance(wechat).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(MayReadGuidance(Callers().at("community_worker")).ok());
}

TEST(Record, AppendsTheAuditEntryAndMovesTheStatus) {
  v1::Hazard h = Sample(v1::STATUS_REPORTED);
  Record(&h, Callers().at("street_officer"), "verify", v1::STATUS_VERIFIED,
         absl::FromUnixSeconds(100), "seen on site");
  EXPECT_EQ(h.status(), v1::STATUS_VERIFIED);
  ASSERT_EQ(h.audit_size(), 1);
  EXPECT_EQ(h.audit(0).actor(), "street");
  EXPECT_EQ(h.audit(0).role(), "street_officer");
  EXPECT_EQ(h.audit(0).from(), v1::STATUS_REPORTED);
  EXPECT_EQ(h.audit(0).to(), v1::STATUS_VERIFIED);
  EXPECT_EQ(h.audit(0).note(), "seen on site");
  EXPECT_EQ(h.audit(0).at().seconds(), 100);
}

}  // namespace
}  // namespace firegrid::hazards
