// The credit service's authorisation matrix (docs/authorization.md): every RPC × caller ×
// relation of the caller to the subject, through the real gRPC surface over a real
// redis-server (the store is Redis only) with the applier applying the history. The table is
// README.md's "Who may do what" and access.h. A subject a caller may not read is NOT_FOUND to it
// (the service hides which subjects exist); a role the call is not open to is
// PERMISSION_DENIED before the subject is looked at.
//
// The subject's place is its building's (tier relations); building managers and agencies are
// kNamed when the subject names them as its account. Department officers: kOwnDepartment an
// officer of the department the rule names (fire rescue, which proposes blacklist entries;
// development & reform, the credit platform's, for Export), kOtherDepartment one of another
// department (housing), both about a subject of their district; kOtherDistrict a fire rescue
// officer about a subject of another district.

#include "tests/support/authz_matrix.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/subjects/party.h"
#include "services/credit/applier.h"
#include "services/credit/directory.h"
#include "services/credit/grpc_service.h"
#include "services/credit/service.h"
#include "services/credit/store.h"
#include "tests/support/shared_redis.h"

namespace firegrid::credit {
namespace {

using auth::Role;
using authz_matrix::Anywhere;
using authz_matrix::Caller;
using authz_matrix::Expect;
using authz_matrix::InScope;
using authz_matrix::Named;
using authz_matrix::ObjectTier;
using authz_matrix::Observed;
using authz_matrix::Relation;
using authz_matrix::Row;
using authz_matrix::RpcRule;
using C = Caller;
using R = Relation;

// The relations each caller is tried in: the defaults; department officers by department.
std::map<Caller, std::vector<Relation>> CreditRelations() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = authz_matrix::DefaultRelations(c);
  out[C::kDepartmentOfficer] = {R::kOwnDepartment, R::kOtherDepartment, R::kOtherDistrict};
  return out;
}
// Department officers of the district, whatever their department.
std::set<Relation> EveryDepartment() { return {R::kOwnDepartment, R::kOtherDepartment}; }

// Every relation a caller is tried in but the given allowed ones.
std::map<Caller, std::set<Relation>> AllBut(const std::map<Caller, std::set<Relation>>& allowed) {
  std::map<Caller, std::set<Relation>> out;
  for (const auto& [c, relations] : CreditRelations()) {
    for (Relation r : relations) {
      auto a = allowed.find(c);
      if (a == allowed.end() || a->second.count(r) == 0) out[c].insert(r);
    }
  }
  return out;
}

// Who reads a subject (access.h MayRead): district admins and internal services every subject;
// street officers, community workers and department officers the subjects with a building in
// their tier; building managers and service agencies the subjects they act for.
std::map<Caller, std::set<Relation>> Readers() {
  return {{C::kDistrictAdmin, Anywhere()},
          {C::kInternalService, Anywhere()},
          {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()},
          {C::kDepartmentOfficer, EveryDepartment()},
          {C::kBuildingManager, Named()},
          {C::kServiceAgency, Named()}};
}
// Of `callers` (roles the call is open to), the relations in which they may not read the
// subject: NOT_FOUND.
std::map<Caller, std::set<Relation>> UnreadableFor(std::initializer_list<Caller> callers) {
  const auto unreadable = AllBut(Readers());
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : callers) {
    if (auto it = unreadable.find(c); it != unreadable.end()) out[c] = it->second;
  }
  return out;
}
std::map<Caller, std::set<Relation>> TierListers() {
  return {{C::kDistrictAdmin, InScope()},
          {C::kDepartmentOfficer, EveryDepartment()},
          {C::kStreetOfficer, InScope()},
          {C::kCommunityWorker, InScope()},
          {C::kInternalService, Anywhere()}};
}
std::set<Caller> AllCallers() {
  return {authz_matrix::RoleCallers().begin(), authz_matrix::RoleCallers().end()};
}

const std::vector<RpcRule>& Table() {
  static auto* table = new std::vector<RpcRule>{
      // RegisterSubject: district admins, department and street officers, internal services,
      // within the building's tier.
      {.rpc = "RegisterSubject",
       .allowed = {{C::kDistrictAdmin, InScope()},
                   {C::kDepartmentOfficer, EveryDepartment()},
                   {C::kStreetOfficer, InScope()},
                   {C::kInternalService, Anywhere()}}},
      // GetProfile, ListLedger: the readers; NOT_FOUND to everyone else.
      {.rpc = "GetProfile", .allowed = Readers(), .refused = Expect::kHidden},
      {.rpc = "ListLedger", .allowed = Readers(), .refused = Expect::kHidden},
      // ListRanking, ListBlacklist: district admins, department, street officers, community
      // workers within their tier; internal services.
      {.rpc = "ListRanking", .allowed = TierListers()},
      {.rpc = "ListBlacklist", .allowed = TierListers()},
      // RecordManual "credit.drill": its rule's roles (district_admin, department_officer,
      // street_officer), on subjects they read.
      {.rpc = "RecordManual",
       .allowed = {{C::kDistrictAdmin, Anywhere()},
                   {C::kDepartmentOfficer, EveryDepartment()},
                   {C::kStreetOfficer, InScope()}},
       .hidden = UnreadableFor({C::kDepartmentOfficer, C::kStreetOfficer})},
      // ProposeBlacklist: district admins and fire rescue officers, on subjects they read.
      {.rpc = "ProposeBlacklist",
       .allowed = {{C::kDistrictAdmin, Anywhere()}, {C::kDepartmentOfficer, {R::kOwnDepartment}}},
       .hidden = UnreadableFor({C::kDepartmentOfficer})},
      // FileObjection, RequestRepair: the subject's accounts and district admins; a reader who
      // does not act for the subject is refused, a caller who may not read it gets NOT_FOUND.
      {.rpc = "FileObjection",
       .allowed = {{C::kDistrictAdmin, Anywhere()},
                   {C::kBuildingManager, Named()},
                   {C::kServiceAgency, Named()}},
       .hidden = AllBut(Readers())},
      {.rpc = "RequestRepair",
       .allowed = {{C::kDistrictAdmin, Anywhere()},
                   {C::kBuildingManager, Named()},
                   {C::kServiceAgency, Named()}},
       .hidden = AllBut(Readers())},
      // ReviewObjection, ReviewRepair: district admins.
      {.rpc = "ReviewObjection", .allowed = {{C::kDistrictAdmin, Anywhere()}}},
      {.rpc = "ReviewRepair", .allowed = {{C::kDistrictAdmin, Anywhere()}}},
      // Export: district admins, internal services, the credit platform's department
      // (development & reform) — not fire_rescue's officers.
      {.rpc = "Export",
       .allowed = {{C::kDistrictAdmin, Anywhere()},
                   {C::kInternalService, Anywhere()},
                   {C::kDepartmentOfficer, {R::kOwnDepartment}}}},
      // GetRules: every authenticated caller.
      {.rpc = "GetRules",
       .allowed =
           [] {
             std::map<Caller, std::set<Relation>> all;
             for (Caller c : AllCallers()) all[c] = Anywhere();
             return all;
           }()},
      // CheckReadModels (firegridctl rebuild --check): district admins, whatever the object.
      {.rpc = "CheckReadModels", .allowed = {{C::kDistrictAdmin, Anywhere()}}},
  };
  for (RpcRule& rule : *table) rule.relations = CreditRelations();
  return *table;
}

class CreditMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    std::unique_ptr<redis::Pool> pool;
    std::unique_ptr<Rules> rules;
    SubjectIds ids{"a-test-key-for-person-ids-0123456789"};
    FakeClock clock{absl::FromUnixSeconds(1'780'000'000)};
    SequentialIdGenerator id_gen;
    std::unique_ptr<CreditStore> store;
    std::unique_ptr<BuildingDirectory> directory;
    std::unique_ptr<Applier> applier;
    std::unique_ptr<CreditApi> api;
    std::atomic<bool> running{false};
    std::thread applier_thread;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<CreditGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::CreditService::Stub> stub;
    int next = 0;
    std::map<std::string, std::string> shared;  // subject ids by place|account

    ~Env() {
      if (server) server->Shutdown();
      running = false;
      if (applier_thread.joinable()) applier_thread.join();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    e.pool = testing::NewSharedRedisPool(8);
    auto rules = Rules::LoadFile(FIREGRID_CREDIT_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    e.rules = std::make_unique<Rules>(*rules);
    e.store = std::make_unique<CreditStore>(e.pool.get(), "authz");
    e.directory = std::make_unique<BuildingDirectory>(e.pool.get(), "authz");
    ApplierOptions ao;
    ao.outbox_key = "authz:outbox";
    ao.instance_id = "test";
    e.applier = std::make_unique<Applier>(e.store.get(), e.rules.get(), &e.ids, &e.clock, ao);
    e.api = std::make_unique<CreditApi>(e.store.get(), e.rules.get(), &e.ids, e.directory.get(),
                                        &e.clock, &e.id_gen,
                                        ServiceOptions{.apply_wait = absl::Seconds(20)});
    // The service's periodic task, in a loop: apply what is recorded.
    e.running = true;
    e.applier_thread = std::thread([&e] {
      while (e.running) {
        auto n = e.applier->RunOnce();
        if (!n.ok() || *n == 0) absl::SleepFor(absl::Milliseconds(1));
      }
    });
    e.verifier = e.tokens.Verifier();
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    e.service = std::make_unique<CreditGrpcService>(e.api.get(), e.authenticator.get());
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = v1::CreditService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static std::string Tier(const Row& row) { return ObjectTier(row.caller, row.relation); }
  static std::string Account(const Row& row) {
    return row.relation == R::kNamed ? authz_matrix::PrincipalOf(row.caller).subject
                                     : authz_matrix::kSomeoneElse;
  }
  static auth::Principal Admin() {
    auth::Principal p;
    p.role = Role::kDistrictAdmin;
    p.tier_path = authz_matrix::kHomeDistrict;
    p.subject = "seed-admin";
    return p;
  }

  // A new building at `tier` in the directory (what the buildings events make known).
  static std::string NewBuilding(const std::string& tier) {
    Env& e = *env_;
    const std::string id = absl::StrCat("bld_c", ++e.next);
    EXPECT_TRUE(e.directory->Put(id, BuildingDirectory::Entry{absl::StrCat("楼 ", id), tier}).ok());
    return id;
  }
  // A party with a credit code of its own (a valid GB 32100 check character).
  static subjects::v1::Party NewParty(const std::string& account) {
    const std::string first17 = absl::StrFormat("91500109MA%07d", ++env_->next);
    subjects::v1::Party party;
    party.set_role(subjects::v1::PARTY_ROLE_OWNER);
    party.set_name(absl::StrCat("某置业公司 ", env_->next));
    party.set_credit_code(first17 + subjects::CreditCodeCheckCharacter(first17));
    party.set_account_subject(account);
    return party;
  }
  // A new subject whose building lies at the row's place, naming the row's account.
  static std::string NewSubject(const Row& row) {
    v1::RegisterSubjectRequest req;
    *req.mutable_party() = NewParty(Account(row));
    req.set_building_id(NewBuilding(Tier(row)));
    auth::Principal loader;  // registers subjects of every district
    loader.role = Role::kInternalService;
    loader.subject = "service:loader";
    auto s = env_->api->RegisterSubject(loader, req);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? s->subject_id() : "org:none";
  }
  static std::string SharedSubject(const Row& row) {
    const std::string key = absl::StrCat(Tier(row), "|", Account(row));
    if (auto it = env_->shared.find(key); it != env_->shared.end()) return it->second;
    return env_->shared[key] = NewSubject(row);
  }
  // A blacklist entry of a new subject: PROPOSED, or ACTIVE (an objection dismissed), or
  // ACTIVE with a repair application.
  enum class EntryState { kProposed, kActive, kRepairRequested };
  static std::string NewEntry(const Row& row, EntryState state) {
    CreditApi& api = *env_->api;
    v1::ProposeBlacklistRequest prop;
    prop.set_subject_id(NewSubject(row));
    prop.set_reason("多次出具虚假检测报告");
    prop.set_legal_basis("《消防法》第六十九条");
    auto entry = api.ProposeBlacklist(Admin(), prop);
    EXPECT_TRUE(entry.ok()) << entry.status();
    if (!entry.ok()) return "org:none#bl1";
    if (state == EntryState::kProposed) return entry->entry_id();
    v1::FileObjectionRequest obj;
    obj.set_entry_id(entry->entry_id());
    obj.set_text("报告系笔误");
    EXPECT_TRUE(api.FileObjection(Admin(), obj).ok());
    v1::ReviewObjectionRequest review;
    review.set_entry_id(entry->entry_id());
    review.set_upheld(false);
    review.set_note("异议不成立");
    EXPECT_TRUE(api.ReviewObjection(Admin(), review).ok());
    if (state == EntryState::kActive) return entry->entry_id();
    v1::RequestRepairRequest repair;
    repair.set_entry_id(entry->entry_id());
    repair.set_statement("已整改");
    repair.add_evidence("https://evidence.example/fixed.pdf");
    EXPECT_TRUE(api.RequestRepair(Admin(), repair).ok());
    return entry->entry_id();
  }

  Observed Call(const Row& row);

  static Env* env_;
};

CreditMatrix::Env* CreditMatrix::env_ = nullptr;

Observed CreditMatrix::Call(const Row& row) {
  Env& e = *env_;
  grpc::ClientContext ctx;
  if (row.caller == C::kDepartmentOfficer) {
    // The department of the row (see the top of the file).
    auth::Principal officer = authz_matrix::PrincipalOf(row.caller);
    if (row.relation == R::kOtherDepartment) officer.department = authz_matrix::kOtherDepartment;
    if (row.relation == R::kOwnDepartment && row.rpc == "Export") {
      officer.department = "development_reform";
    }
    authz_matrix::Attach(&ctx, e.tokens.Sign(officer, e.clock.Now()));
  } else {
    authz_matrix::Attach(&ctx, e.tokens.For(row.caller, e.clock.Now()));
  }
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto* stub = e.stub.get();
  const std::string& rpc = row.rpc;
  const std::string tier = Tier(row);
  Observed o;
  v1::BlacklistEntry entry;

  if (rpc == "RegisterSubject") {
    v1::RegisterSubjectRequest req;
    *req.mutable_party() = NewParty(Account(row));
    req.set_building_id(NewBuilding(tier));
    v1::Subject out;
    o.status = stub->RegisterSubject(&ctx, req, &out);
  } else if (rpc == "GetProfile") {
    v1::GetProfileRequest req;
    req.set_subject_id(SharedSubject(row));
    v1::Profile out;
    o.status = stub->GetProfile(&ctx, req, &out);
  } else if (rpc == "ListLedger") {
    v1::ListLedgerRequest req;
    req.set_subject_id(SharedSubject(row));
    v1::ListLedgerResponse out;
    o.status = stub->ListLedger(&ctx, req, &out);
  } else if (rpc == "ListRanking") {
    SharedSubject(row);
    v1::ListRankingRequest req;
    req.set_tier_path(tier);
    req.set_type(subjects::v1::SUBJECT_TYPE_OWNER);
    v1::ListRankingResponse out;
    o.status = stub->ListRanking(&ctx, req, &out);
  } else if (rpc == "ListBlacklist") {
    v1::ListBlacklistRequest req;
    req.set_tier_path(tier);
    v1::ListBlacklistResponse out;
    o.status = stub->ListBlacklist(&ctx, req, &out);
  } else if (rpc == "RecordManual") {
    v1::RecordManualRequest req;
    req.set_subject_id(SharedSubject(row));
    req.set_rule_id("credit.drill");
    req.set_reason("组织演练");
    req.set_legal_basis("《机关、团体、企业、事业单位消防安全管理规定》第四十条");
    v1::LedgerRecord out;
    o.status = stub->RecordManual(&ctx, req, &out);
  } else if (rpc == "ProposeBlacklist") {
    v1::ProposeBlacklistRequest req;
    req.set_subject_id(NewSubject(row));
    req.set_reason("多次出具虚假检测报告");
    req.set_legal_basis("《消防法》第六十九条");
    o.status = stub->ProposeBlacklist(&ctx, req, &entry);
  } else if (rpc == "FileObjection") {
    v1::FileObjectionRequest req;
    req.set_entry_id(NewEntry(row, EntryState::kProposed));
    req.set_text("报告系笔误");
    o.status = stub->FileObjection(&ctx, req, &entry);
  } else if (rpc == "ReviewObjection") {
    const std::string id = NewEntry(row, EntryState::kProposed);
    v1::FileObjectionRequest obj;
    obj.set_entry_id(id);
    obj.set_text("报告系笔误");
    EXPECT_TRUE(e.api->FileObjection(Admin(), obj).ok());
    v1::ReviewObjectionRequest req;
    req.set_entry_id(id);
    req.set_upheld(true);
    req.set_note("异议成立");
    o.status = stub->ReviewObjection(&ctx, req, &entry);
  } else if (rpc == "RequestRepair") {
    v1::RequestRepairRequest req;
    req.set_entry_id(NewEntry(row, EntryState::kActive));
    req.set_statement("已整改");
    req.add_evidence("https://evidence.example/fixed.pdf");
    o.status = stub->RequestRepair(&ctx, req, &entry);
  } else if (rpc == "ReviewRepair") {
    v1::ReviewRepairRequest req;
    req.set_entry_id(NewEntry(row, EntryState::kRepairRequested));
    // Turned down: an approval is possible only after the entry's minimum time in effect.
    req.set_approved(false);
    req.set_note("整改材料不足");
    o.status = stub->ReviewRepair(&ctx, req, &entry);
  } else if (rpc == "Export") {
    v1::ExportRequest req;
    v1::ExportResponse out;
    o.status = stub->Export(&ctx, req, &out);
  } else if (rpc == "GetRules") {
    v1::RulesInfo out;
    o.status = stub->GetRules(&ctx, v1::GetRulesRequest(), &out);
  } else if (rpc == "CheckReadModels") {
    readmodels::v1::CheckReadModelsResponse out;
    o.status = stub->CheckReadModels(&ctx, readmodels::v1::CheckReadModelsRequest(), &out);
  } else {
    ADD_FAILURE() << "no call for " << rpc;
  }
  return o;
}

TEST_P(CreditMatrix, Call) {
  const Row& row = GetParam();
  EXPECT_TRUE(authz_matrix::Matches(row, Call(row)));
}

INSTANTIATE_TEST_SUITE_P(Table, CreditMatrix, ::testing::ValuesIn(authz_matrix::Expand(Table())),
                         authz_matrix::RowName);

TEST(CreditMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::CreditService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::credit
