// The accounts logic on the in-memory store with a fake clock.
#include "services/accounts/service.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/accounts/totp.h"
#include "nlohmann/json.hpp"
#include "services/accounts/memory_store.h"
#include "services/accounts/observer.h"
#include "services/accounts/test_keys.h"

namespace firegrid::accounts {
namespace {

using ::testing::HasSubstr;

constexpr char kPassword[] = "initial-password-1";
constexpr char kNewPassword[] = "a-better-password-2";
constexpr char kClient[] = "ipv4:127.0.0.1";

const auth::Principal kAdmin{.subject = "user:admin",
                             .role = auth::Role::kDistrictAdmin,
                             .org_unit = "500109",
                             .tier_path = "500109"};
const auth::Principal kService{.subject = "service:loader", .role = auth::Role::kInternalService};

// Cheap hashes: the tests are about the rules, not Argon2's cost.
PasswordParams Light() { return {.memory_kib = 64, .passes = 1}; }

class AccountsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *SigningKey::FromPem(testing::TestRsaPrivatePem());
    api_ = MakeApi(Light());
    auth::VerifierOptions vo;
    vo.rs256_public_key_pem = key_->public_pem();
    verifier_ = *auth::TokenVerifier::Create(vo);
  }

  std::unique_ptr<AccountsApi> MakeApi(PasswordParams params) {
    AccountsOptions o;
    o.password_params = params;
    auto api =
        AccountsApi::Create(&store_, key_.get(), &clock_, &ids_, o, [this](const SignInEvent& e) {
          events_.push_back(e);
          records_.push_back(SignInAuditRecord(e));
        });
    EXPECT_TRUE(api.ok()) << api.status();
    return *std::move(api);
  }

  v1::CreateUserRequest Worker(const std::string& name = "worker.1", bool totp = false) {
    v1::CreateUserRequest r;
    r.set_username(name);
    r.set_display_name("Grid worker");
    r.set_role("community_worker");
    r.set_org_unit("500109001002");
    r.set_initial_password(kPassword);
    r.set_require_totp(totp);
    return r;
  }

  absl::StatusOr<v1::SignInResponse> SignIn(const std::string& name, const std::string& password,
                                            const std::string& code = "",
                                            const std::string& client = kClient) {
    v1::SignInRequest r;
    r.set_username(name);
    r.set_password(password);
    r.set_totp_code(code);
    return api_->SignIn(r, client);
  }

  auth::Principal EnrolmentPrincipal(const v1::SignInResponse& r) {
    auto p = api_->enrolment_verifier().Verify(r.enrolment_token(), clock_.Now());
    EXPECT_TRUE(p.ok()) << p.status();
    return *p;
  }

  // A user with a changed password and (when `totp`) an enrolled second factor; returns the
  // secret ("" without TOTP). The clock moves on a step so the enrolment code is not reused.
  std::string ReadyUser(const std::string& name, bool totp) {
    EXPECT_TRUE(api_->CreateUser(kAdmin, Worker(name, totp)).ok());
    auto first = SignIn(name, kPassword);
    EXPECT_TRUE(first.ok()) << first.status();
    auth::Principal self = EnrolmentPrincipal(*first);
    v1::ChangePasswordRequest cp;
    cp.set_current_password(kPassword);
    cp.set_new_password(kNewPassword);
    EXPECT_TRUE(api_->ChangePassword(self, cp).ok());
    if (!totp) return "";
    auto enrolment = api_->BeginTotpEnrolment(self, {});
    EXPECT_TRUE(enrolment.ok()) << enrolment.status();
    std::string secret = *Base32Decode(enrolment->secret_base32());
    v1::ConfirmTotpEnrolmentRequest confirm;
    confirm.set_totp_code(Hotp(secret, TotpStep(clock_.Now())));
    auto confirmed = api_->ConfirmTotpEnrolment(self, confirm);
    EXPECT_TRUE(confirmed.ok()) << confirmed.status();
    clock_.Advance(absl::Seconds(30));
    return secret;
  }

  std::string Code(const std::string& secret) { return Hotp(secret, TotpStep(clock_.Now())); }

  void ExpectRefused(const absl::StatusOr<v1::SignInResponse>& r, absl::string_view outcome) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
    ASSERT_FALSE(events_.empty());
    EXPECT_EQ(events_.back().outcome, outcome);
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  MemoryStore store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<AccountsApi> api_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::vector<SignInEvent> events_;
  std::vector<audit::AuditRecord> records_;
};

TEST_F(AccountsApiTest, CreateUserNamesTheInvalidField) {
  auto expect_field = [&](v1::CreateUserRequest r, absl::string_view field) {
    auto s = api_->CreateUser(kAdmin, r).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(field) + ":")) << s;
  };
  v1::CreateUserRequest r = Worker();
  r.set_username("X");
  expect_field(r, "username");
  r = Worker();
  r.set_display_name("");
  expect_field(r, "display_name");
  r = Worker();
  r.set_role("internal_service");
  expect_field(r, "role");
  r = Worker();
  r.set_org_unit("500109001");
  expect_field(r, "org_unit");
  r = Worker();
  r.set_initial_password("short");
  expect_field(r, "initial_password");
}

TEST_F(AccountsApiTest, DistrictAdminsCreateUsersOnlyInTheirDistrict) {
  auto created = api_->CreateUser(kAdmin, Worker());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->user_id(), "usr_0001");
  EXPECT_EQ(created->tier_path(), "500109001002");
  EXPECT_EQ(created->created_by(), "user:admin");
  EXPECT_TRUE(created->must_change_password());
  EXPECT_EQ(api_->CreateUser(kAdmin, Worker()).status().code(), absl::StatusCode::kAlreadyExists);

  v1::CreateUserRequest elsewhere = Worker("worker.2");
  elsewhere.set_org_unit("500110001002");
  EXPECT_EQ(api_->CreateUser(kAdmin, elsewhere).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(api_->CreateUser(kService, elsewhere).ok());

  v1::CreateUserRequest dept = Worker("dept.urban");
  dept.set_role("department_officer");
  dept.set_org_unit("500109.urban_management");
  EXPECT_TRUE(api_->CreateUser(kAdmin, dept).ok());

  const auth::Principal worker{.subject = "user:w",
                               .role = auth::Role::kCommunityWorker,
                               .org_unit = "500109001002",
                               .tier_path = "500109001002"};
  EXPECT_EQ(api_->CreateUser(worker, Worker("worker.3")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AccountsApiTest, FirstSignInGivesOnlyAnEnrolmentTokenThatOtherServicesRefuse) {
  ASSERT_TRUE(api_->CreateUser(kAdmin, Worker()).ok());
  auto r = SignIn("worker.1", kPassword);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->password_change_required());
  EXPECT_FALSE(r->totp_enrolment_required());
  EXPECT_EQ(r->access_token(), "");
  EXPECT_EQ(r->refresh_token(), "");
  EXPECT_EQ(events_.back().outcome, "enrolment_required");
  // A service's verifier (the same public key) refuses it: token_use.
  EXPECT_EQ(verifier_->Verify(r->enrolment_token(), clock_.Now()).status().code(),
            absl::StatusCode::kUnauthenticated);
  // It lasts ten minutes.
  EXPECT_TRUE(api_->enrolment_verifier().Verify(r->enrolment_token(), clock_.Now()).ok());
  EXPECT_FALSE(api_->enrolment_verifier()
                   .Verify(r->enrolment_token(), clock_.Now() + absl::Minutes(11))
                   .ok());
}

TEST_F(AccountsApiTest, AfterThePasswordChangeSignInIssuesAnRs256AccessTokenWithTheUsersClaims) {
  ReadyUser("worker.1", /*totp=*/false);
  auto r = SignIn("worker.1", kNewPassword);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->password_change_required());
  auto p = verifier_->Verify(r->access_token(), clock_.Now());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "user:worker.1");
  EXPECT_EQ(p->role, auth::Role::kCommunityWorker);
  EXPECT_EQ(p->tier_path, "500109001002");
  EXPECT_EQ(p->expiry, clock_.Now() + absl::Minutes(15));
  // The header names the JWKS key.
  std::vector<std::string> parts = absl::StrSplit(r->access_token(), '.');
  std::string header;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header));
  EXPECT_EQ(nlohmann::json::parse(header)["kid"], key_->kid());
  nlohmann::json jwks = nlohmann::json::parse(api_->GetJwks().json());
  EXPECT_EQ(jwks["keys"][0]["kid"], key_->kid());
  EXPECT_EQ(jwks["keys"][0]["e"], "AQAB");
  EXPECT_EQ(r->refresh_token_expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(12)));
  EXPECT_EQ(events_.back().outcome, "ok");
  EXPECT_EQ(records_.back().principal(), "user:worker.1");
  EXPECT_EQ(records_.back().detail(), "outcome=ok client=ipv4:127.0.0.1");
}

TEST_F(AccountsApiTest, ATotpUserNeedsTheCodeAndNoCodeWorksTwice) {
  const std::string secret = ReadyUser("worker.1", /*totp=*/true);
  ExpectRefused(SignIn("worker.1", kNewPassword), "wrong_totp");  // no code
  ExpectRefused(SignIn("worker.1", kNewPassword, "000000"), "wrong_totp");
  const std::string code = Code(secret);
  ASSERT_TRUE(SignIn("worker.1", kNewPassword, code).ok());
  ExpectRefused(SignIn("worker.1", kNewPassword, code), "totp_replayed");
  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(SignIn("worker.1", kNewPassword, Code(secret)).ok());
}

TEST_F(AccountsApiTest, RequiredTotpMustBeEnrolledBeforeAnyAccessToken) {
  ASSERT_TRUE(api_->CreateUser(kAdmin, Worker("worker.1", /*totp=*/true)).ok());
  auto r = SignIn("worker.1", kPassword);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->totp_enrolment_required());
  EXPECT_EQ(r->access_token(), "");
  auth::Principal self = EnrolmentPrincipal(*r);
  v1::ConfirmTotpEnrolmentRequest early;
  early.set_totp_code("123456");
  EXPECT_EQ(api_->ConfirmTotpEnrolment(self, early).status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto e = api_->BeginTotpEnrolment(self, {});
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->otpauth_uri(), HasSubstr("otpauth://totp/firegrid:worker.1?secret="));
  v1::ConfirmTotpEnrolmentRequest wrong;
  wrong.set_totp_code("000000");
  auto s = api_->ConfirmTotpEnrolment(self, wrong).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("totp_code:"));
}

TEST_F(AccountsApiTest, FiveFailuresLockTheUserNameForFifteenMinutesWithTheSameAnswer) {
  ReadyUser("worker.1", /*totp=*/false);
  for (int i = 0; i < 5; ++i)
    ExpectRefused(SignIn("worker.1", "wrong-password-x"), "wrong_password");
  auto locked = SignIn("worker.1", kNewPassword);
  ExpectRefused(locked, "locked");
  auto unknown = SignIn("nobody", kNewPassword);
  ExpectRefused(unknown, "unknown_user");
  EXPECT_EQ(locked.status().message(), unknown.status().message());
  EXPECT_EQ(records_.back().detail(), "outcome=unknown_user client=ipv4:127.0.0.1");
  EXPECT_EQ(records_.back().principal(), "");
  clock_.Advance(absl::Minutes(14));
  ExpectRefused(SignIn("worker.1", kNewPassword), "locked");
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(SignIn("worker.1", kNewPassword).ok());
}

TEST_F(AccountsApiTest, FailuresOlderThanTheWindowDoNotCountAndSuccessClearsThem) {
  ReadyUser("worker.1", /*totp=*/false);
  for (int i = 0; i < 4; ++i)
    ExpectRefused(SignIn("worker.1", "wrong-password-x"), "wrong_password");
  clock_.Advance(absl::Minutes(16));
  ExpectRefused(SignIn("worker.1", "wrong-password-x"), "wrong_password");
  EXPECT_TRUE(SignIn("worker.1", kNewPassword).ok());  // 1 failure in the window: not locked
  for (int i = 0; i < 4; ++i)
    ExpectRefused(SignIn("worker.1", "wrong-password-x"), "wrong_password");
  EXPECT_TRUE(SignIn("worker.1", kNewPassword).ok());  // the earlier one was cleared
}

TEST_F(AccountsApiTest, OneClientAddressGetsThirtyAttemptsAMinute) {
  // Different user names each time: the per-name lock is not what stops them.
  for (int i = 0; i < 30; ++i) {
    ExpectRefused(SignIn(absl::StrCat("nobody.", i), "wrong-password-x"), "unknown_user");
  }
  auto limited = SignIn("nobody", "wrong-password-x");
  EXPECT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(events_.back().outcome, "rate_limited");
  EXPECT_EQ(SignIn("nobody", "wrong-password-x", "", "ipv4:127.0.0.2").status().code(),
            absl::StatusCode::kUnauthenticated);
  clock_.Advance(absl::Seconds(2));  // one attempt's worth refilled
  EXPECT_EQ(SignIn("nobody", "wrong-password-x").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AccountsApiTest, DisabledUsersCannotSignIn) {
  ReadyUser("worker.1", /*totp=*/false);
  v1::DisableUserRequest d;
  d.set_username("worker.1");
  EXPECT_EQ(api_->DisableUser(kAdmin, d).status().code(), absl::StatusCode::kInvalidArgument);
  d.set_reason("left the job");
  ASSERT_TRUE(api_->DisableUser(kAdmin, d).ok());
  ExpectRefused(SignIn("worker.1", kNewPassword), "disabled");
  v1::EnableUserRequest e;
  e.set_username("worker.1");
  ASSERT_TRUE(api_->EnableUser(kAdmin, e).ok());
  EXPECT_TRUE(SignIn("worker.1", kNewPassword).ok());
}

TEST_F(AccountsApiTest, RefreshRotatesAndAReusedTokenRevokesTheWholeSignIn) {
  ReadyUser("worker.1", /*totp=*/false);
  auto first = SignIn("worker.1", kNewPassword);
  ASSERT_TRUE(first.ok());
  v1::RefreshRequest a;
  a.set_refresh_token(first->refresh_token());
  auto second = api_->Refresh(a, kClient);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->refresh_token(), first->refresh_token());
  EXPECT_TRUE(verifier_->Verify(second->access_token(), clock_.Now()).ok());
  EXPECT_EQ(second->refresh_token_expires_at().seconds(),
            first->refresh_token_expires_at().seconds());  // the sign-in's end does not move
  ExpectRefused(api_->Refresh(a, kClient), "refresh_reuse");
  v1::RefreshRequest b;
  b.set_refresh_token(second->refresh_token());
  ExpectRefused(api_->Refresh(b, kClient), "refresh_revoked");
}

TEST_F(AccountsApiTest, RefreshReReadsTheUser) {
  ReadyUser("worker.1", /*totp=*/false);
  auto signed_in = SignIn("worker.1", kNewPassword);
  ASSERT_TRUE(signed_in.ok());
  v1::UpdateUserRequest u;
  u.set_username("worker.1");
  u.set_role("street_officer");
  u.set_org_unit("500109001");
  auto updated = api_->UpdateUser(kAdmin, u);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->role(), "street_officer");
  v1::RefreshRequest r;
  r.set_refresh_token(signed_in->refresh_token());
  ExpectRefused(api_->Refresh(r, kClient), "refresh_refused");

  // A new sign-in carries the new role; disabling ends it too.
  auto again = SignIn("worker.1", kNewPassword);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(verifier_->Verify(again->access_token(), clock_.Now())->role,
            auth::Role::kStreetOfficer);
  v1::DisableUserRequest d;
  d.set_username("worker.1");
  d.set_reason("moved");
  ASSERT_TRUE(api_->DisableUser(kAdmin, d).ok());
  r.set_refresh_token(again->refresh_token());
  ExpectRefused(api_->Refresh(r, kClient), "refresh_refused");
}

TEST_F(AccountsApiTest, ASignInEndsAfterTheRefreshLifetimeAndAtSignOut) {
  ReadyUser("worker.1", /*totp=*/false);
  auto s1 = SignIn("worker.1", kNewPassword);
  ASSERT_TRUE(s1.ok());
  clock_.Advance(absl::Hours(12));
  v1::RefreshRequest r;
  r.set_refresh_token(s1->refresh_token());
  ExpectRefused(api_->Refresh(r, kClient), "refresh_invalid");

  auto s2 = SignIn("worker.1", kNewPassword);
  ASSERT_TRUE(s2.ok());
  v1::SignOutRequest out;
  out.set_refresh_token(s2->refresh_token());
  ASSERT_TRUE(api_->SignOut(out, kClient).ok());
  r.set_refresh_token(s2->refresh_token());
  ExpectRefused(api_->Refresh(r, kClient), "refresh_revoked");
  out.set_refresh_token("unknown");
  EXPECT_TRUE(api_->SignOut(out, kClient).ok());  // the same answer
}

TEST_F(AccountsApiTest, AWeakerHashIsReplacedAtTheNextSuccessfulSignIn) {
  ReadyUser("worker.1", /*totp=*/false);
  const std::string before = (*store_.GetAccount("worker.1"))->password_hash;
  api_ = MakeApi({.memory_kib = 128, .passes = 2});
  ASSERT_TRUE(SignIn("worker.1", kNewPassword).ok());
  const std::string after = (*store_.GetAccount("worker.1"))->password_hash;
  EXPECT_NE(before, after);
  EXPECT_THAT(after, HasSubstr("m=128,t=2"));
  EXPECT_TRUE(SignIn("worker.1", kNewPassword).ok());
}

TEST_F(AccountsApiTest, UpdateUserChecksTheExpectedVersionAndTheNewJurisdiction) {
  auto created = api_->CreateUser(kAdmin, Worker());
  ASSERT_TRUE(created.ok());
  v1::UpdateUserRequest u;
  u.set_username("worker.1");
  u.set_expected_version(created->version() + 5);
  u.set_display_name("New name");
  EXPECT_EQ(api_->UpdateUser(kAdmin, u).status().code(), absl::StatusCode::kAborted);
  u.set_expected_version(created->version());
  auto updated = api_->UpdateUser(kAdmin, u);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->display_name(), "New name");
  EXPECT_EQ(updated->version(), created->version() + 1);
  v1::UpdateUserRequest move;
  move.set_username("worker.1");
  move.set_org_unit("500110001002");  // another district
  EXPECT_EQ(api_->UpdateUser(kAdmin, move).status().code(), absl::StatusCode::kPermissionDenied);
  move.set_org_unit("500109001");  // a street for a community worker
  EXPECT_EQ(api_->UpdateUser(kAdmin, move).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AccountsApiTest, ListUsersShowsTheAdminsDistrictPageByPage) {
  for (const char* name : {"a.1", "b.1", "c.1", "d.1"}) {
    ASSERT_TRUE(api_->CreateUser(kAdmin, Worker(name)).ok());
  }
  v1::CreateUserRequest other = Worker("e.1");
  other.set_org_unit("500110001002");
  ASSERT_TRUE(api_->CreateUser(kService, other).ok());

  v1::ListUsersRequest req;
  req.set_page_size(3);
  auto p1 = api_->ListUsers(kAdmin, req);
  ASSERT_TRUE(p1.ok()) << p1.status();
  ASSERT_EQ(p1->users_size(), 3);
  EXPECT_EQ(p1->users(0).username(), "a.1");
  ASSERT_NE(p1->next_page_token(), "");
  req.set_page_token(p1->next_page_token());
  auto p2 = api_->ListUsers(kAdmin, req);
  ASSERT_TRUE(p2.ok()) << p2.status();
  ASSERT_EQ(p2->users_size(), 1);
  EXPECT_EQ(p2->users(0).username(), "d.1");
  EXPECT_EQ(p2->next_page_token(), "");

  auto all = api_->ListUsers(kService, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->users_size(), 5);
  v1::ListUsersRequest elsewhere;
  elsewhere.set_org_unit("500110");
  EXPECT_EQ(api_->ListUsers(kAdmin, elsewhere).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AccountsApiTest, ResetCredentialsForcesANewPasswordAndEndsSessions) {
  const std::string secret = ReadyUser("worker.1", /*totp=*/true);
  auto s = SignIn("worker.1", kNewPassword, Code(secret));
  ASSERT_TRUE(s.ok()) << s.status();
  v1::ResetCredentialsRequest r;
  r.set_username("worker.1");
  r.set_new_initial_password("reset-password-3");
  r.set_reset_totp(true);
  auto reset = api_->ResetCredentials(kAdmin, r);
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_FALSE(reset->user().totp_enrolled());
  EXPECT_TRUE(reset->user().must_change_password());
  v1::RefreshRequest rr;
  rr.set_refresh_token(s->refresh_token());
  ExpectRefused(api_->Refresh(rr, kClient), "refresh_refused");
  auto again = SignIn("worker.1", "reset-password-3");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->password_change_required());
  EXPECT_TRUE(again->totp_enrolment_required());
}

}  // namespace
}  // namespace firegrid::accounts
