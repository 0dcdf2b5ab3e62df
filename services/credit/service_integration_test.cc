// The credit use cases in process against a real redis-server, with the real engine, store and
// applier (an applier thread applies the history as the service's periodic task does): what bad
// input gets, who may do what, what a caller sees of a person, and that write calls return the
// applied result.
#include "services/credit/service.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/subjects/party.h"
#include "services/credit/applier.h"
#include "services/credit/directory.h"
#include "services/credit/metrics.h"
#include "tests/support/shared_redis.h"

namespace firegrid::credit {
namespace {

using auth::Principal;
using auth::Role;
using ::testing::HasSubstr;

constexpr char kAgencyCode[] = "91110000600037341L";
constexpr char kOwnerCode[] = "91350100M000100Y43";
constexpr char kPersonId[] = "11010519491231002X";

Principal Who(Role role, std::string tier, std::string subject, std::string department = "") {
  Principal p;
  p.role = role;
  p.tier_path = std::move(tier);
  p.subject = std::move(subject);
  p.department = std::move(department);
  return p;
}

class CreditApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    prefix_ = "cs" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool(8);
    auto rules = Rules::LoadFile(FIREGRID_CREDIT_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::make_unique<Rules>(*rules);
    store_ = std::make_unique<CreditStore>(pool_.get(), prefix_);
    directory_ = std::make_unique<BuildingDirectory>(pool_.get(), prefix_);
    ApplierOptions ao;
    ao.outbox_key = prefix_ + ":outbox";
    ao.instance_id = "test";
    applier_ = std::make_unique<Applier>(store_.get(), rules_.get(), &ids_, &clock_, ao);
    api_ = std::make_unique<CreditApi>(store_.get(), rules_.get(), &ids_, directory_.get(),
                                       &clock_, &id_gen_,
                                       ServiceOptions{.apply_wait = absl::Seconds(20)});
    running_ = true;
    applier_thread_ = std::thread([this] {
      while (running_) {
        auto n = applier_->RunOnce();
        if (!n.ok() || *n == 0) absl::SleepFor(absl::Milliseconds(2));
      }
    });
    ASSERT_TRUE(directory_
                    ->Put("bld_1", BuildingDirectory::Entry{"朝阳大厦", "500109001002"})
                    .ok());
  }
  void TearDown() override {
    running_ = false;
    if (applier_thread_.joinable()) applier_thread_.join();
  }

  // Registers an organisation (or, with a person id, a person) linked to bld_1.
  v1::Subject Register(subjects::v1::PartyRole role, const std::string& code,
                       const std::string& person_id = "", const std::string& account = "") {
    v1::RegisterSubjectRequest req;
    req.mutable_party()->set_role(role);
    req.mutable_party()->set_name("某单位");
    req.mutable_party()->set_credit_code(code);
    req.mutable_party()->set_person_id(person_id);
    req.mutable_party()->set_account_subject(account);
    req.set_building_id("bld_1");
    auto s = api_->RegisterSubject(admin_, req);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : v1::Subject();
  }

  v1::RecordManualRequest Manual(const std::string& subject, const std::string& rule) {
    v1::RecordManualRequest m;
    m.set_subject_id(subject);
    m.set_rule_id(rule);
    m.set_reason("检查发现");
    m.set_legal_basis("《消防法》第六十九条");
    return m;
  }

  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<Rules> rules_;
  SubjectIds ids_{"a-test-key-for-person-ids-0123456789"};
  FakeClock clock_{absl::FromUnixSeconds(1'780'000'000)};
  SequentialIdGenerator id_gen_;
  std::unique_ptr<CreditStore> store_;
  std::unique_ptr<BuildingDirectory> directory_;
  std::unique_ptr<Applier> applier_;
  std::unique_ptr<CreditApi> api_;
  std::atomic<bool> running_{false};
  std::thread applier_thread_;
  Principal admin_ = Who(Role::kDistrictAdmin, "500109", "admin");
  Principal fire_ = Who(Role::kDepartmentOfficer, "500109", "fr-1", "fire_rescue");
};

TEST_F(CreditApiTest, RegistrationRejectsAWrongCheckCharacterNamingTheField) {
  v1::RegisterSubjectRequest req;
  req.mutable_party()->set_role(subjects::v1::PARTY_ROLE_OWNER);
  req.mutable_party()->set_name("某置业公司");
  req.mutable_party()->set_credit_code("91500000202803299N");
  auto s = api_->RegisterSubject(admin_, req);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("party.credit_code"));
  EXPECT_THAT(s.status().message(), HasSubstr("check character"));
  req.mutable_party()->set_credit_code("91500000202803299");
  EXPECT_THAT(api_->RegisterSubject(admin_, req).status().message(), HasSubstr("18 characters"));
  req.mutable_party()->set_credit_code("91500000202803299I");
  EXPECT_THAT(api_->RegisterSubject(admin_, req).status().message(), HasSubstr("character set"));
}

TEST_F(CreditApiTest, ANewSubjectStartsAtTheBaseScoreWithLevelA) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_OWNER, kOwnerCode);
  EXPECT_EQ(s.subject_id(), std::string("org:") + kOwnerCode);
  v1::GetProfileRequest req;
  req.set_subject_id(kOwnerCode);  // a bare credit code names the organisation
  auto p = api_->GetProfile(admin_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->score(), 100);
  EXPECT_EQ(p->level(), v1::LEVEL_A);
  EXPECT_EQ(p->rules_version(), "2026.1");
}

TEST_F(CreditApiTest, ProfilesAreReadFromTheGenerationInForceRightAfterASwitch) {
  const v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  v1::GetProfileRequest req;
  req.set_subject_id(s.subject_id());
  auto before = api_->GetProfile(admin_, req);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->rules_version(), "2026.1");
  EXPECT_EQ(before->score(), 100);

  // Another generation goes in force (what a replay under new rules ends with); the applier of
  // the old rules stops first, so that it does not replay them back in force.
  running_ = false;
  applier_thread_.join();
  auto state = store_->LoadSubject("2026.1", s.subject_id());
  ASSERT_TRUE(state.ok() && state->has_value());
  v1::SubjectState next = **state;
  next.set_score(42);
  ASSERT_TRUE(
      pool_
          ->Command({"SET", store_->SubjectKey("2027.1", s.subject_id()), next.SerializeAsString()})
          .ok());
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey("2027.1"), *store_->LastFactId()}).ok());
  ASSERT_TRUE(store_->SwitchServing("2027.1", clock_.Now()).ok());

  // The very next read comes from the new generation, not from the version seen before.
  auto after = api_->GetProfile(admin_, req);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->rules_version(), "2027.1");
  EXPECT_EQ(after->score(), 42);
  auto again = api_->GetProfile(admin_, req);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->rules_version(), "2027.1");
  EXPECT_EQ(again->score(), 42);
}

TEST_F(CreditApiTest, UnappliedAgeIsZeroWhenCaughtUpAndTheOldestUnappliedFactsAgeOtherwise) {
  Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  // Registration returns once its fact is applied: caught up.
  auto caught_up = UnappliedAge(*store_, absl::Now() + absl::Hours(1));
  ASSERT_TRUE(caught_up.ok()) << caught_up.status();
  EXPECT_EQ(*caught_up, absl::ZeroDuration());

  // The applier stops; two facts wait. The age is that of the first one, appended just now.
  running_ = false;
  applier_thread_.join();
  const absl::Time appended = absl::Now();
  for (const char* id : {"waiting-1", "waiting-2"}) {
    v1::Fact f;
    f.set_fact_id(id);
    *f.mutable_time() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
        absl::ToUnixMillis(clock_.Now()));
    f.mutable_manual()->set_subject_id("org:" + std::string(kAgencyCode));
    f.mutable_manual()->set_rule_id("credit.drill");
    ASSERT_TRUE(store_->AppendFact(f).ok());
  }
  auto behind = UnappliedAge(*store_, appended + absl::Minutes(5));
  ASSERT_TRUE(behind.ok()) << behind.status();
  EXPECT_GE(*behind, absl::Minutes(5) - absl::Seconds(2));
  EXPECT_LE(*behind, absl::Minutes(5) + absl::Seconds(2));
}

TEST_F(CreditApiTest, ManualRecordNeedsReasonAndLegalBasis) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  auto m = Manual(s.subject_id(), "violation.false_inspection_report");
  m.clear_reason();
  EXPECT_THAT(api_->RecordManual(fire_, m).status().message(), HasSubstr("reason: required"));
  m = Manual(s.subject_id(), "violation.false_inspection_report");
  m.set_legal_basis("  ");
  EXPECT_THAT(api_->RecordManual(fire_, m).status().message(), HasSubstr("legal_basis: required"));
  m = Manual(s.subject_id(), "score.set");
  EXPECT_THAT(api_->RecordManual(fire_, m).status().message(), HasSubstr("rule_id"));
}

TEST_F(CreditApiTest, ManualRecordReturnsTheAppliedLedgerRecord) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  auto r = api_->RecordManual(fire_, Manual(s.subject_id(), "violation.false_inspection_report"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rule_id(), "violation.false_inspection_report");
  EXPECT_EQ(r->delta(), -30);
  EXPECT_EQ(r->score_after(), 70);
  EXPECT_EQ(r->level_after(), v1::LEVEL_C);
  EXPECT_EQ(r->cause().actor(), "fr-1");
}

TEST_F(CreditApiTest, ARetriedManualRecordWithTheSameRequestIdCountsOnce) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  auto m = Manual(s.subject_id(), "violation.false_inspection_report");
  m.set_request_id("once");
  auto first = api_->RecordManual(fire_, m);
  auto second = api_->RecordManual(fire_, m);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->record_id(), second->record_id());
  v1::GetProfileRequest req;
  req.set_subject_id(s.subject_id());
  EXPECT_EQ(api_->GetProfile(admin_, req)->score(), 70);
}

TEST_F(CreditApiTest, ARequestIdReusedForADifferentRequestIsRefusedNamingIt) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  auto m = Manual(s.subject_id(), "violation.false_inspection_report");
  m.set_request_id("reused");
  ASSERT_TRUE(api_->RecordManual(fire_, m).ok());
  clock_.Advance(absl::Minutes(1));  // a retry later is still the same request
  EXPECT_TRUE(api_->RecordManual(fire_, m).ok());
  m.set_reason("另一次检查");
  auto other = api_->RecordManual(fire_, m);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("request_id"));
  v1::GetProfileRequest req;
  req.set_subject_id(s.subject_id());
  EXPECT_EQ(api_->GetProfile(admin_, req)->score(), 70);
}

TEST_F(CreditApiTest, OnlyTheRolesAndDepartmentsOfAManualRuleMayRecordIt) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  auto m = Manual(s.subject_id(), "violation.false_inspection_report");
  const Principal urban = Who(Role::kDepartmentOfficer, "500109", "um-1", "urban_management");
  EXPECT_EQ(api_->RecordManual(urban, m).status().code(), absl::StatusCode::kPermissionDenied);
  const Principal street = Who(Role::kStreetOfficer, "500109001", "st-1");
  EXPECT_EQ(api_->RecordManual(street, m).status().code(), absl::StatusCode::kPermissionDenied);
  auto commend = Manual(s.subject_id(), "credit.commendation");
  EXPECT_EQ(api_->RecordManual(fire_, commend).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(api_->RecordManual(admin_, commend).ok());
}

TEST_F(CreditApiTest, PersonIdsAreMaskedForEveryReaderAndRevealedOnlyByAnAuditedAdminRead) {
  std::vector<audit::AuditRecord> records;  // the in-memory audit log
  api_->set_personal_data_audit([&](audit::AuditRecord r) {
    records.push_back(std::move(r));
    return absl::OkStatus();
  });
  v1::Subject person =
      Register(subjects::v1::PARTY_ROLE_OCCUPANT, "", kPersonId, /*account=*/"tenant-1");
  EXPECT_EQ(person.person_id(), subjects::MaskPersonId(kPersonId));
  EXPECT_THAT(person.subject_id(), ::testing::StartsWith("person:"));
  EXPECT_THAT(person.subject_id(), ::testing::Not(HasSubstr("1101051949")));
  v1::GetProfileRequest req;
  req.set_subject_id(person.subject_id());
  const Principal street = Who(Role::kStreetOfficer, "500109001", "st-1");
  auto seen = api_->GetProfile(street, req);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->subject().person_id(), subjects::MaskPersonId(kPersonId));
  const Principal self = Who(Role::kBuildingManager, "500109001002", "tenant-1");
  EXPECT_EQ(api_->GetProfile(self, req)->subject().person_id(),
            subjects::MaskPersonId(kPersonId));
  EXPECT_EQ(api_->GetProfile(admin_, req)->subject().person_id(),
            subjects::MaskPersonId(kPersonId));
  EXPECT_TRUE(records.empty()) << "masked reads write no record";

  req.set_reveal_personal_data(true);
  EXPECT_EQ(api_->GetProfile(street, req).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(api_->GetProfile(self, req).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(records.empty());
  auto revealed = api_->GetProfile(admin_, req);
  ASSERT_TRUE(revealed.ok()) << revealed.status();
  EXPECT_EQ(revealed->subject().person_id(), kPersonId);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].method(), "/firegrid.credit.v1.CreditService/GetProfile");
  EXPECT_EQ(records[0].object_id(), person.subject_id());
  EXPECT_EQ(records[0].detail(), "revealed=subject.person_id");
  api_->set_personal_data_audit(
      [](audit::AuditRecord) { return absl::UnavailableError("audit log unreachable"); });
  EXPECT_EQ(api_->GetProfile(admin_, req).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CreditApiTest, CallersSeeOnlyTheSubjectsOfTheirTierOrTheirOwn) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_OWNER, kOwnerCode, "", "owner-account");
  v1::GetProfileRequest req;
  req.set_subject_id(s.subject_id());
  EXPECT_TRUE(api_->GetProfile(Who(Role::kCommunityWorker, "500109001002", "g"), req).ok());
  EXPECT_EQ(api_->GetProfile(Who(Role::kCommunityWorker, "500109002001", "g"), req)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(api_->GetProfile(Who(Role::kBuildingManager, "", "owner-account"), req).ok());
  EXPECT_EQ(api_->GetProfile(Who(Role::kBuildingManager, "", "someone-else"), req)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(api_->GetProfile(Who(Role::kServiceAgency, "", "agency"), req).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CreditApiTest, BlacklistProposalObjectionAndDismissalPutTheEntryInEffect) {
  v1::Subject s =
      Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode, "", "agency-acct");
  v1::ProposeBlacklistRequest prop;
  prop.set_subject_id(s.subject_id());
  prop.set_reason("多次出具虚假检测报告");
  prop.set_legal_basis("《消防法》第六十九条");
  EXPECT_EQ(api_->ProposeBlacklist(Who(Role::kStreetOfficer, "500109001", "st"), prop)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  auto entry = api_->ProposeBlacklist(admin_, prop);
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->state(), v1::BLACKLIST_STATE_PROPOSED);
  EXPECT_EQ(api_->ProposeBlacklist(admin_, prop).status().code(),
            absl::StatusCode::kFailedPrecondition);

  v1::FileObjectionRequest obj;
  obj.set_entry_id(entry->entry_id());
  obj.set_text("报告系笔误，已更正");
  const Principal stranger = Who(Role::kServiceAgency, "", "other-agency");
  EXPECT_EQ(api_->FileObjection(stranger, obj).status().code(), absl::StatusCode::kNotFound);
  auto objected = api_->FileObjection(Who(Role::kServiceAgency, "", "agency-acct"), obj);
  ASSERT_TRUE(objected.ok()) << objected.status();
  EXPECT_EQ(objected->state(), v1::BLACKLIST_STATE_OBJECTED);

  v1::ReviewObjectionRequest review;
  review.set_entry_id(entry->entry_id());
  review.set_upheld(false);
  EXPECT_THAT(api_->ReviewObjection(admin_, review).status().message(), HasSubstr("note"));
  review.set_note("经复核，异议不成立");
  EXPECT_EQ(api_->ReviewObjection(fire_, review).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto active = api_->ReviewObjection(admin_, review);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->state(), v1::BLACKLIST_STATE_ACTIVE);

  v1::ListBlacklistRequest list;
  auto listed = api_->ListBlacklist(admin_, list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->entries_size(), 1);
  EXPECT_EQ(listed->entries(0).entry_id(), entry->entry_id());
}

TEST_F(CreditApiTest, ExportIsForTheCreditPlatformAndRereadsTheSameRecords) {
  v1::Subject s = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  ASSERT_TRUE(
      api_->RecordManual(fire_, Manual(s.subject_id(), "violation.false_inspection_report")).ok());
  v1::ExportRequest req;
  EXPECT_EQ(api_->Export(fire_, req).status().code(), absl::StatusCode::kPermissionDenied);
  const Principal ndrc = Who(Role::kDepartmentOfficer, "500109", "dr", "development_reform");
  auto first = api_->Export(ndrc, req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->records().empty());
  EXPECT_EQ(first->records().rbegin()->credit_code(), kAgencyCode);
  EXPECT_EQ(first->records().rbegin()->level(), v1::LEVEL_C);
  auto again = api_->Export(ndrc, req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->content(), first->content());
  req.set_cursor(first->next_cursor());
  auto after = api_->Export(ndrc, req);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->records().empty());
  req.set_cursor("not-a-cursor");
  EXPECT_THAT(api_->Export(ndrc, req).status().message(), HasSubstr("cursor"));
}

TEST_F(CreditApiTest, RankingIsPerTierAndTypeBestFirst) {
  v1::Subject a = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  v1::Subject b = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, "91440300708461136T");
  ASSERT_TRUE(
      api_->RecordManual(fire_, Manual(a.subject_id(), "violation.false_inspection_report")).ok());
  v1::ListRankingRequest req;
  EXPECT_THAT(api_->ListRanking(admin_, req).status().message(), HasSubstr("type"));
  req.set_type(subjects::v1::SUBJECT_TYPE_SERVICE_AGENCY);
  req.set_tier_path("500109001");
  auto r = api_->ListRanking(admin_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->subjects_size(), 2);
  EXPECT_EQ(r->subjects(0).subject_id(), b.subject_id());
  EXPECT_EQ(r->subjects(1).subject_id(), a.subject_id());
  EXPECT_EQ(r->subjects(1).score(), 70);
  req.set_tier_path("500109002");
  EXPECT_EQ(api_->ListRanking(Who(Role::kStreetOfficer, "500109001", "st"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// CheckReadModels (firegridctl rebuild --check): the scores, levels and rankings in force equal
// a replay of the history after normal writes; a score changed in Redis (in the subject's state,
// in a ranking) is reported with the value stored and the value the replay gives, and left as
// it is; district admins only.
TEST_F(CreditApiTest, CheckReadModelsFindsNothingAfterWritesAndReportsAScoreChangedInRedis) {
  v1::Subject a = Register(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY, kAgencyCode);
  Register(subjects::v1::PARTY_ROLE_OWNER, kOwnerCode);
  ASSERT_TRUE(
      api_->RecordManual(fire_, Manual(a.subject_id(), "violation.false_inspection_report")).ok());
  auto clean = api_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->read_model(), "scores and rankings");
  EXPECT_GE(clean->records(), 3);  // two registrations and the manual record
  EXPECT_EQ(clean->difference_count(), 0) << clean->ShortDebugString();

  const std::string version = rules_->version();
  const std::string key = store_->SubjectKey(version, a.subject_id());
  auto bytes = pool_->Command({"GET", key});
  ASSERT_TRUE(bytes.ok());
  v1::SubjectState state;
  ASSERT_TRUE(state.ParseFromString(bytes->str));
  ASSERT_EQ(state.score(), 70);
  state.set_score(95);
  ASSERT_TRUE(pool_->Command({"SET", key, state.SerializeAsString()}).ok());
  auto changed = api_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(changed.ok()) << changed.status();
  ASSERT_EQ(changed->difference_count(), 1) << changed->ShortDebugString();
  EXPECT_EQ(changed->differences(0).key(), key);
  EXPECT_EQ(changed->differences(0).field(), "score");
  EXPECT_EQ(changed->differences(0).live(), "95");
  EXPECT_EQ(changed->differences(0).rebuilt(), "70");

  const std::string rank = store_->RankKey(version, "500109001", "service_agency");
  ASSERT_TRUE(pool_->Command({"ZADD", rank, "95", a.subject_id()}).ok());
  auto ranked = api_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(ranked.ok()) << ranked.status();
  ASSERT_EQ(ranked->difference_count(), 2) << ranked->ShortDebugString();
  bool rank_reported = false;
  for (const auto& d : ranked->differences()) {
    if (d.key() == rank) {
      rank_reported = true;
      EXPECT_EQ(d.field(), a.subject_id());
      EXPECT_EQ(d.live(), "95");
      EXPECT_EQ(d.rebuilt(), "70");
    }
  }
  EXPECT_TRUE(rank_reported) << ranked->ShortDebugString();
  // Reported, not repaired.
  EXPECT_EQ(pool_->Command({"ZSCORE", rank, a.subject_id()})->str, "95");

  EXPECT_EQ(api_->CheckReadModels(fire_, readmodels::v1::CheckReadModelsRequest()).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::credit
