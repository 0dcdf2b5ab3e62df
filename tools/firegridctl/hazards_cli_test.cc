// `firegridctl hazards ...` against an in-process fake HazardService on port 0.
#include <sstream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/firegridctl/cli.h"
#include "tools/firegridctl/fake_building_service.h"
#include "tools/firegridctl/fake_hazard_service.h"

namespace firegrid::ctl {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

using ::testing::ElementsAre;
using testing::FakeBuildingService;
using testing::FakeHazardService;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;

class HazardsCliTest : public ::testing::Test {
 protected:
  HazardsCliTest() : server_(&service_) {
    buildings_.AddOrgUnit("500109001", "天生街道");
    buildings_.AddOrgUnit("500109002", "北温泉街道");
    RegisterAllCommands(&registry_);
    hv1::Hazard a;
    a.set_hazard_id("hzd_a");
    a.set_building_id("bld_1");
    a.set_building_name("缙云大厦");
    a.set_tier_path("500109001001");
    a.set_category(hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES);
    a.set_severity(hv1::SEVERITY_GENERAL);
    a.set_source(hv1::SOURCE_GRID_INSPECTION);
    a.set_status(hv1::STATUS_ASSIGNED);
    a.mutable_routing()->set_street("500109001");
    a.mutable_routing()->add_lead_departments("housing");
    a.mutable_routing()->add_lead_departments("fire_rescue");
    a.mutable_assignment()->set_responsible_party("缙云物业");
    a.mutable_assignment()->set_supervising_department("housing");
    a.mutable_assignment()->mutable_deadline()->set_seconds(1714924800);  // 2024-05-06, past
    auto* audit = a.add_audit();
    audit->set_actor("cw-500109001001");
    audit->set_role("community_worker");
    audit->set_action("report");
    audit->set_to(hv1::STATUS_REPORTED);
    a.set_version(3);
    service_.AddHazard(a);
    hv1::Hazard b;
    b.set_hazard_id("hzd_b");
    b.set_building_id("bld_2");
    b.set_category(hv1::HAZARD_CATEGORY_GAS_ELECTRICAL);
    b.set_severity(hv1::SEVERITY_MAJOR);
    b.set_status(hv1::STATUS_REPORTED);
    b.add_confirmations("so-500109001");
    b.set_version(2);
    service_.AddHazard(b);
  }

  // Runs firegridctl with FIREGRID_HAZARDS_ADDR pointing at the fake unless `env` sets it.
  int Run(std::vector<std::string> args, Context::Env env = {}) {
    out_.str("");
    err_.str("");
    if (!env.count("FIREGRID_HAZARDS_ADDR")) env["FIREGRID_HAZARDS_ADDR"] = server_.address();
    // The org units (names of streets and towns) come from the buildings service.
    if (!env.count("FIREGRID_ADDR")) env["FIREGRID_ADDR"] = buildings_server_.address();
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  Registry registry_;
  FakeHazardService service_;
  FakeServer server_;
  FakeBuildingService buildings_;
  FakeServer buildings_server_{&buildings_};
  std::ostringstream out_, err_;
};

TEST_F(HazardsCliTest, GroupWithoutSubcommandListsEveryHazardsCommand) {
  EXPECT_EQ(Run({"hazards"}), 2);
  for (const char* c : {"hazards report", "hazards list", "hazards verify", "hazards review",
                        "hazards recategorize", "hazards merge", "hazards unmerge",
                        "hazards guidance", "hazards stats"}) {
    EXPECT_THAT(err_.str(), HasSubstr(c));
  }
  EXPECT_THAT(err_.str(), Not(HasSubstr("buildings list")));
}

TEST_F(HazardsCliTest, ReportBuildsTheRequestFromItsFlags) {
  ASSERT_EQ(Run({"--token",
                 "t1",
                 "hazards",
                 "report",
                 "--building",
                 "bld_1",
                 "--category",
                 "fire_facility_fault",
                 "--severity",
                 "general",
                 "--source",
                 "public_tip_off",
                 "--description",
                 "烟感报警器损坏",
                 "--evidence",
                 "https://img.example/1.jpg",
                 "--evidence",
                 "sha256:" + std::string(64, 'a'),
                 "--idempotency-key",
                 "k1",
                 "--reporter-name",
                 "刘先生",
                 "--reporter-contact",
                 "13800000000"}),
            0)
      << err_.str();
  hv1::ReportHazardRequest req = service_.last<hv1::ReportHazardRequest>();
  EXPECT_EQ(req.building_id(), "bld_1");
  EXPECT_EQ(req.category(), hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  EXPECT_EQ(req.severity(), hv1::SEVERITY_GENERAL);
  EXPECT_EQ(req.source(), hv1::SOURCE_PUBLIC_TIP_OFF);
  EXPECT_EQ(req.description(), "烟感报警器损坏");
  ASSERT_EQ(req.evidence_size(), 2);
  EXPECT_EQ(req.evidence(0).uri(), "https://img.example/1.jpg");
  EXPECT_EQ(req.idempotency_key(), "k1");
  EXPECT_EQ(req.reporter().name(), "刘先生");
  EXPECT_EQ(req.reporter().contact(), "13800000000");
  EXPECT_FALSE(req.reporter().anonymous());
  EXPECT_EQ(service_.last_authorization(), "Bearer t1");
  EXPECT_THAT(out_.str(), HasSubstr("reported and routed"));
  EXPECT_THAT(out_.str(), HasSubstr("hzd_new"));
}

TEST_F(HazardsCliTest, AnonymousReportWithANameFailsBeforeAnyCall) {
  EXPECT_EQ(Run({"hazards", "report", "--building", "bld_1", "--category", "gas_electrical",
                 "--severity", "general", "--source", "public_tip_off", "--description", "x",
                 "--anonymous", "--reporter-name", "n"}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("INVALID_ARGUMENT: --anonymous"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(HazardsCliTest, ReportWithUnknownCategoryNamesTheFlagAndTheChoices) {
  EXPECT_EQ(Run({"hazards", "report", "--building", "bld_1", "--category", "flood", "--severity",
                 "general", "--source", "grid_inspection", "--description", "x"}),
            2);  // a usage error
  EXPECT_THAT(err_.str(), HasSubstr("--category: unknown HazardCategory \"flood\""));
  EXPECT_THAT(err_.str(), HasSubstr("fire_facility_fault"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(HazardsCliTest, ListAllPrintsOneRowPerHazardWithTheListColumns) {
  ASSERT_EQ(Run({"hazards", "list", "--all", "--wide"}), 0) << err_.str();
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  for (const char* h : {"ID", "BUILDING", "CATEGORY", "SEVERITY", "STATUS", "LEAD DEPARTMENTS",
                        "DEADLINE", "OVERDUE"}) {
    EXPECT_THAT(lines[0], HasSubstr(h));
  }
  EXPECT_THAT(lines[1], HasSubstr("hzd_a"));
  EXPECT_THAT(lines[1], HasSubstr("缙云大厦"));
  EXPECT_THAT(lines[1], HasSubstr("old_building_facilities"));
  // Departments by their names (config/departments.textproto), not their slugs.
  EXPECT_THAT(lines[1], HasSubstr("区住房城乡建委,区消防救援支队"));
  EXPECT_THAT(lines[1], HasSubstr("2024-05-06 00:00"));
  EXPECT_THAT(lines[1], ::testing::EndsWith("yes"));  // assigned and past its deadline
  EXPECT_THAT(lines[2], HasSubstr("bld_2"));          // no name: the id
  EXPECT_THAT(lines[2], HasSubstr("reported (1 confirmed)"));
  EXPECT_THAT(lines[2], Not(HasSubstr("yes")));
}

TEST_F(HazardsCliTest, ListWithoutAllShowsOnePageAndHowToContinue) {
  ASSERT_EQ(Run({"hazards", "list"}), 0);
  EXPECT_THAT(out_.str(), Not(HasSubstr("hzd_b")));
  EXPECT_THAT(err_.str(), HasSubstr("more: --page-token 1"));
}

TEST_F(HazardsCliTest, ListFiltersBecomeRequestFields) {
  ASSERT_EQ(Run({"hazards", "list", "--tier", "500109001", "--department", "fire_rescue",
                 "--status", "reported,verified", "--status", "closed", "--category",
                 "gas_electrical", "--overdue", "--building", "bld_9"}),
            0)
      << err_.str();
  hv1::ListHazardsRequest req = service_.last<hv1::ListHazardsRequest>();
  EXPECT_EQ(req.tier_path_prefix(), "500109001");
  EXPECT_EQ(req.department(), "fire_rescue");
  EXPECT_THAT(req.statuses(),
              ElementsAre(hv1::STATUS_REPORTED, hv1::STATUS_VERIFIED, hv1::STATUS_CLOSED));
  EXPECT_THAT(req.categories(), ElementsAre(hv1::HAZARD_CATEGORY_GAS_ELECTRICAL));
  ASSERT_TRUE(req.has_overdue());
  EXPECT_TRUE(req.overdue());
  EXPECT_EQ(req.building_id(), "bld_9");
  EXPECT_FALSE(req.include_duplicates());
}

TEST_F(HazardsCliTest, ListOverdueIsUnsetUnlessGivenAndCanBeFalse) {
  ASSERT_EQ(Run({"hazards", "list"}), 0);
  EXPECT_FALSE(service_.last<hv1::ListHazardsRequest>().has_overdue());
  ASSERT_EQ(Run({"hazards", "list", "--overdue=false"}), 0);
  hv1::ListHazardsRequest req = service_.last<hv1::ListHazardsRequest>();
  ASSERT_TRUE(req.has_overdue());
  EXPECT_FALSE(req.overdue());
}

TEST_F(HazardsCliTest, ListAsJsonPrintsTheResponse) {
  ASSERT_EQ(Run({"hazards", "list", "--all", "--output", "json"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"hazard_id\": \"hzd_b\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"status\": \"assigned\""));  // the spelling of --status
}

TEST_F(HazardsCliTest, GetShowsAssignmentAndAudit) {
  ASSERT_EQ(Run({"hazards", "get", "hzd_a"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("缙云大厦 (bld_1)"));
  EXPECT_THAT(out_.str(), HasSubstr("缙云物业"));
  EXPECT_THAT(out_.str(), HasSubstr("(overdue)"));
  EXPECT_THAT(out_.str(), HasSubstr("ACTION"));
  EXPECT_THAT(out_.str(), HasSubstr("cw-500109001001"));
}

TEST_F(HazardsCliTest, GetOfUnknownHazardPrintsTheServerError) {
  EXPECT_EQ(Run({"hazards", "get", "hzd_zz"}), 1);
  EXPECT_EQ(err_.str(), "error: NOT_FOUND: hazard hzd_zz not found\n");
}

TEST_F(HazardsCliTest, TransitionsNeedTheVersionRead) {
  EXPECT_EQ(Run({"hazards", "verify", "hzd_b"}), 2);  // missing --version: a usage error
  EXPECT_THAT(err_.str(), HasSubstr("missing --version"));
  EXPECT_EQ(service_.calls(), 0);
  EXPECT_EQ(Run({"hazards", "verify", "hzd_b", "--version", "1"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("ABORTED"));
  ASSERT_EQ(Run({"hazards", "verify", "hzd_b", "--version", "2", "--note", "现场核实"}), 0);
  hv1::VerifyHazardRequest req = service_.last<hv1::VerifyHazardRequest>();
  EXPECT_EQ(req.hazard_id(), "hzd_b");
  EXPECT_EQ(req.expected_version(), 2);
  EXPECT_EQ(req.note(), "现场核实");
  EXPECT_THAT(out_.str(), HasSubstr("version:"));
}

TEST_F(HazardsCliTest, VerifyAndAssignNameTheLiablePartyByRoleNameAndCode) {
  ASSERT_EQ(Run({"hazards", "verify", "hzd_b", "--version", "2", "--liable",
                 "occupant:张三:11010519491231002x"}),
            0)
      << err_.str();
  const auto person = service_.last<hv1::VerifyHazardRequest>().liable_party();
  EXPECT_EQ(person.role(), ::firegrid::subjects::v1::PARTY_ROLE_OCCUPANT);
  EXPECT_EQ(person.name(), "张三");
  EXPECT_EQ(person.person_id(), "11010519491231002x");  // the service normalises it
  EXPECT_TRUE(person.credit_code().empty());

  ASSERT_EQ(Run({"hazards", "assign", "hzd_a", "--version", "3", "--responsible-party", "P",
                 "--liable", "maintenance_agency:某公司:检测部:91350100M000100Y43"}),
            0)
      << err_.str();
  const auto agency = service_.last<hv1::AssignHazardRequest>().liable_party();
  EXPECT_EQ(agency.role(), ::firegrid::subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY);
  EXPECT_EQ(agency.name(), "某公司:检测部");
  EXPECT_EQ(agency.credit_code(), "91350100M000100Y43");
  EXPECT_TRUE(agency.person_id().empty());

  // Neither a credit code nor an identity number: sent as a credit code for the service to
  // refuse, naming liable_party.credit_code.
  ASSERT_EQ(Run({"hazards", "assign", "hzd_a", "--version", "3", "--responsible-party", "P",
                 "--liable", "management_unit:某物业:123"}),
            0);
  EXPECT_EQ(service_.last<hv1::AssignHazardRequest>().liable_party().credit_code(), "123");

  // Without --liable the request names none.
  ASSERT_EQ(Run({"hazards", "verify", "hzd_b", "--version", "2"}), 0);
  EXPECT_FALSE(service_.last<hv1::VerifyHazardRequest>().has_liable_party());
}

TEST_F(HazardsCliTest, AMalformedLiableFlagIsAUsageErrorBeforeAnyCall) {
  const int before = service_.calls();
  for (const char* bad : {"occupant:张三", "landlord:张三:11010519491231002X",
                          "owner::11010519491231002X", "owner:张三:"}) {
    EXPECT_EQ(Run({"hazards", "verify", "hzd_b", "--version", "2", "--liable", bad}), 2) << bad;
    EXPECT_THAT(err_.str(), HasSubstr("--liable")) << bad;
  }
  EXPECT_EQ(service_.calls(), before);
}

TEST_F(HazardsCliTest, GetShowsTheLiableParty) {
  hv1::Hazard h;
  h.set_hazard_id("hzd_l");
  h.set_status(hv1::STATUS_VERIFIED);
  h.set_version(4);
  auto* p = h.mutable_liable_party();
  p->set_role(::firegrid::subjects::v1::PARTY_ROLE_OCCUPANT);
  p->set_name("张三");
  p->set_person_id("110105********002X");
  service_.AddHazard(h);
  ASSERT_EQ(Run({"hazards", "get", "hzd_l"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("liable party"));
  EXPECT_THAT(out_.str(), HasSubstr("张三 (occupant, 110105********002X)"));
  ASSERT_EQ(Run({"hazards", "get", "hzd_a"}), 0);
  EXPECT_THAT(out_.str(), Not(HasSubstr("liable party")));
}

TEST_F(HazardsCliTest, RejectNeedsAReason) {
  EXPECT_EQ(Run({"hazards", "reject", "hzd_b", "--version", "2"}),
            2);  // missing --reason: a usage error
  EXPECT_THAT(err_.str(), HasSubstr("missing --reason"));
  ASSERT_EQ(Run({"hazards", "reject", "hzd_b", "--version", "2", "--reason", "不属实"}), 0);
  EXPECT_EQ(service_.last<hv1::RejectHazardRequest>().reason(), "不属实");
}

TEST_F(HazardsCliTest, AssignTakesTheDeadlineInChinaTime) {
  ASSERT_EQ(Run({"hazards", "assign", "hzd_a", "--version", "3", "--responsible-party", "缙云物业",
                 "--responsible-subject", "mgr_1", "--supervising-department", "housing",
                 "--deadline", "2025-07-01T14:30", "--note", "限期整改"}),
            0)
      << err_.str();
  hv1::AssignHazardRequest req = service_.last<hv1::AssignHazardRequest>();
  EXPECT_EQ(req.responsible_party(), "缙云物业");
  EXPECT_EQ(req.responsible_subject(), "mgr_1");
  EXPECT_EQ(req.supervising_department(), "housing");
  EXPECT_EQ(req.deadline().seconds(), 1751351400);  // 2025-07-01 14:30 +08:00
  EXPECT_EQ(req.note(), "限期整改");
  // A date alone is the end of that day.
  ASSERT_EQ(Run({"hazards", "assign", "hzd_a", "--version", "3", "--responsible-party", "P",
                 "--deadline", "2025-07-01"}),
            0);
  EXPECT_EQ(service_.last<hv1::AssignHazardRequest>().deadline().seconds(), 1751385599);
  EXPECT_EQ(Run({"hazards", "assign", "hzd_a", "--version", "3", "--responsible-party", "P",
                 "--deadline", "next week"}),
            2);  // a usage error
  EXPECT_THAT(err_.str(), HasSubstr("--deadline: want YYYY-MM-DD"));
}

TEST_F(HazardsCliTest, AssignWithoutDeadlineLeavesItToTheService) {
  ASSERT_EQ(Run({"hazards", "assign", "hzd_a", "--version", "3", "--responsible-party", "P"}), 0);
  EXPECT_FALSE(service_.last<hv1::AssignHazardRequest>().has_deadline());
  EXPECT_TRUE(service_.last<hv1::AssignHazardRequest>().supervising_department().empty());
}

TEST_F(HazardsCliTest, SubmitNeedsEvidence) {
  EXPECT_EQ(Run({"hazards", "submit", "hzd_a", "--version", "3"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--evidence: at least one"));
  EXPECT_EQ(service_.calls(), 0);
  ASSERT_EQ(Run({"hazards", "submit", "hzd_a", "--version", "3", "--evidence",
                 "https://img.example/after.jpg", "--note", "已更换"}),
            0);
  hv1::SubmitRectificationRequest req = service_.last<hv1::SubmitRectificationRequest>();
  ASSERT_EQ(req.evidence_size(), 1);
  EXPECT_EQ(req.evidence(0).uri(), "https://img.example/after.jpg");
  EXPECT_EQ(req.note(), "已更换");
}

TEST_F(HazardsCliTest, StartSendsIdVersionAndNote) {
  ASSERT_EQ(Run({"hazards", "start", "hzd_a", "--version", "3", "--note", "开工"}), 0);
  hv1::StartRectificationRequest req = service_.last<hv1::StartRectificationRequest>();
  EXPECT_EQ(req.hazard_id(), "hzd_a");
  EXPECT_EQ(req.expected_version(), 3);
  EXPECT_EQ(req.note(), "开工");
}

TEST_F(HazardsCliTest, ReviewTakesExactlyOneVerdictAndAFailureNeedsANote) {
  EXPECT_EQ(Run({"hazards", "review", "hzd_a", "--version", "3"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("exactly one of --passed, --failed"));
  EXPECT_EQ(Run({"hazards", "review", "hzd_a", "--version", "3", "--passed", "--failed"}), 1);
  EXPECT_EQ(Run({"hazards", "review", "hzd_a", "--version", "3", "--failed"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--note"));
  EXPECT_EQ(service_.calls(), 0);
  ASSERT_EQ(Run({"hazards", "review", "hzd_a", "--version", "3", "--failed", "--note", "仍漏水"}),
            0);
  EXPECT_FALSE(service_.last<hv1::ReviewRectificationRequest>().passed());
  ASSERT_EQ(Run({"hazards", "review", "hzd_a", "--version", "3", "--passed"}), 0);
  EXPECT_TRUE(service_.last<hv1::ReviewRectificationRequest>().passed());
}

TEST_F(HazardsCliTest, RecategorizeMergeAndUnmergeBuildTheirRequests) {
  ASSERT_EQ(
      Run({"hazards", "recategorize", "hzd_a", "--version", "3", "--category", "gas_electrical"}),
      0)
      << err_.str();
  EXPECT_EQ(service_.last<hv1::ChangeCategoryRequest>().category(),
            hv1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  ASSERT_EQ(Run({"hazards", "merge", "hzd_b", "--into", "hzd_a"}), 0);
  EXPECT_EQ(service_.last<hv1::MergeHazardsRequest>().target_hazard_id(), "hzd_a");
  EXPECT_THAT(out_.str(), HasSubstr("duplicate of:"));
  EXPECT_EQ(Run({"hazards", "merge", "hzd_b"}), 2);  // missing --into: a usage error
  EXPECT_THAT(err_.str(), HasSubstr("missing --into"));
  ASSERT_EQ(Run({"hazards", "unmerge", "hzd_b"}), 0);
  EXPECT_EQ(service_.last<hv1::UnmergeHazardRequest>().hazard_id(), "hzd_b");
}

TEST_F(HazardsCliTest, GuidanceListsEveryCategoryOrShowsOneWithItsSteps) {
  ASSERT_EQ(Run({"hazards", "guidance"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("evacuation_blocked"));
  EXPECT_THAT(out_.str(), HasSubstr("疏散通道堵塞"));
  ASSERT_EQ(Run({"hazards", "guidance", "fire_facility_fault"}), 0) << err_.str();
  EXPECT_EQ(service_.last<hv1::GetGuidanceRequest>().category(),
            hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  EXPECT_THAT(out_.str(), HasSubstr("  1. 通知维保单位检修\n  2. 复查\n"));
  EXPECT_THAT(out_.str(), HasSubstr("  - 《消防法》第十六条"));
  EXPECT_EQ(Run({"hazards", "guidance", "flood"}), 2);  // a usage error
  EXPECT_THAT(err_.str(), HasSubstr("--category: unknown HazardCategory"));
}

TEST_F(HazardsCliTest, StatsPrintsTiersWithTotalAndDepartments) {
  ASSERT_EQ(Run({"hazards", "stats", "--tier", "500109"}), 0) << err_.str();
  EXPECT_EQ(service_.last<hv1::GetStatisticsRequest>().tier_path(), "500109");
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 7u) << out_.str();
  EXPECT_THAT(lines[1], HasSubstr("RECTIFIED"));
  EXPECT_THAT(lines[2], HasSubstr("500109001"));
  EXPECT_THAT(lines[2], HasSubstr("25%"));
  EXPECT_THAT(lines[4], HasSubstr("total"));
  EXPECT_THAT(lines[5], HasSubstr("DEPARTMENT"));
  EXPECT_THAT(lines[6], HasSubstr("区消防救援支队 (fire_rescue)"));
}

TEST_F(HazardsCliTest, ListAndStatsShowStreetsAndTownsByTheirOrgUnitNames) {
  ASSERT_EQ(Run({"hazards", "list", "--all"}), 0) << err_.str();
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << out_.str();
  EXPECT_THAT(lines[0], HasSubstr("STREET / TOWN"));
  EXPECT_THAT(lines[1], HasSubstr("天生街道"));
  ASSERT_EQ(Run({"hazards", "stats", "--tier", "500109"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("天生街道 (500109001)"));
  EXPECT_THAT(out_.str(), HasSubstr("北温泉街道 (500109002)"));
}

TEST_F(HazardsCliTest, StatsShowTheCodesAloneWhenTheOrgUnitsCannotBeAsked) {
  ASSERT_EQ(Run({"hazards", "stats", "--tier", "500109"}, {{"FIREGRID_ADDR", "127.0.0.1:1"}}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("500109001"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("天生街道")));
}

TEST_F(HazardsCliTest, StatsShowsADashNotAHundredPercentWhenNothingIsOpenOrClosed) {
  ASSERT_EQ(Run({"hazards", "stats", "--tier", "500109"}), 0) << err_.str();
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 4u) << out_.str();
  EXPECT_THAT(lines[3], HasSubstr("500109002"));
  EXPECT_THAT(lines[3], HasSubstr("—"));
  EXPECT_THAT(lines[3], Not(HasSubstr("%")));
}

TEST_F(HazardsCliTest, StatsNamesTheReportedColumnAwaitingVerification) {
  ASSERT_EQ(Run({"hazards", "stats", "--tier", "500109"}), 0) << err_.str();
  std::vector<std::string> lines = absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << out_.str();
  EXPECT_THAT(lines[1], HasSubstr("AWAITING VERIFICATION"));
  EXPECT_THAT(lines[1], Not(HasSubstr("REPORTED")));
}

TEST_F(HazardsCliTest, HazardsCommandsUseTheHazardsAddressNotTheBuildingsOne) {
  // FIREGRID_ADDR names the (fake) hazards server, FIREGRID_HAZARDS_ADDR a dead port: the
  // hazards command must go to the dead port and fail without reaching the fake.
  EXPECT_EQ(Run({"hazards", "get", "hzd_a", "--timeout", "300ms"},
                {{"FIREGRID_ADDR", server_.address()}, {"FIREGRID_HAZARDS_ADDR", "127.0.0.1:1"}}),
            1);
  EXPECT_EQ(service_.calls(), 0);
  // --addr beats the environment.
  ASSERT_EQ(Run({"hazards", "get", "hzd_a", "--addr", server_.address()},
                {{"FIREGRID_HAZARDS_ADDR", "127.0.0.1:1"}}),
            0);
}

TEST_F(HazardsCliTest, BuildingsCommandsKeepUsingFiregridAddr) {
  FakeBuildingService buildings;
  FakeServer buildings_server(&buildings);
  bv1::Building b;
  b.set_building_id("bld_1");
  b.set_name("北泉公寓");
  buildings.AddBuilding(b);
  ASSERT_EQ(Run({"buildings", "get", "bld_1"}, {{"FIREGRID_ADDR", buildings_server.address()}}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("北泉公寓"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(HazardsCliTest, CallGoesToTheServiceThatOwnsTheMethod) {
  ASSERT_EQ(Run({"call", "firegrid.hazards.v1.HazardService/ListGuidance", "{}"},
                {{"FIREGRID_ADDR", "127.0.0.1:1"}}),
            0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"title\": \"疏散通道堵塞\""));
  EXPECT_EQ(service_.calls(), 1);
}

TEST_F(HazardsCliTest, MethodsListsTheHazardsApi) {
  ASSERT_EQ(Run({"methods", "firegrid.hazards.v1.HazardService"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("firegrid.hazards.v1.HazardService/ReportHazard"));
  EXPECT_THAT(out_.str(), HasSubstr("firegrid.hazards.v1.HazardService/GetStatistics"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("BuildingService")));
}

}  // namespace
}  // namespace firegrid::ctl
