#include "services/credit/engine.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/subjects/party.h"

namespace firegrid::credit {
namespace {

namespace cfg = ::firegrid::config::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace sv1 = ::firegrid::subjects::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kT0 = absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone());

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Duration Days(int n) { return absl::Hours(24) * n; }

// A valid unified social credit code numbered n (GB 32100 check character computed).
std::string Code(int n) {
  const std::string first17 = absl::StrFormat("91500109MA5U%05d", n);
  return first17 + subjects::CreditCodeCheckCharacter(first17);
}

sv1::Party Org(int n, sv1::PartyRole role = sv1::PARTY_ROLE_MANAGEMENT_UNIT,
               const std::string& account = "") {
  sv1::Party p;
  p.set_role(role);
  p.set_name(absl::StrCat("单位", n));
  p.set_credit_code(Code(n));
  p.set_account_subject(account);
  return p;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : rules_(Load()), ids_("test-key") {}

  static Rules Load() {
    absl::StatusOr<Rules> r = Rules::LoadFile(FIREGRID_CREDIT_RULES);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }

  v1::Fact Base(absl::Time t, const std::string& fact_id = "") {
    v1::Fact f;
    f.set_fact_id(fact_id.empty() ? absl::StrCat("f", ++next_fact_) : fact_id);
    *f.mutable_time() = Ts(t);
    f.set_actor("tester");
    return f;
  }

  v1::Fact Hazard(v1::HazardFact::Kind kind, const std::string& hazard_id, const sv1::Party& liable,
                  absl::Time t, hv1::Severity sev = hv1::SEVERITY_GENERAL,
                  hv1::HazardCategory cat = hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
                  bool on_time = false) {
    v1::Fact f = Base(t);
    v1::HazardFact* h = f.mutable_hazard();
    h->set_kind(kind);
    h->set_hazard_id(hazard_id);
    h->set_building_id("bld_1");
    h->set_building_name("一号楼");
    h->set_tier_path("500109001001");
    h->set_category(cat);
    h->set_severity(sev);
    *h->mutable_liable_party() = liable;
    h->set_supervising_department("fire_rescue");
    h->set_district("500109");
    h->set_on_time(on_time);
    h->add_building_subjects("mgr-1");
    return f;
  }

  v1::Fact Manual(const std::string& subject, const std::string& rule, absl::Time t,
                  const std::string& role = "district_admin",
                  const std::string& org_unit = "500109.fire_rescue") {
    v1::Fact f = Base(t);
    f.set_actor_role(role);
    v1::ManualFact* m = f.mutable_manual();
    m->set_subject_id(subject);
    m->set_rule_id(rule);
    m->set_reason("检查发现");
    m->set_legal_basis("《消防法》");
    m->set_org_unit(org_unit);
    return f;
  }

  Outcome Run(const v1::Fact& f) { return Apply(rules_, ids_, f, &state_); }
  Outcome RunOk(const v1::Fact& f) {
    Outcome o = Run(f);
    EXPECT_TRUE(o.status.ok()) << o.status;
    return o;
  }

  const v1::SubjectState& S(const std::string& id) {
    const v1::SubjectState* s = state_.FindSubject(id);
    EXPECT_NE(s, nullptr) << id;
    static const v1::SubjectState kNone;
    return s != nullptr ? *s : kNone;
  }

  const cfg::HazardRule& HazardRule(const std::string& id) {
    const cfg::HazardRule* r = rules_.Hazard(id);
    EXPECT_NE(r, nullptr) << id;
    static const cfg::HazardRule kNone;
    return r != nullptr ? *r : kNone;
  }
  int Base() const { return rules_.proto().base_score(); }
  const cfg::Blacklist& Bl() const { return rules_.proto().blacklist(); }

  // Registers an agency and records false reports until the level reaches D: the automatic
  // proposal's entry id.
  std::string DriveToD(const std::string& subject, absl::Time t) {
    std::string entry;
    for (int i = 0; i < 10 && entry.empty(); ++i) {
      Outcome o = RunOk(Manual(subject, "violation.false_inspection_report", t));
      entry = o.entry_id;
    }
    EXPECT_EQ(S(subject).level(), v1::LEVEL_D);
    return entry;
  }

  v1::Fact Register(const sv1::Party& p, absl::Time t) {
    v1::Fact f = Base(t);
    *f.mutable_registration()->mutable_party() = p;
    return f;
  }

  v1::Fact Clock(absl::Time t) {
    v1::Fact f = Base(t);
    f.mutable_clock();
    return f;
  }

  Rules rules_;
  SubjectIds ids_;
  MemoryState state_;
  int next_fact_ = 0;
};

template <class T>
const T* FindPublication(const Outcome& o) {
  for (const Publication& p : o.publications) {
    if (p.payload->GetDescriptor() == T::descriptor())
      return static_cast<const T*>(p.payload.get());
  }
  return nullptr;
}

// ---- the hazard rules, table-driven from the loaded config ----

struct HazardCase {
  std::string name;
  hv1::Severity severity;
  hv1::HazardCategory category;
  bool repeat;  // another hazard of the category verified for the subject within the window
  std::string rule_id;
};
void PrintTo(const HazardCase& c, std::ostream* os) { *os << c.name; }

class HazardRuleTableTest : public EngineTest, public ::testing::WithParamInterface<HazardCase> {};

TEST_P(HazardRuleTableTest, VerificationAppliesTheConfiguredRuleAndDelta) {
  const HazardCase& c = GetParam();
  const sv1::Party liable = Org(1);
  const std::string id = ids_.IdOf(liable);
  absl::Time t = kT0;
  if (c.repeat) {
    RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h_prev", liable, t, c.severity, c.category));
    t += Days(rules_.proto().repeat_window_days() - 1);
  }
  const int before = state_.FindSubject(id) ? S(id).score() : Base();
  Outcome o =
      RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h_1", liable, t, c.severity, c.category));
  ASSERT_FALSE(o.records.empty());
  const v1::LedgerRecord& r = o.records.front();
  const cfg::HazardRule& rule = HazardRule(c.rule_id);
  EXPECT_EQ(r.rule_id(), c.rule_id);
  EXPECT_EQ(r.rules_version(), rules_.version());
  const int expected = c.repeat && rule.repeat_delta() != 0 ? rule.repeat_delta() : rule.delta();
  EXPECT_EQ(r.delta(), expected);
  EXPECT_EQ(r.score_after(), before + expected);
  EXPECT_EQ(S(id).score(), before + expected);
  EXPECT_EQ(r.cause().kind(), "hazard.verified");
  EXPECT_EQ(r.cause().description(), rule.description());
  EXPECT_EQ(r.cause().legal_basis(), rule.legal_basis());
  EXPECT_EQ(r.cause().hazard_id(), "h_1");
}

INSTANTIATE_TEST_SUITE_P(
    Config, HazardRuleTableTest,
    ::testing::Values(
        HazardCase{"GeneralHazard", hv1::SEVERITY_GENERAL, hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
                   false, "hazard.verified.general"},
        HazardCase{"GeneralHazardRepeat", hv1::SEVERITY_GENERAL,
                   hv1::HAZARD_CATEGORY_GAS_ELECTRICAL, true, "hazard.verified.general"},
        HazardCase{"FireLaneBlocked", hv1::SEVERITY_GENERAL,
                   hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, false,
                   "hazard.verified.general.fire_access"},
        HazardCase{"FireLaneBlockedRepeat", hv1::SEVERITY_GENERAL,
                   hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, true,
                   "hazard.verified.general.fire_access"},
        HazardCase{"EvacuationBlocked", hv1::SEVERITY_GENERAL,
                   hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED, false,
                   "hazard.verified.general.fire_access"},
        HazardCase{"MajorHazard", hv1::SEVERITY_MAJOR, hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT,
                   false, "hazard.verified.major"},
        HazardCase{"MajorHazardRepeat", hv1::SEVERITY_MAJOR,
                   hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, true, "hazard.verified.major"}),
    [](const ::testing::TestParamInfo<HazardCase>& info) { return info.param.name; });

TEST_F(EngineTest, HazardOfAnotherCategoryOrOutsideTheWindowIsNoRepeat) {
  const sv1::Party liable = Org(1);
  const std::string id = ids_.IdOf(liable);
  const cfg::HazardRule& rule = HazardRule("hazard.verified.general");
  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", liable, kT0));
  Outcome other = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h2", liable, kT0 + Days(1),
                               hv1::SEVERITY_GENERAL, hv1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT));
  EXPECT_EQ(other.records[0].delta(), rule.delta());
  Outcome late = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h3", liable,
                              kT0 + Days(rules_.proto().repeat_window_days() + 1)));
  EXPECT_EQ(late.records[0].delta(), rule.delta());
  // The marks older than the window were dropped.
  for (const v1::RepeatMark& m : S(id).repeat_marks()) EXPECT_NE(m.hazard_id(), "h1");
}

TEST_F(EngineTest, OverdueAndOnTimeClosureApplyTheirConfiguredRules) {
  const sv1::Party liable = Org(1);
  const std::string id = ids_.IdOf(liable);
  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", liable, kT0, hv1::SEVERITY_MAJOR));
  Outcome overdue = RunOk(
      Hazard(v1::HazardFact::KIND_OVERDUE, "h1", liable, kT0 + Days(30), hv1::SEVERITY_MAJOR));
  ASSERT_EQ(overdue.records.size(), 1u);
  EXPECT_EQ(overdue.records[0].rule_id(), "hazard.overdue.major");
  EXPECT_EQ(overdue.records[0].delta(), HazardRule("hazard.overdue.major").delta());
  EXPECT_THAT(S(id).open_overdue_hazards(), ElementsAre("h1"));

  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h2", liable, kT0, hv1::SEVERITY_GENERAL));
  const int before = S(id).score();
  Outcome closed = RunOk(Hazard(v1::HazardFact::KIND_CLOSED, "h2", liable, kT0 + Days(5),
                                hv1::SEVERITY_GENERAL, hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
                                /*on_time=*/true));
  ASSERT_EQ(closed.records.size(), 1u);
  EXPECT_EQ(closed.records[0].rule_id(), "hazard.closed_on_time");
  EXPECT_EQ(S(id).score(), before + HazardRule("hazard.closed_on_time").delta());
}

TEST_F(EngineTest, ClosingAnOverdueHazardLateClearsItWithoutCredit) {
  const sv1::Party liable = Org(1);
  const std::string id = ids_.IdOf(liable);
  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", liable, kT0));
  RunOk(Hazard(v1::HazardFact::KIND_OVERDUE, "h1", liable, kT0 + Days(30)));
  Outcome closed = RunOk(Hazard(v1::HazardFact::KIND_CLOSED, "h1", liable, kT0 + Days(40)));
  EXPECT_THAT(closed.records, IsEmpty());
  EXPECT_THAT(S(id).open_overdue_hazards(), IsEmpty());
}

// ---- exactly once ----

TEST_F(EngineTest, EachHazardEffectHappensOnceEvenWhenFactsRepeatWithOtherIds) {
  const sv1::Party liable = Org(1);
  const std::string id = ids_.IdOf(liable);
  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", liable, kT0));
  Outcome again = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", liable, kT0 + Days(1)));
  EXPECT_THAT(again.records, IsEmpty());
  RunOk(Hazard(v1::HazardFact::KIND_OVERDUE, "h1", liable, kT0 + Days(30)));
  Outcome overdue_again = RunOk(Hazard(v1::HazardFact::KIND_OVERDUE, "h1", liable, kT0 + Days(31)));
  EXPECT_THAT(overdue_again.records, IsEmpty());
  EXPECT_THAT(overdue_again.publications, IsEmpty());
  RunOk(Hazard(v1::HazardFact::KIND_CLOSED, "h1", liable, kT0 + Days(32)));
  Outcome closed_again = RunOk(Hazard(v1::HazardFact::KIND_CLOSED, "h1", liable, kT0 + Days(33)));
  EXPECT_THAT(closed_again.records, IsEmpty());
  EXPECT_EQ(S(id).score(), Base() + HazardRule("hazard.verified.general").delta() +
                               HazardRule("hazard.overdue").delta());
  EXPECT_EQ(S(id).ledger_records(), 2);
}

TEST_F(EngineTest, HazardWithoutLiablePartyChangesNoScore) {
  Outcome o = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", sv1::Party(), kT0));
  EXPECT_THAT(o.records, IsEmpty());
  EXPECT_TRUE(state_.subjects().empty());
}

TEST_F(EngineTest, MaskedPersonIdNamesNoSubject) {
  sv1::Party masked;
  masked.set_role(sv1::PARTY_ROLE_OCCUPANT);
  masked.set_name("张三");
  masked.set_person_id("110105********002X");
  Outcome o = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", masked, kT0));
  EXPECT_THAT(o.records, IsEmpty());
  EXPECT_TRUE(state_.subjects().empty());
}

// ---- the liable party ----

TEST_F(EngineTest, ReassignmentMovesVerifiedAndOverdueDeductionsToTheNewParty) {
  const sv1::Party a = Org(1), b = Org(2, sv1::PARTY_ROLE_OCCUPANT);
  const std::string ida = ids_.IdOf(a), idb = ids_.IdOf(b);
  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", a, kT0));
  RunOk(Hazard(v1::HazardFact::KIND_OVERDUE, "h1", a, kT0 + Days(30)));
  ASSERT_LT(S(ida).score(), Base());
  EXPECT_THAT(S(ida).open_overdue_hazards(), ElementsAre("h1"));

  Outcome moved = RunOk(Hazard(v1::HazardFact::KIND_ASSIGNED, "h1", b, kT0 + Days(31)));
  EXPECT_EQ(S(ida).score(), Base());
  EXPECT_THAT(S(ida).open_overdue_hazards(), IsEmpty());
  EXPECT_THAT(S(ida).repeat_marks(), IsEmpty());
  EXPECT_EQ(S(idb).score(), Base() + HazardRule("hazard.verified.general").delta() +
                                HazardRule("hazard.overdue").delta());
  EXPECT_THAT(S(idb).open_overdue_hazards(), ElementsAre("h1"));
  ASSERT_EQ(moved.records.size(), 4u);
  for (const v1::LedgerRecord& r : moved.records) EXPECT_EQ(r.cause().kind(), "hazard.reassigned");
  EXPECT_EQ(moved.records[0].subject_id(), ida);
  EXPECT_GT(moved.records[0].delta(), 0);
  EXPECT_EQ(moved.records[3].subject_id(), idb);
  EXPECT_EQ(state_.FindHazard("h1")->liable_subject_id(), idb);
  EXPECT_EQ(state_.FindHazard("h1")->building_id(), "bld_1");
  EXPECT_EQ(state_.FindHazard("h1")->supervising_department(), "fire_rescue");
  EXPECT_EQ(state_.FindHazard("h1")->district(), "500109");

  // The new subject is linked to the hazard's building, with its managers to notify.
  ASSERT_EQ(S(idb).subject().buildings_size(), 1);
  EXPECT_EQ(S(idb).subject().buildings(0).tier_path(), "500109001001");
  EXPECT_THAT(S(idb).notify_subjects(), ElementsAre("mgr-1"));

  // Assigning to the same party again changes nothing.
  EXPECT_THAT(RunOk(Hazard(v1::HazardFact::KIND_ASSIGNED, "h1", b, kT0 + Days(32))).records,
              IsEmpty());
}

// ---- publications ----

TEST_F(EngineTest, ScoreChangePublishesSubjectRefWithCodeAndSupervisingOrgUnit) {
  sv1::Party a = Org(1, sv1::PARTY_ROLE_MANAGEMENT_UNIT, "acct-a");
  Outcome o = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", a, kT0));
  const auto* sc = FindPublication<v1::ScoreChanged>(o);
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->subject().subject_id(), ids_.IdOf(a));
  EXPECT_EQ(sc->subject().credit_code(), Code(1));
  EXPECT_EQ(sc->subject().type(), sv1::SUBJECT_TYPE_MANAGER);
  EXPECT_EQ(sc->subject().name(), a.name());
  EXPECT_EQ(sc->subject().supervising_org_unit(), "500109.fire_rescue");
  EXPECT_THAT(sc->subject().notify_subjects(), ElementsAre("acct-a", "mgr-1"));
  EXPECT_THAT(sc->subject().tier_paths(), ElementsAre("500109001001"));
  EXPECT_EQ(sc->score_before(), Base());
  EXPECT_EQ(sc->record().record_id(), ids_.IdOf(a) + "#1");
  EXPECT_EQ(o.publications.size(), 1u);  // the level stays A
}

TEST_F(EngineTest, PersonSubjectRefNeverCarriesTheIdentityNumber) {
  sv1::Party p;
  p.set_role(sv1::PARTY_ROLE_OCCUPANT);
  p.set_name("张三");
  p.set_person_id("11010519491231002X");
  Outcome o = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", p, kT0));
  const auto* sc = FindPublication<v1::ScoreChanged>(o);
  ASSERT_NE(sc, nullptr);
  EXPECT_THAT(sc->SerializeAsString(), Not(HasSubstr("11010519491231002X")));
  EXPECT_THAT(sc->DebugString(), Not(HasSubstr("1231002X")));
  EXPECT_EQ(S(ids_.IdOf(p)).subject().person_id(), "11010519491231002X");  // kept inside
  EXPECT_EQ(S(ids_.IdOf(p)).subject().type(), sv1::SUBJECT_TYPE_USER);
}

TEST_F(EngineTest, LevelChangePublishesLevelChangedAndExportsTheSubject) {
  const sv1::Party a = Org(1);
  const std::string id = ids_.IdOf(a);
  Outcome o = RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", a, kT0, hv1::SEVERITY_MAJOR));
  const auto* lc = FindPublication<v1::LevelChanged>(o);
  ASSERT_NE(lc, nullptr);
  EXPECT_EQ(lc->from(), v1::LEVEL_A);
  EXPECT_EQ(lc->to(), rules_.LevelFor(Base() + HazardRule("hazard.verified.major").delta()));
  EXPECT_THAT(o.exported_subjects, ElementsAre(id));
}

// ---- buildings and registrations ----

TEST_F(EngineTest, BuildingPartiesBecomeLinkedSubjectsToldToTheBuildingsManagers) {
  v1::Fact f = Base(kT0);
  v1::BuildingFact* b = f.mutable_building();
  b->set_building_id("bld_9");
  b->set_building_name("九号楼");
  b->set_tier_path("500109002003");
  *b->add_parties() = Org(1, sv1::PARTY_ROLE_OWNER, "owner-acct");
  *b->add_parties() = Org(2, sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  b->add_manager_subjects("mgr-b");
  b->add_manager_subjects("mgr-a");
  Outcome o = RunOk(f);
  EXPECT_THAT(o.records, IsEmpty());
  const std::string owner = ids_.IdOf(Org(1)), agency = ids_.IdOf(Org(2));
  EXPECT_EQ(S(owner).score(), Base());
  EXPECT_EQ(S(owner).level(), v1::LEVEL_A);
  EXPECT_EQ(S(owner).subject().type(), sv1::SUBJECT_TYPE_OWNER);
  EXPECT_EQ(S(agency).subject().type(), sv1::SUBJECT_TYPE_SERVICE_AGENCY);
  ASSERT_EQ(S(owner).subject().buildings_size(), 1);
  EXPECT_EQ(S(owner).subject().buildings(0).building_name(), "九号楼");
  EXPECT_EQ(S(owner).subject().buildings(0).role(), sv1::PARTY_ROLE_OWNER);
  EXPECT_THAT(S(owner).notify_subjects(), ElementsAre("mgr-a", "mgr-b", "owner-acct"));

  // A filing changes the managers: every subject of the building hears from the new ones.
  v1::Fact filed = Base(kT0 + Days(1));
  filed.mutable_building()->set_building_id("bld_9");
  filed.mutable_building()->set_managers_only(true);
  filed.mutable_building()->add_manager_subjects("mgr-c");
  RunOk(filed);
  EXPECT_THAT(S(owner).notify_subjects(), ElementsAre("mgr-c", "owner-acct"));
  EXPECT_THAT(S(agency).notify_subjects(), ElementsAre("mgr-c"));
  EXPECT_EQ(S(agency).subject().buildings_size(), 1);

  // The registry drops the agency: it is unlinked; the owner stays.
  v1::Fact updated = Base(kT0 + Days(2));
  *updated.mutable_building() = *b;
  updated.mutable_building()->mutable_parties()->RemoveLast();
  updated.mutable_building()->clear_manager_subjects();
  updated.mutable_building()->add_manager_subjects("mgr-c");
  RunOk(updated);
  EXPECT_EQ(S(agency).subject().buildings_size(), 0);
  EXPECT_THAT(S(agency).notify_subjects(), IsEmpty());
  EXPECT_EQ(S(owner).subject().buildings_size(), 1);
}

TEST_F(EngineTest, RegistrationCreatesOrRenamesWithoutScoreChange) {
  sv1::Party p = Org(5, sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "agency-acct");
  EXPECT_THAT(RunOk(Register(p, kT0)).records, IsEmpty());
  const std::string id = ids_.IdOf(p);
  EXPECT_EQ(S(id).score(), Base());
  EXPECT_THAT(S(id).notify_subjects(), ElementsAre("agency-acct"));
  p.set_name("新名称");
  RunOk(Register(p, kT0 + Days(1)));
  EXPECT_EQ(S(id).subject().name(), "新名称");
  EXPECT_EQ(S(id).score(), Base());
}

TEST_F(EngineTest, UnnormalisedPartyIsTheSameSubjectStoredInNormalForm) {
  sv1::Party lower = Org(4);
  lower.set_credit_code(absl::AsciiStrToLower(Code(4)) + " ");
  RunOk(Register(lower, kT0));
  const std::string id = "org:" + Code(4);
  EXPECT_EQ(S(id).subject().credit_code(), Code(4));
  RunOk(Register(Org(4), kT0));
  EXPECT_EQ(state_.subjects().size(), 1u);
}

TEST_F(EngineTest, RegistrationWithABuildingLinksTheSubjectToItsTier) {
  v1::Fact bf = Base(kT0);
  bf.mutable_building()->set_building_id("bld_7");
  bf.mutable_building()->set_building_name("七号楼");
  bf.mutable_building()->set_tier_path("500109003001");
  bf.mutable_building()->add_manager_subjects("mgr-7");
  RunOk(bf);
  v1::Fact reg = Register(Org(8, sv1::PARTY_ROLE_BUILDER), kT0 + Days(1));
  reg.mutable_registration()->set_building_id("bld_7");
  RunOk(reg);
  const v1::SubjectState& s = S(ids_.IdOf(Org(8)));
  ASSERT_EQ(s.subject().buildings_size(), 1);
  EXPECT_EQ(s.subject().buildings(0).tier_path(), "500109003001");
  EXPECT_EQ(s.subject().buildings(0).role(), sv1::PARTY_ROLE_BUILDER);
  EXPECT_THAT(s.notify_subjects(), ElementsAre("mgr-7"));
  EXPECT_THAT(state_.FindBuilding("bld_7")->subject_ids(), ElementsAre(ids_.IdOf(Org(8))));
  // Not a registry party: a registry update of the building keeps it linked.
  RunOk(bf);
  EXPECT_EQ(S(ids_.IdOf(Org(8))).subject().buildings_size(), 1);
}

// ---- manual records ----

TEST_F(EngineTest, ManualRecordAppliesTheRuleWithReasonAndLegalBasis) {
  const sv1::Party a = Org(1);
  RunOk(Register(a, kT0));
  const std::string id = ids_.IdOf(a);
  Outcome o = RunOk(Manual(id, "violation.fire_lane_blocked", kT0 + Days(1), "department_officer",
                           "500109.urban_management"));
  ASSERT_EQ(o.records.size(), 1u);
  const cfg::ManualRule* rule = rules_.Manual("violation.fire_lane_blocked");
  EXPECT_EQ(o.records[0].delta(), rule->delta());
  EXPECT_EQ(o.records[0].cause().kind(), "manual");
  EXPECT_THAT(o.records[0].cause().description(), HasSubstr("检查发现"));
  EXPECT_EQ(o.records[0].cause().legal_basis(), "《消防法》");
  const auto* sc = FindPublication<v1::ScoreChanged>(o);
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->subject().supervising_org_unit(), "500109.urban_management");
}

TEST_F(EngineTest, ManualRuleRefusesARoleItDoesNotAllow) {
  RunOk(Register(Org(1), kT0));
  const std::string id = ids_.IdOf(Org(1));
  Outcome o = Run(Manual(id, "credit.commendation", kT0, "street_officer"));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(o.records, IsEmpty());
  EXPECT_EQ(S(id).score(), Base());
}

TEST_F(EngineTest, ManualRuleRefusesADepartmentItDoesNotAllow) {
  RunOk(Register(Org(1), kT0));
  Outcome o = Run(Manual(ids_.IdOf(Org(1)), "violation.facility_disabled", kT0,
                         "department_officer", "500109.education"));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(EngineTest, ManualRuleRefusesASubjectTypeItExcludes) {
  RunOk(Register(Org(1, sv1::PARTY_ROLE_OWNER), kT0));
  Outcome o = Run(Manual(ids_.IdOf(Org(1)), "violation.false_inspection_report", kT0));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, ManualRecordForUnknownSubjectOrRuleIsNotFound) {
  EXPECT_EQ(Run(Manual("org:" + Code(77), "credit.drill", kT0)).status.code(),
            absl::StatusCode::kNotFound);
  RunOk(Register(Org(1), kT0));
  EXPECT_EQ(Run(Manual(ids_.IdOf(Org(1)), "no.such.rule", kT0)).status.code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, ScoresAreClampedAndTheRecordShowsTheActualChange) {
  const sv1::Party agency = Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  RunOk(Register(agency, kT0));
  const std::string id = ids_.IdOf(agency);
  for (int i = 0; i < 6; ++i) RunOk(Manual(id, "violation.false_inspection_report", kT0));
  EXPECT_EQ(S(id).score(), rules_.proto().min_score());
  Outcome o = RunOk(Manual(id, "violation.false_inspection_report", kT0));
  EXPECT_EQ(o.records[0].delta(), 0);
  EXPECT_EQ(FindPublication<v1::ScoreChanged>(o), nullptr);
}

// ---- blacklist ----

TEST_F(EngineTest, FallingToLevelDProposesAnEntryAutomaticallyOnce) {
  const sv1::Party agency = Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  RunOk(Register(agency, kT0));
  const std::string id = ids_.IdOf(agency);
  const std::string entry = DriveToD(id, kT0);
  EXPECT_EQ(entry, id + "#bl1");
  const v1::BlacklistEntry& e = S(id).blacklist(0);
  EXPECT_TRUE(e.automatic());
  EXPECT_EQ(e.state(), v1::BLACKLIST_STATE_PROPOSED);
  EXPECT_EQ(e.reason(), Bl().auto_reason());
  EXPECT_EQ(e.duration_days(), Bl().default_duration_days());
  EXPECT_EQ(e.objection_deadline().seconds(),
            absl::ToUnixSeconds(kT0 + Days(Bl().objection_days())));
  EXPECT_THAT(state_.DueEntries(kT0 + Days(Bl().objection_days())), ElementsAre(entry));
  // Further deductions at D propose nothing more.
  Outcome more = RunOk(Manual(id, "violation.false_inspection_report", kT0));
  EXPECT_TRUE(more.entry_id.empty());
  EXPECT_EQ(S(id).blacklist_size(), 1);
}

TEST_F(EngineTest, NewDeductionAtLevelDAfterTheEntryEndedProposesAgain) {
  RunOk(Register(Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY), kT0));
  const std::string id = ids_.IdOf(Org(3));
  DriveToD(id, kT0);
  const absl::Time end = kT0 + Days(Bl().objection_days()) + Days(Bl().default_duration_days());
  RunOk(Clock(end));
  ASSERT_EQ(S(id).blacklist(0).state(), v1::BLACKLIST_STATE_EXPIRED);
  ASSERT_EQ(S(id).level(), v1::LEVEL_D);
  // A credit while at D proposes nothing; a new violation does.
  EXPECT_TRUE(RunOk(Manual(id, "credit.drill", end)).entry_id.empty());
  Outcome o = RunOk(Manual(id, "violation.false_inspection_report", end + Days(1)));
  EXPECT_EQ(o.entry_id, id + "#bl2");
  EXPECT_EQ(S(id).blacklist(1).state(), v1::BLACKLIST_STATE_PROPOSED);
}

TEST_F(EngineTest, AutomaticProposalIsRecordedAndPublished) {
  const sv1::Party agency = Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  RunOk(Register(agency, kT0));
  const std::string id = ids_.IdOf(agency);
  RunOk(Manual(id, "violation.false_inspection_report", kT0));
  Outcome o = RunOk(Manual(id, "violation.false_inspection_report", kT0));
  ASSERT_EQ(S(id).level(), v1::LEVEL_D);
  ASSERT_EQ(o.records.size(), 2u);
  EXPECT_EQ(o.records[1].kind(), v1::RECORD_KIND_BLACKLIST_PROPOSED);
  EXPECT_EQ(o.records[1].entry_id(), id + "#bl1");
  EXPECT_EQ(o.records[1].cause().kind(), "manual");
  const auto* p = FindPublication<v1::BlacklistProposed>(o);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->entry().entry_id(), id + "#bl1");
  EXPECT_NE(FindPublication<v1::LevelChanged>(o), nullptr);
}

TEST_F(EngineTest, EntryTakesEffectAfterTheObjectionPeriodAndExpiresAfterItsTerm) {
  RunOk(Register(Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY), kT0));
  const std::string id = ids_.IdOf(Org(3));
  const std::string entry = DriveToD(id, kT0);
  const absl::Time deadline = kT0 + Days(Bl().objection_days());
  EXPECT_TRUE(RunOk(Clock(deadline - absl::Seconds(1))).records.empty());
  Outcome active = RunOk(Clock(deadline + absl::Hours(1)));
  EXPECT_EQ(active.entry_id, entry);
  EXPECT_EQ(S(id).blacklist(0).state(), v1::BLACKLIST_STATE_ACTIVE);
  EXPECT_EQ(S(id).blacklist(0).effective_at().seconds(), absl::ToUnixSeconds(deadline));
  const absl::Time expires = deadline + Days(Bl().default_duration_days());
  EXPECT_EQ(S(id).blacklist(0).expires_at().seconds(), absl::ToUnixSeconds(expires));
  ASSERT_NE(FindPublication<v1::Blacklisted>(active), nullptr);
  EXPECT_EQ(active.records[0].kind(), v1::RECORD_KIND_BLACKLIST_ACTIVE);
  EXPECT_EQ(active.records[0].cause().kind(), "clock");

  Outcome expired = RunOk(Clock(expires));
  EXPECT_EQ(S(id).blacklist(0).state(), v1::BLACKLIST_STATE_EXPIRED);
  EXPECT_EQ(S(id).blacklist(0).ended_at().seconds(), absl::ToUnixSeconds(expires));
  ASSERT_NE(FindPublication<v1::BlacklistRemoved>(expired), nullptr);
  EXPECT_EQ(expired.records[0].kind(), v1::RECORD_KIND_BLACKLIST_EXPIRED);
  EXPECT_THAT(state_.DueEntries(absl::InfiniteFuture()), IsEmpty());
}

TEST_F(EngineTest, UpheldObjectionWithdrawsTheEntry) {
  RunOk(Register(Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY), kT0));
  const std::string id = ids_.IdOf(Org(3));
  const std::string entry = DriveToD(id, kT0);
  v1::Fact obj = Base(kT0 + Days(1));
  obj.mutable_objection()->set_entry_id(entry);
  obj.mutable_objection()->set_text("报告属实");
  Outcome filed = RunOk(obj);
  EXPECT_EQ(S(id).blacklist(0).state(), v1::BLACKLIST_STATE_OBJECTED);
  EXPECT_EQ(filed.records[0].kind(), v1::RECORD_KIND_BLACKLIST_OBJECTED);
  EXPECT_THAT(filed.exported_subjects, ElementsAre(id));
  // The clock does not activate an objected entry.
  EXPECT_TRUE(RunOk(Clock(kT0 + Days(Bl().objection_days() + 1))).records.empty());

  v1::Fact review = Base(kT0 + Days(20));
  review.mutable_objection_review()->set_entry_id(entry);
  review.mutable_objection_review()->set_upheld(true);
  review.mutable_objection_review()->set_note("异议成立");
  Outcome o = RunOk(review);
  EXPECT_EQ(S(id).blacklist(0).state(), v1::BLACKLIST_STATE_WITHDRAWN);
  EXPECT_TRUE(S(id).blacklist(0).objection().upheld());
  EXPECT_EQ(o.records[0].kind(), v1::RECORD_KIND_BLACKLIST_WITHDRAWN);
  EXPECT_NE(FindPublication<v1::BlacklistRemoved>(o), nullptr);
}

TEST_F(EngineTest, DismissedObjectionPutsTheEntryInEffectFromTheReview) {
  RunOk(Register(Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY), kT0));
  const std::string id = ids_.IdOf(Org(3));
  const std::string entry = DriveToD(id, kT0);
  v1::Fact obj = Base(kT0 + Days(1));
  obj.mutable_objection()->set_entry_id(entry);
  obj.mutable_objection()->set_text("异议");
  RunOk(obj);
  const absl::Time at = kT0 + Days(25);
  v1::Fact review = Base(at);
  review.mutable_objection_review()->set_entry_id(entry);
  review.mutable_objection_review()->set_upheld(false);
  review.mutable_objection_review()->set_note("驳回");
  Outcome o = RunOk(review);
  EXPECT_EQ(S(id).blacklist(0).state(), v1::BLACKLIST_STATE_ACTIVE);
  EXPECT_EQ(S(id).blacklist(0).effective_at().seconds(), absl::ToUnixSeconds(at));
  EXPECT_NE(FindPublication<v1::Blacklisted>(o), nullptr);
  EXPECT_THAT(state_.DueEntries(absl::InfiniteFuture()), ElementsAre(entry));
}

TEST_F(EngineTest, ObjectionAfterThePeriodIsRefused) {
  RunOk(Register(Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY), kT0));
  const std::string id = ids_.IdOf(Org(3));
  const std::string entry = DriveToD(id, kT0);
  v1::Fact obj = Base(kT0 + Days(Bl().objection_days()));
  obj.mutable_objection()->set_entry_id(entry);
  obj.mutable_objection()->set_text("迟到的异议");
  EXPECT_EQ(Run(obj).status.code(), absl::StatusCode::kFailedPrecondition);
  v1::Fact unknown = Base(kT0);
  unknown.mutable_objection()->set_entry_id(id + "#bl9");
  EXPECT_EQ(Run(unknown).status.code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, ExplicitProposalWithDurationAndRefusalWhileOneIsOpen) {
  RunOk(Register(Org(1), kT0));
  const std::string id = ids_.IdOf(Org(1));
  v1::Fact f = Base(kT0);
  f.mutable_proposal()->set_subject_id(id);
  f.mutable_proposal()->set_reason("拒不整改");
  f.mutable_proposal()->set_legal_basis("《消防法》第七十条");
  f.mutable_proposal()->set_duration_days(30);
  Outcome o = RunOk(f);
  EXPECT_EQ(o.entry_id, id + "#bl1");
  EXPECT_FALSE(S(id).blacklist(0).automatic());
  EXPECT_EQ(S(id).blacklist(0).duration_days(), 30);
  EXPECT_EQ(S(id).blacklist(0).proposed_by(), "tester");
  EXPECT_EQ(Run(f).status.code(), absl::StatusCode::kFailedPrecondition);
  f.mutable_proposal()->set_subject_id("org:" + Code(99));
  EXPECT_EQ(Run(f).status.code(), absl::StatusCode::kNotFound);
}

class RepairTest : public EngineTest {
 protected:
  // An agency at D with an entry in effect from kT0 + objection period.
  void SetUp() override {
    RunOk(Register(Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY), kT0));
    id_ = ids_.IdOf(Org(3));
    entry_ = DriveToD(id_, kT0);
    effective_ = kT0 + Days(Bl().objection_days());
    RunOk(Clock(effective_));
    ASSERT_EQ(S(id_).blacklist(0).state(), v1::BLACKLIST_STATE_ACTIVE);
  }
  Outcome Request(absl::Time t) {
    v1::Fact f = Base(t);
    f.mutable_repair_request()->set_entry_id(entry_);
    f.mutable_repair_request()->set_statement("已整改");
    f.mutable_repair_request()->add_evidence("sha256:ab");
    return Run(f);
  }
  Outcome Review(absl::Time t, bool approved) {
    v1::Fact f = Base(t);
    f.mutable_repair_review()->set_entry_id(entry_);
    f.mutable_repair_review()->set_approved(approved);
    f.mutable_repair_review()->set_note("审核");
    return Run(f);
  }
  std::string id_, entry_;
  absl::Time effective_;
};

TEST_F(RepairTest, ApprovalBeforeTheMinimumPeriodIsRefused) {
  const absl::Time t = effective_ + Days(Bl().repair_min_days() - 1);
  ASSERT_TRUE(Request(t).status.ok());
  Outcome o = Review(t, true);
  EXPECT_EQ(o.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(S(id_).blacklist(0).state(), v1::BLACKLIST_STATE_ACTIVE);
}

TEST_F(RepairTest, ApprovalWithAnOpenOverdueHazardIsRefused) {
  const sv1::Party agency = Org(3, sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  RunOk(Hazard(v1::HazardFact::KIND_VERIFIED, "h1", agency, effective_));
  RunOk(Hazard(v1::HazardFact::KIND_OVERDUE, "h1", agency, effective_ + Days(10)));
  const absl::Time t = effective_ + Days(Bl().repair_min_days());
  ASSERT_TRUE(Request(t).status.ok());
  Outcome o = Review(t, true);
  EXPECT_EQ(o.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(o.status.message(), HasSubstr("h1"));
  // Rectified and closed: now it may be approved.
  RunOk(Hazard(v1::HazardFact::KIND_CLOSED, "h1", agency, t + Days(1)));
  EXPECT_TRUE(Review(t + Days(1), true).status.ok());
  EXPECT_EQ(S(id_).blacklist(0).state(), v1::BLACKLIST_STATE_REPAIRED);
}

TEST_F(RepairTest, ApprovalAfterTheMinimumPeriodEndsTheEntryWithTheRepairCredit) {
  const absl::Time t = effective_ + Days(Bl().repair_min_days());
  Outcome req = Request(t);
  ASSERT_TRUE(req.status.ok());
  EXPECT_EQ(req.records[0].kind(), v1::RECORD_KIND_REPAIR_REQUESTED);
  const int before = S(id_).score();
  Outcome o = Review(t + Days(1), true);
  ASSERT_TRUE(o.status.ok()) << o.status;
  EXPECT_EQ(S(id_).blacklist(0).state(), v1::BLACKLIST_STATE_REPAIRED);
  EXPECT_EQ(S(id_).score(), before + Bl().repair_delta());
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].kind(), v1::RECORD_KIND_BLACKLIST_REPAIRED);
  EXPECT_EQ(o.records[0].delta(), Bl().repair_delta());
  EXPECT_NE(FindPublication<v1::BlacklistRemoved>(o), nullptr);
  EXPECT_NE(FindPublication<v1::ScoreChanged>(o), nullptr);
  EXPECT_THAT(state_.DueEntries(absl::InfiniteFuture()), IsEmpty());
}

TEST_F(RepairTest, RefusalIsRecordedAndAllowsANewRequest) {
  const absl::Time t = effective_ + Days(5);
  ASSERT_TRUE(Request(t).status.ok());
  EXPECT_EQ(Request(t).status.code(), absl::StatusCode::kFailedPrecondition);  // one pending
  Outcome refused = Review(t, false);
  ASSERT_TRUE(refused.status.ok());
  EXPECT_EQ(refused.records[0].kind(), v1::RECORD_KIND_REPAIR_REFUSED);
  EXPECT_EQ(S(id_).blacklist(0).state(), v1::BLACKLIST_STATE_ACTIVE);
  EXPECT_TRUE(Request(t + Days(1)).status.ok());
}

// ---- determinism and the ledger's arithmetic over a generated history ----

// ~10,000 mixed facts over 60 organisations and 8 persons, 40 buildings, 2,000 hazards, from a
// fixed seed: hazards verified / reassigned / overdue / closed (with redeliveries), building
// updates and filings, manual records by allowed and refused roles, proposals, objections,
// reviews, repair requests and reviews, clock ticks.
std::vector<v1::Fact> History(int n) {
  std::mt19937 rng(20260301);
  auto pick = [&](int k) { return static_cast<int>(rng() % k); };
  std::vector<sv1::Party> parties;
  for (int i = 0; i < 60; ++i) {
    parties.push_back(
        Org(i, static_cast<sv1::PartyRole>(1 + i % 6), i % 3 ? "" : absl::StrCat("acct", i)));
  }
  const char* persons[] = {"11010519491231002X", "440524188001010014", "110105194912310037",
                           "110105194912310045", "110105194912310053", "110105194912310061",
                           "110105194912310088", "110105194912310096"};
  for (const char* pid : persons) {
    sv1::Party p;
    p.set_role(sv1::PARTY_ROLE_OCCUPANT);
    p.set_name("个人");
    // Fix the check character so that every number is valid.
    std::string first17 = std::string(pid).substr(0, 17);
    p.set_person_id(first17 + subjects::PersonIdCheckCharacter(first17));
    parties.push_back(p);
  }
  SubjectIds ids("test-key");
  std::vector<v1::Fact> out;
  absl::Time t = kT0;
  const char* roles[] = {"district_admin", "department_officer", "street_officer",
                         "building_manager"};
  const char* units[] = {"500109.fire_rescue", "500109.police", "500109.education"};
  const char* manual_rules[] = {"violation.fire_lane_blocked", "violation.false_inspection_report",
                                "violation.facility_disabled", "credit.drill",
                                "credit.commendation"};
  std::string last_proposed;
  for (int i = 0; i < n; ++i) {
    t += absl::Minutes(30 + pick(600));
    v1::Fact f;
    f.set_fact_id(absl::StrCat("evt", i));
    *f.mutable_time() = Ts(t);
    f.set_actor(absl::StrCat("actor", pick(5)));
    const int dice = pick(100);
    const std::string subject = ids.IdOf(parties[pick(parties.size())]);
    // Decisions mostly about an entry of the subject last proposed for, so that they meet
    // entries in every state.
    const std::string entry = absl::StrCat(
        pick(4) != 0 && !last_proposed.empty() ? last_proposed : subject, "#bl", 1 + pick(2));
    if (dice < 60) {
      v1::HazardFact* h = f.mutable_hazard();
      h->set_kind(static_cast<v1::HazardFact::Kind>(1 + pick(5)));
      h->set_hazard_id(absl::StrCat("h", pick(2000)));
      h->set_building_id(absl::StrCat("bld", pick(40)));
      h->set_tier_path(absl::StrCat("5001090010", 10 + pick(5)));
      h->set_category(static_cast<hv1::HazardCategory>(1 + pick(14)));
      h->set_severity(pick(5) == 0 ? hv1::SEVERITY_MAJOR : hv1::SEVERITY_GENERAL);
      if (pick(10) != 0) *h->mutable_liable_party() = parties[pick(parties.size())];
      h->set_supervising_department("fire_rescue");
      h->set_district("500109");
      h->set_on_time(pick(2) == 0);
      h->add_building_subjects(absl::StrCat("mgr", pick(10)));
    } else if (dice < 68) {
      v1::BuildingFact* b = f.mutable_building();
      b->set_building_id(absl::StrCat("bld", pick(40)));
      b->set_building_name(absl::StrCat("楼", pick(3)));
      b->set_tier_path(absl::StrCat("5001090010", 10 + pick(5)));
      b->set_managers_only(pick(3) == 0);
      if (!b->managers_only()) {
        for (int k = pick(4); k > 0; --k) *b->add_parties() = parties[pick(parties.size())];
      }
      for (int k = pick(3); k > 0; --k) b->add_manager_subjects(absl::StrCat("mgr", pick(10)));
    } else if (dice < 82) {
      f.set_actor_role(roles[pick(4)]);
      v1::ManualFact* m = f.mutable_manual();
      m->set_subject_id(subject);
      m->set_rule_id(manual_rules[pick(5)]);
      m->set_reason("r");
      m->set_legal_basis("b");
      m->set_org_unit(units[pick(3)]);
    } else if (dice < 85) {
      f.mutable_proposal()->set_subject_id(subject);
      last_proposed = subject;
      f.mutable_proposal()->set_reason("r");
      f.mutable_proposal()->set_duration_days(pick(3) * 100);
    } else if (dice < 88) {
      f.mutable_objection()->set_entry_id(entry);
      f.mutable_objection()->set_text("o");
    } else if (dice < 90) {
      f.mutable_objection_review()->set_entry_id(entry);
      f.mutable_objection_review()->set_upheld(pick(2) == 0);
    } else if (dice < 92) {
      f.mutable_repair_request()->set_entry_id(entry);
      f.mutable_repair_request()->set_statement("s");
    } else if (dice < 94) {
      f.mutable_repair_review()->set_entry_id(entry);
      f.mutable_repair_review()->set_approved(pick(3) != 0);
    } else if (dice < 96) {
      *f.mutable_registration()->mutable_party() = parties[pick(parties.size())];
      f.mutable_registration()->set_building_id(absl::StrCat("bld", pick(40)));
    } else {
      f.mutable_clock();
    }
    out.push_back(std::move(f));
  }
  return out;
}

// Every subject, hazard and building (sorted by id) and every record and publication, as bytes.
struct Replay {
  std::map<std::string, std::string> subjects, hazards, buildings;
  std::vector<std::string> records, publications, exported;
  std::map<std::string, std::vector<v1::LedgerRecord>> ledgers;
  int failed = 0;
};

Replay ApplyAll(const Rules& rules, const std::vector<v1::Fact>& facts, bool publish = true) {
  SubjectIds ids("test-key");
  MemoryState state;
  Replay run;
  for (const v1::Fact& f : facts) {
    Outcome o = Apply(rules, ids, f, &state, publish);
    if (!o.status.ok()) ++run.failed;
    for (const std::string& id : o.exported_subjects) run.exported.push_back(id);
    for (const v1::LedgerRecord& r : o.records) {
      run.records.push_back(r.SerializeAsString());
      run.ledgers[r.subject_id()].push_back(r);
    }
    for (const Publication& p : o.publications) {
      run.publications.push_back(p.subject_id + p.payload->SerializeAsString());
    }
  }
  for (const auto& [id, s] : state.subjects()) run.subjects[id] = s.SerializeAsString();
  for (const auto& [id, h] : state.hazards()) run.hazards[id] = h.SerializeAsString();
  for (const auto& [id, b] : state.buildings()) run.buildings[id] = b.SerializeAsString();
  return run;
}

TEST_F(EngineTest, SameHistoryTwiceGivesIdenticalSubjectsHazardsAndRecords) {
  const std::vector<v1::Fact> facts = History(10'000);
  const Replay a = ApplyAll(rules_, facts);
  const Replay b = ApplyAll(rules_, facts);
  EXPECT_GT(a.subjects.size(), 50u);
  EXPECT_GT(a.hazards.size(), 1000u);
  EXPECT_GT(a.records.size(), 3000u);
  EXPECT_GT(a.failed, 0);  // some facts are refused (and the same ones both times)
  EXPECT_EQ(a.failed, b.failed);
  EXPECT_TRUE(a.subjects == b.subjects);
  EXPECT_TRUE(a.hazards == b.hazards);
  EXPECT_TRUE(a.buildings == b.buildings);
  EXPECT_TRUE(a.records == b.records);
  EXPECT_TRUE(a.publications == b.publications);
}

TEST_F(EngineTest, WithoutPublishingTheStateAndRecordsAreTheSame) {
  const std::vector<v1::Fact> facts = History(3'000);
  const Replay published = ApplyAll(rules_, facts);
  const Replay quiet = ApplyAll(rules_, facts, /*publish=*/false);
  EXPECT_FALSE(published.publications.empty());
  EXPECT_TRUE(quiet.publications.empty());
  EXPECT_TRUE(published.subjects == quiet.subjects);
  EXPECT_TRUE(published.hazards == quiet.hazards);
  EXPECT_TRUE(published.records == quiet.records);
  EXPECT_TRUE(published.exported == quiet.exported);
}

// The live applier's way: each batch loads what it touches from a store, and writes back only
// what TakeDirty() names. Every change the engine makes must be marked, or the stored state
// would drift from a replay's.
TEST_F(EngineTest, BatchesThroughAStoreOfDirtyObjectsEqualOneInMemoryRun) {
  const std::vector<v1::Fact> facts = History(6'000);
  std::map<std::string, v1::SubjectState> subjects;
  std::map<std::string, v1::HazardState> hazards;
  std::map<std::string, v1::BuildingState> buildings;
  std::map<std::string, absl::Time> due;
  MemoryState::Loader loader;
  loader.subject = [&](const std::string& id, v1::SubjectState* out) {
    auto it = subjects.find(id);
    if (it == subjects.end()) return false;
    *out = it->second;
    return true;
  };
  loader.hazard = [&](const std::string& id, v1::HazardState* out) {
    auto it = hazards.find(id);
    if (it == hazards.end()) return false;
    *out = it->second;
    return true;
  };
  loader.building = [&](const std::string& id, v1::BuildingState* out) {
    auto it = buildings.find(id);
    if (it == buildings.end()) return false;
    *out = it->second;
    return true;
  };
  loader.due = [&](absl::Time until) {
    std::vector<std::pair<std::string, absl::Time>> out;
    for (const auto& [id, t] : due) {
      if (t <= until) out.emplace_back(id, t);
    }
    return out;
  };
  MemoryState live(loader);
  std::vector<std::string> live_records;
  for (size_t i = 0; i < facts.size(); ++i) {
    Outcome o = Apply(rules_, ids_, facts[i], &live);
    for (const v1::LedgerRecord& r : o.records) live_records.push_back(r.SerializeAsString());
    for (const Publication& p : o.publications) {
      live_records.push_back(p.payload->SerializeAsString());  // SubjectRefs: notify subjects
    }
    if (i % 3 == 2 || i + 1 == facts.size()) {  // a batch ends: write back, forget
      MemoryState::Dirty d = live.TakeDirty();
      for (const std::string& id : d.subjects) subjects[id] = *live.FindSubject(id);
      for (const std::string& id : d.hazards) hazards[id] = *live.FindHazard(id);
      for (const std::string& id : d.buildings) buildings[id] = *live.FindBuilding(id);
      for (const auto& [id, t] : d.due) {
        if (t == absl::InfinitePast()) {
          due.erase(id);
        } else {
          due[id] = t;
        }
      }
      live.Clear();
    }
  }

  MemoryState whole;
  std::vector<std::string> whole_records;
  for (const v1::Fact& f : facts) {
    Outcome o = Apply(rules_, ids_, f, &whole);
    for (const v1::LedgerRecord& r : o.records) whole_records.push_back(r.SerializeAsString());
    for (const Publication& p : o.publications) {
      whole_records.push_back(p.payload->SerializeAsString());
    }
  }
  EXPECT_TRUE(live_records == whole_records);
  ASSERT_EQ(subjects.size(), whole.subjects().size());
  for (const auto& [id, s] : whole.subjects()) {
    EXPECT_EQ(subjects[id].SerializeAsString(), s.SerializeAsString()) << id;
  }
  ASSERT_EQ(hazards.size(), whole.hazards().size());
  for (const auto& [id, h] : whole.hazards()) {
    EXPECT_EQ(hazards[id].SerializeAsString(), h.SerializeAsString()) << id;
  }
  ASSERT_EQ(buildings.size(), whole.buildings().size());
  for (const auto& [id, b] : whole.buildings()) {
    EXPECT_EQ(buildings[id].SerializeAsString(), b.SerializeAsString()) << id;
  }
  std::vector<std::string> stored_due;
  for (const auto& [id, t] : due) stored_due.push_back(id);
  std::vector<std::string> whole_due = whole.DueEntries(absl::InfiniteFuture());
  std::sort(whole_due.begin(), whole_due.end());
  EXPECT_EQ(stored_due, whole_due);
}

TEST_F(EngineTest, EveryScoreIsBasePlusItsRecordsAndScoreAfterChains) {
  const Replay run = ApplyAll(rules_, History(10'000));
  std::map<v1::RecordKind, int> kinds;
  for (const auto& [id, bytes] : run.subjects) {
    v1::SubjectState s;
    ASSERT_TRUE(s.ParseFromString(bytes));
    int score = Base();
    int64_t seq = 0;
    auto it = run.ledgers.find(id);
    const std::vector<v1::LedgerRecord> none;
    for (const v1::LedgerRecord& r : it == run.ledgers.end() ? none : it->second) {
      ++kinds[r.kind()];
      EXPECT_EQ(r.seq(), ++seq) << id;
      EXPECT_EQ(r.record_id(), absl::StrCat(id, "#", seq));
      score += r.delta();
      ASSERT_EQ(r.score_after(), score) << r.DebugString();
      EXPECT_EQ(r.level_after(), rules_.LevelFor(score));
    }
    EXPECT_EQ(s.score(), score) << id;
    EXPECT_EQ(s.ledger_records(), seq) << id;
    EXPECT_EQ(s.level(), rules_.LevelFor(s.score())) << id;
  }
  // The history exercises the blacklist, not only scores.
  EXPECT_GT(kinds[v1::RECORD_KIND_BLACKLIST_PROPOSED], 0);
  EXPECT_GT(kinds[v1::RECORD_KIND_BLACKLIST_ACTIVE], 0);
  EXPECT_GT(kinds[v1::RECORD_KIND_BLACKLIST_OBJECTED], 0);
  EXPECT_GT(kinds[v1::RECORD_KIND_BLACKLIST_REPAIRED] + kinds[v1::RECORD_KIND_REPAIR_REFUSED], 0);
}

}  // namespace
}  // namespace firegrid::credit
