// Credit end to end, on the real buildings, hazards, credit and notify binaries run with a
// shifted wall clock (tests/support/fake_time.h; the dev broker keeps the real time).
// Proves: a building's management unit, named with its credit code, is the party liable for the
// building's hazards; a verified hazard and then its overdue rectification lower that subject's
// score by the rules of config/credit_rules.textproto, the overdue one moves its level from A
// to B, its building manager hears of it (a credit notification), and the change is in the
// export for the public credit platform. And a service agency whose false reports bring it to
// level D is proposed for the blacklist, which takes effect when its objection period is over
// and ends when its term does. And a new rule set is replayed over the history and served once
// it has caught up.
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/fake_time.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace cv1 = ::firegrid::credit::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;
namespace sv1 = ::firegrid::subjects::v1;
using google::protobuf::util::TimeUtil;

constexpr char kCommunity[] = "500109001002";
constexpr char kStreet[] = "500109001";
// Valid unified social credit codes (GB 32100 check characters).
constexpr char kManagementUnitCode[] = "91350100M000100Y43";
constexpr char kAgencyCode[] = "91110000600037341L";
constexpr char kManagerAccount[] = "mgr-chaoyang";

class CreditE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ =
        std::make_unique<testing::RedisServer>(testing::RedisServerOptions{.env = clock_.Env()});
    ASSERT_TRUE(redis_->Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis_->address(),
                                     broker_.bootstrap(), key_file, dir_.path(), clock_.Env());
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    hazards_ = service(
        FIREGRID_HAZARDS_BIN, "hazards",
        {"--rules-file=" + cfg + "/hazards_rules.textproto",
         "--guidance-file=" + cfg + "/hazards_guidance.textproto", "--timer-interval=200ms"});
    // A copy of the shipped rule set that a test may replace with a new version.
    rules_file_ = dir_.path() + "/credit_rules.textproto";
    WriteRules(ReadFile(cfg + "/credit_rules.textproto"));
    credit_ = service(FIREGRID_CREDIT_BIN, "credit",
                      {"--rules-file=" + rules_file_, "--clock-interval=200ms"});
    notify_ = service(FIREGRID_NOTIFY_BIN, "notify",
                      {"--plan-file=" + cfg + "/plan_tasks.textproto", "--timer-interval=200ms"});
    for (auto* s : {buildings_.get(), hazards_.get(), credit_.get(), notify_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
    auto channel = [](const testing::ServiceProcess& s) {
      return grpc::CreateChannel(s.grpc_address(), grpc::InsecureChannelCredentials());
    };
    bstub_ = bv1::BuildingService::NewStub(channel(*buildings_));
    hstub_ = hv1::HazardService::NewStub(channel(*hazards_));
    cstub_ = cv1::CreditService::NewStub(channel(*credit_));
    nstub_ = nv1::NotifyService::NewStub(channel(*notify_));
  }

  void TearDown() override {
    for (auto* s : {notify_.get(), credit_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0)
            << "service did not drain cleanly: " << testing::WhyNotClean(code, *s);
      }
    }
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void WriteRules(const std::string& text) {
    std::ofstream out(rules_file_, std::ios::trunc);
    out << text;
  }

  std::string Admin() { return tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin"); }
  std::string Worker() { return tokens_.Make(auth::Role::kCommunityWorker, kCommunity, "grid-1"); }
  std::string Street() { return tokens_.Make(auth::Role::kStreetOfficer, kStreet, "street-1"); }
  std::string Dept(const std::string& slug) {
    return tokens_.Make(auth::Role::kDepartmentOfficer, "500109", "officer-" + slug, slug);
  }
  std::string Manager() {
    return tokens_.Make(auth::Role::kBuildingManager, kCommunity, kManagerAccount);
  }
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  // Moves the shifted clock forward and waits until every service accepts tokens of the new
  // time (absl's clock takes up a step within about two seconds).
  void AdvanceClock(absl::Duration d) {
    ASSERT_TRUE(clock_.Advance(d).ok());
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          const std::string admin = Admin();
          hv1::ListHazardsRequest hz;
          hz.set_page_size(1);
          hv1::ListHazardsResponse hz_resp;
          cv1::GetRulesRequest rr;
          cv1::RulesInfo info;
          nv1::ListInboxRequest in;
          in.set_page_size(1);
          nv1::ListInboxResponse in_resp;
          return hstub_->ListHazards(Ctx(admin).get(), hz, &hz_resp).ok() &&
                 cstub_->GetRules(Ctx(admin).get(), rr, &info).ok() &&
                 nstub_->ListInbox(Ctx(admin).get(), in, &in_resp).ok();
        },
        absl::Seconds(30)))
        << "the services did not take up the new time";
  }

  // The demo community's building, registered with its management unit named by its credit
  // code and the manager's account: the hazards service learns both from one event, so a hazard
  // it accepts has the management unit liable.
  std::string RegisterBuilding() {
    sv1::Party mu;
    mu.set_role(sv1::PARTY_ROLE_MANAGEMENT_UNIT);
    mu.set_name("朝阳物业管理有限公司");
    mu.set_credit_code(kManagementUnitCode);
    mu.set_account_subject(kManagerAccount);
    return testing::RegisterCommunityBuilding(*bstub_, Admin(), {mu}).building_id();
  }

  // Reports a hazard once the hazards service knows the building (from Kafka).
  hv1::Hazard Report(const std::string& building, hv1::HazardCategory category) {
    hv1::ReportHazardRequest req;
    req.set_building_id(building);
    req.set_category(category);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description("巡查发现");
    req.set_idempotency_key(absl::StrCat("credit-", building, "-", category));
    hv1::ReportHazardResponse reported;
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return hstub_->ReportHazard(Ctx(Worker()).get(), req, &reported).ok(); },
        absl::Seconds(60)))
        << "the hazards service did not learn the building";
    EXPECT_EQ(reported.hazard().liable_party().credit_code(), kManagementUnitCode)
        << "the building's management unit is not liable for its hazard";
    return reported.hazard();
  }

  hv1::Hazard Verify(hv1::Hazard h, const std::string& token) {
    hv1::VerifyHazardRequest v;
    v.set_hazard_id(h.hazard_id());
    v.set_expected_version(h.version());
    grpc::Status s = hstub_->VerifyHazard(Ctx(token).get(), v, &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return h;
  }

  std::optional<cv1::Profile> Profile(const std::string& subject_id) {
    cv1::GetProfileRequest req;
    req.set_subject_id(subject_id);
    cv1::Profile p;
    if (!cstub_->GetProfile(Ctx(Admin()).get(), req, &p).ok()) return std::nullopt;
    return p;
  }

  // Waits until the subject's profile satisfies `pred`; returns the last profile read.
  std::optional<cv1::Profile> WaitProfile(const std::string& subject_id,
                                          const std::function<bool(const cv1::Profile&)>& pred) {
    std::optional<cv1::Profile> last;
    testing::WaitUntil(
        [&] {
          last = Profile(subject_id);
          return last.has_value() && pred(*last);
        },
        absl::Seconds(60));
    return last;
  }

  std::vector<cv1::LedgerRecord> Ledger(const std::string& subject_id) {
    cv1::ListLedgerRequest req;
    req.set_subject_id(subject_id);
    req.set_page_size(500);
    cv1::ListLedgerResponse resp;
    grpc::Status s = cstub_->ListLedger(Ctx(Admin()).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  std::vector<nv1::Notification> Inbox(const std::string& token) {
    return testing::ReadInbox(*nstub_, token);
  }

  // Every export record from the beginning, page by page.
  std::vector<cv1::ExportRecord> ExportAll(cv1::ExportFormat format, std::string* content) {
    std::vector<cv1::ExportRecord> all;
    cv1::ExportRequest req;
    req.set_format(format);
    req.set_limit(100);
    for (int page = 0; page < 1000; ++page) {
      cv1::ExportResponse resp;
      grpc::Status s = cstub_->Export(Ctx(Admin()).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      all.insert(all.end(), resp.records().begin(), resp.records().end());
      if (content != nullptr) *content += resp.content();
      if (!resp.more() || resp.records().empty()) break;
      req.set_cursor(resp.next_cursor());
    }
    return all;
  }

  std::string rules_file_;
  testing::TempDir dir_{"credit-e2e"};
  testing::FakeTime clock_{dir_.path()};
  testing::DevTokens tokens_{[this] { return clock_.Now(); }};
  std::unique_ptr<testing::RedisServer> redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, credit_, notify_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::unique_ptr<hv1::HazardService::Stub> hstub_;
  std::unique_ptr<cv1::CreditService::Stub> cstub_;
  std::unique_ptr<nv1::NotifyService::Stub> nstub_;
};

TEST_F(CreditE2E, OverdueHazardLowersTheLiableSubjectsScoreAndLevelNotifiesItsManagerAndIsExported) {
  const std::string subject = std::string("org:") + kManagementUnitCode;
  const std::string building = RegisterBuilding();

  // Two hazards of the building, verified by their lead departments: the management unit is
  // liable by default. Fire lane blocked: -5 (hazard.verified.general.fire_access); a facility
  // fault: -2 (hazard.verified.general). 100 → 93, still A.
  hv1::Hazard lane = Report(building, hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  hv1::Hazard fault = Report(building, hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  lane = Verify(lane, Dept("urban_management"));
  fault = Verify(fault, Dept("fire_rescue"));
  auto before = WaitProfile(subject, [](const cv1::Profile& p) { return p.score() == 93; });
  ASSERT_TRUE(before.has_value()) << "the management unit has no credit profile";
  ASSERT_EQ(before->score(), 93) << "verified hazards did not lower the score by their rules";
  EXPECT_EQ(before->level(), cv1::LEVEL_A);

  // The lane hazard is assigned with a 48 h deadline and not rectified: three days on it is
  // overdue (hazard.overdue, -5): 93 → 88, level A → B.
  hv1::AssignHazardRequest a;
  a.set_hazard_id(lane.hazard_id());
  a.set_expected_version(lane.version());
  a.set_responsible_party("朝阳物业管理有限公司");
  *a.mutable_deadline() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now() + absl::Hours(48)));
  grpc::Status s = hstub_->AssignHazard(Ctx(Street()).get(), a, &lane);
  ASSERT_TRUE(s.ok()) << s.error_message();
  AdvanceClock(absl::Hours(72));
  auto after = WaitProfile(subject, [](const cv1::Profile& p) { return p.score() == 88; });
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->score(), 88) << "the overdue hazard did not lower the score";
  EXPECT_EQ(after->level(), cv1::LEVEL_B);

  // The ledger explains it: the overdue rule, its version, the hazard, the delta and result.
  const std::vector<cv1::LedgerRecord> ledger = Ledger(subject);
  ASSERT_FALSE(ledger.empty());
  const cv1::LedgerRecord& newest = ledger.front();
  EXPECT_EQ(newest.rule_id(), "hazard.overdue");
  EXPECT_EQ(newest.rules_version(), "2026.1");
  EXPECT_EQ(newest.cause().hazard_id(), lane.hazard_id());
  EXPECT_EQ(newest.delta(), -5);
  EXPECT_EQ(newest.score_after(), 88);
  EXPECT_EQ(newest.level_after(), cv1::LEVEL_B);
  int64_t sum = 0;
  for (const auto& r : ledger) sum += r.delta();
  EXPECT_EQ(100 + sum, 88) << "the ledger's deltas do not add up to the score";

  // The building's manager hears of the level change.
  std::optional<nv1::Notification> told;
  testing::WaitUntil(
      [&] {
        for (const auto& n : Inbox(Manager())) {
          if (n.kind() == nv1::KIND_CREDIT && n.credit_subject_id() == subject &&
              n.body().find("B") != std::string::npos) {
            told = n;
            return true;
          }
        }
        return false;
      },
      absl::Seconds(60));
  EXPECT_TRUE(told.has_value()) << "the building manager was not told of the level change";

  // The export for the public credit platform carries the subject at level B, in JSON Lines
  // and in CSV, and re-reading it from the start returns the same records.
  std::string jsonl;
  std::vector<cv1::ExportRecord> records;
  testing::WaitUntil(
      [&] {
        jsonl.clear();
        records = ExportAll(cv1::EXPORT_FORMAT_JSONL, &jsonl);
        return !records.empty() && records.back().subject_id() == subject &&
               records.back().level() == cv1::LEVEL_B;
      },
      absl::Seconds(30));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().credit_code(), kManagementUnitCode);
  EXPECT_EQ(records.back().level(), cv1::LEVEL_B);
  EXPECT_NE(jsonl.find(kManagementUnitCode), std::string::npos);
  std::string csv;
  std::vector<cv1::ExportRecord> again = ExportAll(cv1::EXPORT_FORMAT_CSV, &csv);
  ASSERT_EQ(again.size(), records.size());
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].record_id(), records[i].record_id());
  EXPECT_NE(csv.find(kManagementUnitCode), std::string::npos);
}

TEST_F(CreditE2E, AgencyAtLevelDIsBlacklistedAfterItsObjectionPeriodAndLeavesAtTheEndOfItsTerm) {
  const std::string building = RegisterBuilding();
  // The maintenance agency, registered explicitly and linked to the building.
  cv1::RegisterSubjectRequest reg;
  reg.mutable_party()->set_role(sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  reg.mutable_party()->set_name("某消防技术服务有限公司");
  reg.mutable_party()->set_credit_code(kAgencyCode);
  reg.set_building_id(building);
  cv1::Subject agency;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return cstub_->RegisterSubject(Ctx(Admin()).get(), reg, &agency).ok(); },
      absl::Seconds(60)))
      << "the agency could not be registered";
  ASSERT_EQ(agency.subject_id(), std::string("org:") + kAgencyCode);

  // Two false inspection reports recorded by fire rescue (-30 each): 100 → 40, level D, and a
  // blacklist entry is proposed automatically.
  for (int i = 0; i < 2; ++i) {
    cv1::RecordManualRequest m;
    m.set_subject_id(agency.subject_id());
    m.set_rule_id("violation.false_inspection_report");
    m.set_reason(absl::StrCat("维保检测报告与现场不符 #", i + 1));
    m.set_legal_basis("《消防法》第六十九条");
    m.set_request_id(absl::StrCat("false-report-", i));
    cv1::LedgerRecord r;
    grpc::Status s = cstub_->RecordManual(Ctx(Dept("fire_rescue")).get(), m, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(r.delta(), -30);
  }
  auto proposed = WaitProfile(agency.subject_id(), [](const cv1::Profile& p) {
    return !p.blacklist().empty();
  });
  ASSERT_TRUE(proposed.has_value());
  EXPECT_EQ(proposed->score(), 40);
  EXPECT_EQ(proposed->level(), cv1::LEVEL_D);
  ASSERT_EQ(proposed->blacklist(0).state(), cv1::BLACKLIST_STATE_PROPOSED);
  EXPECT_TRUE(proposed->blacklist(0).automatic());
  EXPECT_FALSE(proposed->blacklisted());

  // The objection period (10 days) passes without an objection: in effect.
  AdvanceClock(absl::Hours(24 * 11));
  auto active = WaitProfile(agency.subject_id(), [](const cv1::Profile& p) {
    return p.blacklisted();
  });
  ASSERT_TRUE(active.has_value() && active->blacklisted())
      << "the entry did not take effect after its objection period";
  EXPECT_EQ(active->blacklist(0).state(), cv1::BLACKLIST_STATE_ACTIVE);

  // Its term (365 days) over: expired, no longer blacklisted.
  AdvanceClock(absl::Hours(24 * 366));
  auto expired = WaitProfile(agency.subject_id(), [](const cv1::Profile& p) {
    return !p.blacklist().empty() && p.blacklist(0).state() == cv1::BLACKLIST_STATE_EXPIRED;
  });
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->blacklist(0).state(), cv1::BLACKLIST_STATE_EXPIRED);
  EXPECT_FALSE(expired->blacklisted());
}

TEST_F(CreditE2E, ANewRuleSetIsReplayedOverTheHistoryAndServedWhenCaughtUp) {
  const std::string subject = std::string("org:") + kManagementUnitCode;
  const std::string building = RegisterBuilding();
  hv1::Hazard lane = Report(building, hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  lane = Verify(lane, Dept("urban_management"));
  auto before = WaitProfile(subject, [](const cv1::Profile& p) { return p.score() == 95; });
  ASSERT_TRUE(before.has_value() && before->score() == 95);
  ASSERT_EQ(before->rules_version(), "2026.1");

  // A new rule set (base 110 instead of 100), rolled out by restarting the service with it.
  std::string rules = ReadFile(rules_file_);
  for (auto [from, to] : {std::pair<std::string, std::string>{"version: \"2026.1\"",
                                                              "version: \"2026.2\""},
                          {"base_score: 100", "base_score: 110"}}) {
    const size_t at = rules.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    rules.replace(at, from.size(), to);
  }
  ASSERT_TRUE(credit_->Stop().ok());
  WriteRules(rules);
  ASSERT_TRUE(credit_->Restart().ok());

  // The history is replayed under it and served once caught up: the same deduction from 110.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        cv1::RulesInfo info;
        return cstub_->GetRules(Ctx(Admin()).get(), cv1::GetRulesRequest(), &info).ok() &&
               info.version() == "2026.2";
      },
      absl::Seconds(60)))
      << "the new rule set was not put in force";
  auto after = Profile(subject);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->score(), 105);
  EXPECT_EQ(after->rules_version(), "2026.2");
  const std::vector<cv1::LedgerRecord> ledger = Ledger(subject);
  ASSERT_FALSE(ledger.empty());
  EXPECT_EQ(ledger.front().rules_version(), "2026.2");
  EXPECT_EQ(ledger.front().cause().hazard_id(), lane.hazard_id());
  EXPECT_EQ(ledger.front().score_after(), 105);

  // And it follows what happens next: another verified hazard, -2 under the new rules.
  hv1::Hazard fault = Report(building, hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  fault = Verify(fault, Dept("fire_rescue"));
  auto next = WaitProfile(subject, [](const cv1::Profile& p) { return p.score() == 103; });
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->score(), 103);
}

}  // namespace
}  // namespace firegrid
