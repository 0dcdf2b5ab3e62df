// `firegridctl credit ...` against an in-process fake CreditService on port 0.
#include <sstream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/firegridctl/cli.h"
#include "tools/firegridctl/fake_building_service.h"
#include "tools/firegridctl/fake_credit_service.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace cv1 = ::firegrid::credit::v1;
namespace sv1 = ::firegrid::subjects::v1;

using ::testing::ElementsAre;
using testing::FakeCreditService;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAgency[] = "org:91500109MA5U5T9X8G";

class CreditCliTest : public ::testing::Test {
 protected:
  CreditCliTest() : server_(&service_) { RegisterAllCommands(&registry_); }

  // Runs firegridctl with FIREGRID_CREDIT_ADDR pointing at the fake unless `env` sets it.
  int Run(std::vector<std::string> args, Context::Env env = {}) {
    out_.str("");
    err_.str("");
    if (!env.count("FIREGRID_CREDIT_ADDR")) env["FIREGRID_CREDIT_ADDR"] = server_.address();
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  // Every line of the output fits `width` display cells.
  void ExpectLinesFit(size_t width) {
    for (absl::string_view line : absl::StrSplit(out_.str(), '\n')) {
      EXPECT_LE(DisplayWidth(line), width) << line;
    }
  }

  Registry registry_;
  FakeCreditService service_;
  FakeServer server_;
  std::ostringstream out_, err_;
};

cv1::Profile AgencyProfile() {
  cv1::Profile p;
  cv1::Subject* s = p.mutable_subject();
  s->set_subject_id(kAgency);
  s->set_type(sv1::SUBJECT_TYPE_SERVICE_AGENCY);
  s->set_name("重庆某某消防技术服务有限公司");
  s->set_credit_code("91500109MA5U5T9X8G");
  s->add_account_subjects("agency-7");
  cv1::BuildingLink* b = s->add_buildings();
  b->set_building_id("bld_1");
  b->set_building_name("缙云大厦");
  b->set_tier_path("500109001002");
  b->set_role(sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  p.set_score(52);
  p.set_level(cv1::LEVEL_D);
  p.set_blacklisted(true);
  p.set_rules_version("2026.1");
  p.set_ledger_records(9);
  p.mutable_updated_at()->set_seconds(1797760800);  // 2026-12-20 18:00 +08:00
  cv1::BlacklistEntry* e = p.add_blacklist();
  e->set_entry_id(std::string(kAgency) + "#bl1");
  e->set_subject_id(kAgency);
  e->set_subject_name(s->name());
  e->set_state(cv1::BLACKLIST_STATE_ACTIVE);
  e->set_reason("出具虚假检测报告，情节严重，多次被查处且拒不整改，造成重大安全隐患长期存在");
  e->set_legal_basis("《中华人民共和国消防法》第六十九条");
  e->mutable_proposed_at()->set_seconds(1796464800);
  e->mutable_objection_deadline()->set_seconds(1797069600);
  e->mutable_effective_at()->set_seconds(1797069600);
  e->mutable_expires_at()->set_seconds(1828605600);
  return p;
}

TEST_F(CreditCliTest, GroupWithoutSubcommandListsEveryCreditCommand) {
  EXPECT_EQ(Run({"credit"}), 2);
  for (const char* c :
       {"credit profile", "credit ledger", "credit ranking", "credit record", "credit register",
        "credit blacklist list", "credit blacklist propose", "credit blacklist object",
        "credit blacklist review", "credit blacklist repair", "credit blacklist repair-review",
        "credit export", "credit rules"}) {
    EXPECT_THAT(err_.str(), HasSubstr(c));
  }
  EXPECT_THAT(err_.str(), Not(HasSubstr("hazards list")));
}

TEST_F(CreditCliTest, CreditCommandsGoToTheCreditAddressByDefault) {
  // No FIREGRID_CREDIT_ADDR: 127.0.0.1:50054, where nothing listens in the test.
  EXPECT_EQ(Run({"credit", "rules", "--timeout", "2s"}, {{"FIREGRID_CREDIT_ADDR", ""}}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(service_.calls(), 0);
  // Elsewhere through --addr; the environment's address otherwise.
  EXPECT_EQ(Run({"credit", "rules", "--addr", server_.address()}, {{"FIREGRID_CREDIT_ADDR", ""}}),
            0)
      << err_.str();
  EXPECT_EQ(service_.calls(), 1);
}

TEST_F(CreditCliTest, ProfileShowsScoreLevelBuildingsAndBlacklistInChinaTime) {
  service_.SetProfile(AgencyProfile());
  ASSERT_EQ(Run({"--token", "t1", "credit", "profile", kAgency}), 0) << err_.str();
  EXPECT_EQ(service_.last<cv1::GetProfileRequest>().subject_id(), kAgency);
  EXPECT_EQ(service_.last_authorization(), "Bearer t1");
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("重庆某某消防技术服务有限公司"));
  EXPECT_THAT(out, HasSubstr("service_agency"));
  EXPECT_THAT(out, HasSubstr("91500109MA5U5T9X8G"));
  EXPECT_THAT(out, HasSubstr("52"));
  EXPECT_THAT(out, HasSubstr("level:"));
  EXPECT_THAT(out, HasSubstr("2026-12-20 18:00 +08:00"));
  EXPECT_THAT(out, HasSubstr("缙云大厦"));
  EXPECT_THAT(out, HasSubstr("maintenance_agency"));
  EXPECT_THAT(out, HasSubstr("#bl1"));
  EXPECT_THAT(out, HasSubstr("active"));
  ExpectLinesFit(kTableWidth);
  // --wide shows the long reason whole and the legal basis column.
  ASSERT_EQ(Run({"credit", "profile", kAgency, "--wide"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("造成重大安全隐患长期存在"));
  EXPECT_THAT(out_.str(), HasSubstr("LEGAL BASIS"));
}

TEST_F(CreditCliTest, JsonOutputSpellsEnumsAsTheFlagsDo) {
  service_.SetProfile(AgencyProfile());
  ASSERT_EQ(Run({"credit", "profile", kAgency, "--output", "json"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"level\": \"level_d\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"type\": \"service_agency\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"state\": \"active\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"updated_at\": \"2026-12-20T10:00:00Z\""));
}

TEST_F(CreditCliTest, UnknownSubjectIsTheServersNotFoundAndExitsOne) {
  service_.SetProfile(AgencyProfile());
  EXPECT_EQ(Run({"credit", "profile", "org:nobody"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("error: NOT_FOUND"));
}

TEST_F(CreditCliTest, LedgerPassesPagingAndShowsEachChangeWithItsCause) {
  cv1::ListLedgerResponse l;
  cv1::LedgerRecord* r = l.add_records();
  r->set_record_id(std::string(kAgency) + "#9");
  r->set_seq(9);
  r->set_kind(cv1::RECORD_KIND_SCORE);
  r->set_rule_id("hazard.overdue");
  r->set_rules_version("2026.1");
  r->mutable_cause()->set_kind("hazard.overdue");
  r->mutable_cause()->set_hazard_id("hzd_1");
  r->mutable_cause()->set_description("隐患逾期未整改");
  r->set_delta(-8);
  r->set_score_after(52);
  r->set_level_after(cv1::LEVEL_D);
  r->mutable_at()->set_seconds(1797760800);
  l.set_next_page_token("p2");
  service_.SetLedger(l);
  ASSERT_EQ(Run({"credit", "ledger", kAgency, "--page-size", "20", "--page-token", "p1"}), 0)
      << err_.str();
  cv1::ListLedgerRequest req = service_.last<cv1::ListLedgerRequest>();
  EXPECT_EQ(req.subject_id(), kAgency);
  EXPECT_EQ(req.page_size(), 20);
  EXPECT_EQ(req.page_token(), "p1");
  EXPECT_THAT(out_.str(), HasSubstr("hazard.overdue hzd_1 隐患逾期未整改"));
  EXPECT_THAT(out_.str(), HasSubstr("-8"));
  EXPECT_THAT(out_.str(), HasSubstr("2026-12-20 18:00 +08:00"));
  EXPECT_THAT(err_.str(), HasSubstr("more: --page-token p2"));
  ExpectLinesFit(kTableWidth);
}

TEST_F(CreditCliTest, LedgerAllFollowsEveryPageIntoOneTable) {
  cv1::ListLedgerResponse first;
  first.add_records()->set_record_id("org:x#3");
  first.set_next_page_token("p2");
  cv1::ListLedgerResponse second;
  second.add_records()->set_record_id("org:x#2");
  second.add_records()->set_record_id("org:x#1");
  service_.SetLedger(first);
  service_.SetLedgerPage("p2", second);
  ASSERT_EQ(Run({"credit", "ledger", "org:x", "--all", "--output", "json"}), 0) << err_.str();
  EXPECT_EQ(service_.calls(), 2);
  EXPECT_EQ(service_.last<cv1::ListLedgerRequest>().page_token(), "p2");
  const std::string out = out_.str();
  const size_t a = out.find("org:x#3"), b = out.find("org:x#2"), c = out.find("org:x#1");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_THAT(out, HasSubstr("\"next_page_token\": \"\""));
  // Without --all: the first page and how to continue.
  ASSERT_EQ(Run({"credit", "ledger", "org:x"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), Not(HasSubstr("org:x#2")));
  EXPECT_THAT(err_.str(), HasSubstr("more: --page-token p2 (or --all)"));
}

TEST_F(CreditCliTest, PageSizeOutOfRangeIsAUsageErrorBeforeAnyCall) {
  EXPECT_EQ(Run({"credit", "ledger", kAgency, "--page-size", "501"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--page-size: between 1 and 500"));
  EXPECT_EQ(Run({"credit", "export", "--limit", "0"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--limit: between 1 and 5000"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(CreditCliTest, RankingNeedsATypeAndPassesTierAndOrder) {
  EXPECT_EQ(Run({"credit", "ranking", "--tier", "500109001"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing --type"));
  EXPECT_EQ(Run({"credit", "ranking", "--type", "landlord"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--type"));
  EXPECT_THAT(err_.str(), HasSubstr("service_agency"));
  EXPECT_EQ(service_.calls(), 0);

  cv1::ListRankingResponse r;
  cv1::RankedSubject* s = r.add_subjects();
  s->set_rank(1);
  s->set_subject_id(kAgency);
  s->set_name("重庆某某消防技术服务有限公司");
  s->set_score(52);
  s->set_level(cv1::LEVEL_D);
  s->set_blacklisted(true);
  r.set_total(12);
  service_.SetRanking(r);
  ASSERT_EQ(
      Run({"credit", "ranking", "--type", "service_agency", "--tier", "500109001", "--worst"}), 0)
      << err_.str();
  cv1::ListRankingRequest req = service_.last<cv1::ListRankingRequest>();
  EXPECT_EQ(req.type(), sv1::SUBJECT_TYPE_SERVICE_AGENCY);
  EXPECT_EQ(req.tier_path(), "500109001");
  EXPECT_TRUE(req.worst_first());
  EXPECT_THAT(out_.str(), HasSubstr("RANK"));
  EXPECT_THAT(out_.str(), HasSubstr(kAgency));
  EXPECT_THAT(err_.str(), HasSubstr("12 subjects"));
}

TEST_F(CreditCliTest, RecordBuildsTheManualRequestFromItsFlags) {
  ASSERT_EQ(Run({"credit", "record", kAgency, "--rule", "violation.false_inspection_report",
                 "--reason", "检测报告与现场不符", "--legal-basis", "《消防法》第六十九条",
                 "--building", "bld_1", "--evidence", "https://img.example/1.jpg", "--at",
                 "2026-12-01T09:30", "--request-id", "r-1"}),
            0)
      << err_.str();
  cv1::RecordManualRequest req = service_.last<cv1::RecordManualRequest>();
  EXPECT_EQ(req.subject_id(), kAgency);
  EXPECT_EQ(req.rule_id(), "violation.false_inspection_report");
  EXPECT_EQ(req.reason(), "检测报告与现场不符");
  EXPECT_EQ(req.legal_basis(), "《消防法》第六十九条");
  EXPECT_EQ(req.building_id(), "bld_1");
  EXPECT_THAT(req.evidence(), ElementsAre("https://img.example/1.jpg"));
  // 09:30 China Standard Time = 01:30 UTC.
  EXPECT_EQ(req.occurred_at().seconds(), 1796088600);
  EXPECT_EQ(req.request_id(), "r-1");
  EXPECT_THAT(out_.str(), HasSubstr("#7"));
  EXPECT_THAT(out_.str(), HasSubstr("-10"));
}

TEST_F(CreditCliTest, RecordWithoutReasonOrLegalBasisIsRefusedBeforeAnyCall) {
  EXPECT_EQ(Run({"credit", "record", kAgency, "--rule", "credit.drill", "--legal-basis", "x"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing --reason"));
  EXPECT_EQ(Run({"credit", "record", kAgency, "--rule", "credit.drill", "--reason", "  ",
                 "--legal-basis", "x"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--reason: must not be empty"));
  EXPECT_EQ(Run({"credit", "record", kAgency, "--rule", "credit.drill", "--reason", "r"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing --legal-basis"));
  EXPECT_EQ(Run({"credit", "record", kAgency, "--rule", "credit.drill", "--reason", "r",
                 "--legal-basis", "x", "--at", "yesterday"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--at: want YYYY-MM-DD"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(CreditCliTest, RegisterTakesExactlyOneOfCodeAndPersonId) {
  EXPECT_EQ(Run({"credit", "register", "--role", "owner", "--name", "张三"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("exactly one of --code"));
  EXPECT_EQ(Run({"credit", "register", "--role", "owner", "--name", "张三", "--code",
                 "91500109MA5U5T9X8G", "--person-id", "500109199001011230"}),
            2);
  EXPECT_EQ(Run({"credit", "register", "--role", "landlord", "--name", "张三", "--code", "x"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--role"));
  EXPECT_EQ(service_.calls(), 0);

  ASSERT_EQ(Run({"credit", "register", "--role", "maintenance_agency", "--name", "某消防公司",
                 "--code", "91500109MA5U5T9X8G", "--account", "agency-7", "--building", "bld_1"}),
            0)
      << err_.str();
  cv1::RegisterSubjectRequest req = service_.last<cv1::RegisterSubjectRequest>();
  EXPECT_EQ(req.party().role(), sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  EXPECT_EQ(req.party().name(), "某消防公司");
  EXPECT_EQ(req.party().credit_code(), "91500109MA5U5T9X8G");
  EXPECT_EQ(req.party().person_id(), "");
  EXPECT_EQ(req.party().account_subject(), "agency-7");
  EXPECT_EQ(req.building_id(), "bld_1");
  EXPECT_THAT(out_.str(), HasSubstr(kAgency));

  ASSERT_EQ(Run({"credit", "register", "--role", "occupant", "--name", "张三", "--person-id",
                 "500109199001011230"}),
            0)
      << err_.str();
  EXPECT_EQ(service_.last<cv1::RegisterSubjectRequest>().party().person_id(), "500109199001011230");
  EXPECT_THAT(out_.str(), HasSubstr("500109********1230"));
}

TEST_F(CreditCliTest, BlacklistLifecycleCommandsSendTheirRequests) {
  ASSERT_EQ(Run({"credit", "blacklist", "propose", kAgency, "--reason", "虚假报告", "--legal-basis",
                 "第六十九条", "--days", "180", "--request-id", "p-1"}),
            0)
      << err_.str();
  cv1::ProposeBlacklistRequest p = service_.last<cv1::ProposeBlacklistRequest>();
  EXPECT_EQ(p.subject_id(), kAgency);
  EXPECT_EQ(p.reason(), "虚假报告");
  EXPECT_EQ(p.legal_basis(), "第六十九条");
  EXPECT_EQ(p.duration_days(), 180);
  EXPECT_EQ(p.request_id(), "p-1");
  EXPECT_THAT(out_.str(), HasSubstr("proposed"));

  const std::string entry = std::string(kAgency) + "#bl1";
  ASSERT_EQ(Run({"credit", "blacklist", "object", entry, "--text", "报告属实"}), 0) << err_.str();
  EXPECT_EQ(service_.last<cv1::FileObjectionRequest>().entry_id(), entry);
  EXPECT_EQ(service_.last<cv1::FileObjectionRequest>().text(), "报告属实");
  EXPECT_THAT(out_.str(), HasSubstr("objected"));

  ASSERT_EQ(Run({"credit", "blacklist", "review", entry, "--dismissed", "--note", "异议不成立"}), 0)
      << err_.str();
  EXPECT_FALSE(service_.last<cv1::ReviewObjectionRequest>().upheld());
  EXPECT_EQ(service_.last<cv1::ReviewObjectionRequest>().note(), "异议不成立");
  EXPECT_THAT(out_.str(), HasSubstr("active"));

  ASSERT_EQ(Run({"credit", "blacklist", "repair", entry, "--statement", "已整改", "--evidence",
                 "sha256:" + std::string(64, 'a')}),
            0)
      << err_.str();
  EXPECT_EQ(service_.last<cv1::RequestRepairRequest>().statement(), "已整改");
  EXPECT_EQ(service_.last<cv1::RequestRepairRequest>().evidence_size(), 1);

  ASSERT_EQ(Run({"credit", "blacklist", "repair-review", entry, "--approved", "--note", "同意"}), 0)
      << err_.str();
  EXPECT_TRUE(service_.last<cv1::ReviewRepairRequest>().approved());
  EXPECT_THAT(out_.str(), HasSubstr("repaired"));
}

TEST_F(CreditCliTest, BlacklistDecisionsNeedExactlyOneVerdictANoteAndRepairEvidence) {
  const std::string entry = std::string(kAgency) + "#bl1";
  EXPECT_EQ(Run({"credit", "blacklist", "review", entry, "--note", "n"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("exactly one of --upheld, --dismissed"));
  EXPECT_EQ(Run({"credit", "blacklist", "review", entry, "--upheld", "--dismissed", "--note", "n"}),
            2);
  EXPECT_EQ(Run({"credit", "blacklist", "review", entry, "--upheld"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing --note"));
  EXPECT_EQ(Run({"credit", "blacklist", "repair-review", entry, "--note", "n"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("exactly one of --approved, --refused"));
  EXPECT_EQ(Run({"credit", "blacklist", "repair", entry, "--statement", "已整改"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--evidence: at least one"));
  EXPECT_EQ(Run({"credit", "blacklist", "object", entry}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("missing --text"));
  EXPECT_EQ(Run({"credit", "blacklist", "propose", kAgency, "--reason", "r", "--legal-basis", "l",
                 "--days", "0"}),
            2);
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(CreditCliTest, BlacklistListFiltersByStateAndFitsTheTerminal) {
  cv1::ListBlacklistResponse b;
  *b.add_entries() = AgencyProfile().blacklist(0);
  service_.SetBlacklist(b);
  ASSERT_EQ(Run({"credit", "blacklist", "list", "--tier", "500109", "--state", "active,expired",
                 "--state", "repaired"}),
            0)
      << err_.str();
  cv1::ListBlacklistRequest req = service_.last<cv1::ListBlacklistRequest>();
  EXPECT_EQ(req.tier_path(), "500109");
  EXPECT_THAT(req.states(), ElementsAre(cv1::BLACKLIST_STATE_ACTIVE, cv1::BLACKLIST_STATE_EXPIRED,
                                        cv1::BLACKLIST_STATE_REPAIRED));
  EXPECT_THAT(out_.str(), HasSubstr("#bl1"));
  EXPECT_THAT(out_.str(), HasSubstr("2027-"));
  ExpectLinesFit(kTableWidth);
  EXPECT_EQ(Run({"credit", "blacklist", "list", "--state", "pending"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--state"));
}

cv1::ExportRecord ExportRecordNumbered(int i) {
  cv1::ExportRecord r;
  r.set_record_id("exp-" + std::to_string(i));
  r.set_subject_id(kAgency);
  return r;
}

TEST_F(CreditCliTest, ExportPrintsOnlyTheRecordsOnStdoutAndTheNextCursorOnStderr) {
  for (int i = 0; i < 3; ++i) service_.AddExport(ExportRecordNumbered(i));
  ASSERT_EQ(Run({"credit", "export", "--limit", "2"}), 0) << err_.str();
  EXPECT_EQ(service_.last<cv1::ExportRequest>().limit(), 2);
  EXPECT_EQ(service_.last<cv1::ExportRequest>().format(), cv1::EXPORT_FORMAT_JSONL);
  EXPECT_EQ(out_.str(), "{\"record_id\":\"exp-0\"}\n{\"record_id\":\"exp-1\"}\n");
  EXPECT_THAT(err_.str(), HasSubstr("next cursor: 2 (more records are available)"));
  ASSERT_EQ(Run({"credit", "export", "--cursor", "2"}), 0) << err_.str();
  EXPECT_EQ(service_.last<cv1::ExportRequest>().cursor(), "2");
  EXPECT_EQ(out_.str(), "{\"record_id\":\"exp-2\"}\n");
  EXPECT_THAT(err_.str(), HasSubstr("next cursor: 3"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("more")));
}

TEST_F(CreditCliTest, ExportAllFollowsThePagesWithOneCsvHeader) {
  for (int i = 0; i < 5; ++i) service_.AddExport(ExportRecordNumbered(i));
  ASSERT_EQ(Run({"credit", "export", "--format", "csv", "--all"}), 0) << err_.str();
  EXPECT_EQ(service_.last<cv1::ExportRequest>().format(), cv1::EXPORT_FORMAT_CSV);
  EXPECT_EQ(out_.str(),
            "record_id,subject_id\n"
            "exp-0,org:91500109MA5U5T9X8G\nexp-1,org:91500109MA5U5T9X8G\n"
            "exp-2,org:91500109MA5U5T9X8G\nexp-3,org:91500109MA5U5T9X8G\n"
            "exp-4,org:91500109MA5U5T9X8G\n");
  EXPECT_THAT(err_.str(), HasSubstr("next cursor: 5"));
  EXPECT_EQ(service_.calls(), 3);
  EXPECT_EQ(Run({"credit", "export", "--format", "xml"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--format"));
}

TEST_F(CreditCliTest, ExportAsJsonPrintsTheRecordsOfEveryPage) {
  for (int i = 0; i < 3; ++i) service_.AddExport(ExportRecordNumbered(i));
  ASSERT_EQ(Run({"credit", "export", "--all", "--output", "json"}), 0) << err_.str();
  for (const char* id : {"exp-0", "exp-1", "exp-2"}) EXPECT_THAT(out_.str(), HasSubstr(id));
  EXPECT_THAT(out_.str(), HasSubstr("\"next_cursor\": \"3\""));
}

TEST_F(CreditCliTest, RulesShowTheVersionInForceAndTheReplayProgress) {
  cv1::RulesInfo r;
  r.set_version("2026.1");
  r.set_loaded_version("2026.2");
  r.set_base_score(100);
  r.add_rule_ids("hazard.verified.major");
  r.add_rule_ids("hazard.overdue");
  r.set_replay(cv1::REPLAY_STATE_RUNNING);
  r.set_replay_version("2026.2");
  r.set_replay_applied(250000);
  r.set_history_facts(1000000);
  r.mutable_replay_started_at()->set_seconds(1797760800);
  service_.SetRules(r);
  ASSERT_EQ(Run({"credit", "rules"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("2026.1"));
  EXPECT_THAT(out_.str(), HasSubstr("running"));
  EXPECT_THAT(out_.str(), HasSubstr("250000 of 1000000 facts (25%)"));
  EXPECT_THAT(out_.str(), HasSubstr("hazard.overdue"));
  EXPECT_THAT(out_.str(), HasSubstr("2026-12-20 18:00 +08:00"));
}

TEST_F(CreditCliTest, RulesShowNoProgressForAFinishedReplay) {
  cv1::RulesInfo r;
  r.set_version("2026.1");
  r.set_loaded_version("2026.1");
  r.set_replay(cv1::REPLAY_STATE_SWITCHED);
  r.set_replay_version("2026.1");
  r.set_replay_applied(0);  // what the history held when it ran; it has grown since
  r.set_history_facts(685);
  service_.SetRules(r);
  ASSERT_EQ(Run({"credit", "rules"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("685 facts"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("0 of 685")));
}

}  // namespace
}  // namespace firegrid::ctl
