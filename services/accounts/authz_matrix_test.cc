// The accounts service's authorisation matrix (docs/authorization.md): every RPC × caller ×
// relation, through the real gRPC surface on the in-memory store. The table is README.md ("Who
// may do what") and access.h; refusals are PERMISSION_DENIED.
//
// Relations: for the user administration calls, the place of the user managed (its tier path:
// tier relations). For the self-service calls (ChangePassword, TOTP enrolment), kNamed: the
// caller is a signed-in user (token subject user:<name> of an account with the caller's role),
// kNotNamed: the token names no account (a service, a gateway, a channel or a bare subject).
// SignIn, Refresh, SignOut and GetJwks are made without a bearer token: every caller (and none)
// may make them.

#include "tests/support/authz_matrix.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/accounts/totp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/memory_store.h"
#include "services/accounts/test_keys.h"

namespace firegrid::accounts {
namespace {

using authz_matrix::Anywhere;
using authz_matrix::Caller;
using authz_matrix::Expect;
using authz_matrix::InScope;
using authz_matrix::ObjectTier;
using authz_matrix::Observed;
using authz_matrix::Relation;
using authz_matrix::Row;
using authz_matrix::RpcRule;
using C = Caller;
using R = Relation;

constexpr char kPassword[] = "initial-password-1";

// District admins for users within their district; internal services for anyone.
std::map<Caller, std::set<Relation>> UserAdmins() {
  return {{C::kDistrictAdmin, InScope()}, {C::kInternalService, Anywhere()}};
}
std::map<Caller, std::vector<Relation>> AnyRelation() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {R::kAny};
  return out;
}
std::map<Caller, std::set<Relation>> Everyone() {
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = Anywhere();
  return out;
}
// The roles a person may hold (access.h ParseHumanRole) are tried as signed-in users and as
// bare subjects; the others (systems) have no account.
bool Human(Caller c) {
  return c != C::kInternalService && c != C::kIotGateway && c != C::kPublicChannel;
}
std::map<Caller, std::vector<Relation>> SelfRelations() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) {
    out[c] = Human(c) ? std::vector<Relation>{R::kNamed, R::kNotNamed}
                      : std::vector<Relation>{R::kNotNamed};
  }
  return out;
}
std::map<Caller, std::set<Relation>> SignedInUsers() {
  std::map<Caller, std::set<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) {
    if (Human(c)) out[c] = {R::kNamed};
  }
  return out;
}

const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      {.rpc = "CreateUser", .allowed = UserAdmins()},
      {.rpc = "GetUser", .allowed = UserAdmins()},
      // ListUsers of the place's org unit.
      {.rpc = "ListUsers", .allowed = UserAdmins()},
      {.rpc = "UpdateUser", .allowed = UserAdmins()},
      {.rpc = "DisableUser", .allowed = UserAdmins()},
      {.rpc = "EnableUser", .allowed = UserAdmins()},
      {.rpc = "ResetCredentials", .allowed = UserAdmins()},
      {.rpc = "SignIn",
       .allowed = Everyone(),
       .without_token = Expect::kOk,
       .relations = AnyRelation()},
      {.rpc = "Refresh",
       .allowed = Everyone(),
       .without_token = Expect::kOk,
       .relations = AnyRelation()},
      {.rpc = "SignOut",
       .allowed = Everyone(),
       .without_token = Expect::kOk,
       .relations = AnyRelation()},
      {.rpc = "GetJwks",
       .allowed = Everyone(),
       .without_token = Expect::kOk,
       .relations = AnyRelation()},
      {.rpc = "ChangePassword", .allowed = SignedInUsers(), .relations = SelfRelations()},
      {.rpc = "BeginTotpEnrolment", .allowed = SignedInUsers(), .relations = SelfRelations()},
      {.rpc = "ConfirmTotpEnrolment", .allowed = SignedInUsers(), .relations = SelfRelations()},
  };
  return *table;
}

// The role a user at `tier` holds (its level's area role).
std::string AreaRole(const std::string& tier) {
  return tier.size() == 6   ? "district_admin"
         : tier.size() == 9 ? "street_officer"
                            : "community_worker";
}

class AccountsMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::UTCTimeZone())};
    SequentialIdGenerator ids;
    MemoryStore store;
    std::unique_ptr<SigningKey> key;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<AccountsApi> api;
    std::unique_ptr<AccountsGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::AccountsService::Stub> stub;
    int next = 0;

    ~Env() {
      if (server) server->Shutdown();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    e.key = *SigningKey::FromPem(testing::TestRsaPrivatePem());
    auth::VerifierOptions vo;
    vo.hs256_key = authz_matrix::Tokens::kKey;
    vo.rs256_public_key_pem = e.key->public_pem();
    e.verifier = *auth::TokenVerifier::Create(vo);
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    AccountsOptions o;
    o.password_params = {.memory_kib = 64, .passes = 1};
    o.attempts_per_address_per_minute = 1'000'000;  // every row signs in from 127.0.0.1
    auto api = AccountsApi::Create(&e.store, e.key.get(), &e.clock, &e.ids, o, nullptr);
    ASSERT_TRUE(api.ok()) << api.status();
    e.api = std::move(*api);
    e.service = std::make_unique<AccountsGrpcService>(e.api.get(), e.authenticator.get(),
                                                      e.verifier.get(), &e.clock);
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = v1::AccountsService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static auth::Principal Service() {
    auth::Principal p;
    p.role = auth::Role::kInternalService;
    p.subject = "service:seed";
    return p;
  }
  // A new user; its name.
  static std::string NewUser(const std::string& role, const std::string& org_unit,
                             const std::string& department = "") {
    v1::CreateUserRequest r;
    r.set_username(absl::StrCat("user.", ++env_->next));
    r.set_display_name("用户");
    r.set_role(role);
    r.set_org_unit(org_unit);
    r.set_department(department);
    r.set_initial_password(kPassword);
    auto u = env_->api->CreateUser(Service(), r);
    EXPECT_TRUE(u.ok()) << u.status() << " " << role << " " << org_unit;
    return u.ok() ? u->username() : "user.none";
  }
  // A new user at the row's place.
  static std::string UserAtPlace(const Row& row) {
    const std::string tier = ObjectTier(row.caller, row.relation);
    return NewUser(AreaRole(tier), tier);
  }
  // A user holding the caller's role in its home unit (the account a kNamed caller signs in as).
  static std::string UserLike(Caller c) {
    const auth::Principal p = authz_matrix::PrincipalOf(c);
    switch (c) {
      case C::kDepartmentOfficer:
        return NewUser("department_officer", p.tier_path, p.department);
      case C::kMicroStation:
        return NewUser("micro_station", absl::StrCat(p.tier_path, ".", p.org_unit));
      case C::kBuildingManager:
      case C::kServiceAgency:
        return NewUser(std::string(auth::RoleName(p.role)), authz_matrix::kHomeCommunity);
      default:
        return NewUser(std::string(auth::RoleName(p.role)), p.tier_path);
    }
  }
  // The row's token: a signed-in user's for kNamed (subject user:<name>), else the caller's.
  static std::string SelfToken(const Row& row, std::string* username) {
    Env& e = *env_;
    if (row.relation != R::kNamed) return e.tokens.For(row.caller, e.clock.Now());
    *username = UserLike(row.caller);
    auth::Principal p = authz_matrix::PrincipalOf(row.caller);
    p.subject = "user:" + *username;
    return e.tokens.Sign(p, e.clock.Now());
  }
  // Signs a new user in (after the password change a new account must make first); its
  // refresh token.
  static std::string RefreshToken() {
    const std::string name = NewUser("community_worker", authz_matrix::kHomeCommunity);
    auth::Principal self = authz_matrix::PrincipalOf(C::kCommunityWorker);
    self.subject = "user:" + name;
    v1::ChangePasswordRequest change;
    change.set_current_password(kPassword);
    change.set_new_password("a-new-password-3");
    EXPECT_TRUE(env_->api->ChangePassword(self, change).ok());
    v1::SignInRequest r;
    r.set_username(name);
    r.set_password("a-new-password-3");
    auto s = env_->api->SignIn(r, "127.0.0.1");
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? s->refresh_token() : "";
  }

  Observed Call(const Row& row);

  static Env* env_;
};

AccountsMatrix::Env* AccountsMatrix::env_ = nullptr;

Observed AccountsMatrix::Call(const Row& row) {
  Env& e = *env_;
  const std::string& rpc = row.rpc;
  std::string self;
  const std::string token =
      (rpc == "ChangePassword" || rpc == "BeginTotpEnrolment" || rpc == "ConfirmTotpEnrolment")
          ? SelfToken(row, &self)
          : e.tokens.For(row.caller, e.clock.Now());
  grpc::ClientContext ctx;
  authz_matrix::Attach(&ctx, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto* stub = e.stub.get();
  Observed o;
  v1::User user;

  if (rpc == "CreateUser") {
    const std::string tier = ObjectTier(row.caller, row.relation);
    v1::CreateUserRequest req;
    req.set_username(absl::StrCat("new.", ++e.next));
    req.set_display_name("新用户");
    req.set_role(AreaRole(tier));
    req.set_org_unit(tier);
    req.set_initial_password(kPassword);
    o.status = stub->CreateUser(&ctx, req, &user);
  } else if (rpc == "GetUser") {
    v1::GetUserRequest req;
    req.set_username(UserAtPlace(row));
    o.status = stub->GetUser(&ctx, req, &user);
  } else if (rpc == "ListUsers") {
    const std::string name = UserAtPlace(row);
    v1::ListUsersRequest req;
    req.set_org_unit(ObjectTier(row.caller, row.relation));
    req.set_page_size(200);
    v1::ListUsersResponse out;
    o.status = stub->ListUsers(&ctx, req, &out);
    o.object_shown = false;
    for (const auto& u : out.users()) o.object_shown |= u.username() == name;
  } else if (rpc == "UpdateUser") {
    v1::UpdateUserRequest req;
    req.set_username(UserAtPlace(row));
    req.set_display_name("改名");
    o.status = stub->UpdateUser(&ctx, req, &user);
  } else if (rpc == "DisableUser") {
    v1::DisableUserRequest req;
    req.set_username(UserAtPlace(row));
    req.set_reason("离职");
    o.status = stub->DisableUser(&ctx, req, &user);
  } else if (rpc == "EnableUser") {
    const std::string name = UserAtPlace(row);
    v1::DisableUserRequest disable;
    disable.set_username(name);
    disable.set_reason("暂停");
    EXPECT_TRUE(e.api->DisableUser(Service(), disable).ok());
    v1::EnableUserRequest req;
    req.set_username(name);
    o.status = stub->EnableUser(&ctx, req, &user);
  } else if (rpc == "ResetCredentials") {
    v1::ResetCredentialsRequest req;
    req.set_username(UserAtPlace(row));
    req.set_new_initial_password("another-password-2");
    v1::ResetCredentialsResponse out;
    o.status = stub->ResetCredentials(&ctx, req, &out);
  } else if (rpc == "SignIn") {
    v1::SignInRequest req;
    req.set_username(NewUser("community_worker", authz_matrix::kHomeCommunity));
    req.set_password(kPassword);
    v1::SignInResponse out;
    o.status = stub->SignIn(&ctx, req, &out);
  } else if (rpc == "Refresh") {
    v1::RefreshRequest req;
    req.set_refresh_token(RefreshToken());
    v1::SignInResponse out;
    o.status = stub->Refresh(&ctx, req, &out);
  } else if (rpc == "SignOut") {
    v1::SignOutRequest req;
    req.set_refresh_token(RefreshToken());
    v1::SignOutResponse out;
    o.status = stub->SignOut(&ctx, req, &out);
  } else if (rpc == "GetJwks") {
    v1::Jwks out;
    o.status = stub->GetJwks(&ctx, v1::GetJwksRequest(), &out);
  } else if (rpc == "ChangePassword") {
    v1::ChangePasswordRequest req;
    req.set_current_password(kPassword);
    req.set_new_password("a-new-password-3");
    v1::ChangePasswordResponse out;
    o.status = stub->ChangePassword(&ctx, req, &out);
  } else if (rpc == "BeginTotpEnrolment") {
    v1::TotpEnrolment out;
    o.status = stub->BeginTotpEnrolment(&ctx, v1::BeginTotpEnrolmentRequest(), &out);
  } else if (rpc == "ConfirmTotpEnrolment") {
    // The code of the secret an enrolment (begun by the same caller) handed out; any code for a
    // caller without an account.
    std::string code = "000000";
    if (!self.empty()) {
      auth::Principal p = authz_matrix::PrincipalOf(row.caller);
      p.subject = "user:" + self;
      auto begun = e.api->BeginTotpEnrolment(p, v1::BeginTotpEnrolmentRequest());
      EXPECT_TRUE(begun.ok()) << begun.status();
      if (begun.ok()) {
        auto secret = Base32Decode(begun->secret_base32());
        EXPECT_TRUE(secret.ok());
        if (secret.ok()) code = Hotp(*secret, TotpStep(e.clock.Now()));
      }
    }
    v1::ConfirmTotpEnrolmentRequest req;
    req.set_totp_code(code);
    o.status = stub->ConfirmTotpEnrolment(&ctx, req, &user);
  } else {
    ADD_FAILURE() << "no call for " << rpc;
  }
  return o;
}

TEST_P(AccountsMatrix, Call) {
  const Row& row = GetParam();
  EXPECT_TRUE(authz_matrix::Matches(row, Call(row)));
}

INSTANTIATE_TEST_SUITE_P(Table, AccountsMatrix, ::testing::ValuesIn(authz_matrix::Expand(Table())),
                         authz_matrix::RowName);

TEST(AccountsMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::AccountsService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::accounts
