#include "services/accounts/service.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/accounts/totp.h"
#include "libs/auth/scope.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "services/accounts/access.h"

namespace firegrid::accounts {
namespace {

using google::protobuf::util::TimeUtil;

// What every refused sign-in says, whatever the reason (no user enumeration; the audit says
// which).
constexpr char kInvalidCredentials[] = "invalid credentials or locked";
constexpr char kInvalidRefresh[] = "refresh token is invalid, expired or revoked";
constexpr int kMaxWriteAttempts = 5;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr int kListScanBatch = 200;
constexpr int kListScanLimit = 5000;  // accounts read per ListUsers call at most
constexpr size_t kMaxDisplayName = 128;
constexpr size_t kMaxReason = 500;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return "";
  }
  return out;
}

// The field name in a password check's message ("password: ...") replaced by the request's.
absl::Status PasswordProblem(const absl::Status& s, absl::string_view field) {
  std::string what(s.message());
  if (absl::StartsWith(what, "password: ")) what = what.substr(10);
  return InvalidField(field, what);
}

absl::Status CheckDisplayName(const std::string& name, bool required) {
  if (name.empty()) {
    return required ? InvalidField("display_name", "required") : absl::OkStatus();
  }
  if (name.size() > kMaxDisplayName) {
    return InvalidField("display_name", absl::StrCat("at most ", kMaxDisplayName, " bytes"));
  }
  return absl::OkStatus();
}

bool OrgUnitWithin(const v1::User& u, const std::string& filter) {
  return absl::StartsWith(u.org_unit(), filter) || absl::StartsWith(u.tier_path(), filter);
}

}  // namespace

std::string RefreshTokenHash(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::string> UsernameOf(const auth::Principal& p) {
  if (!absl::StartsWith(p.subject, "user:") || p.subject.size() <= 5) {
    return absl::PermissionDeniedError("only a signed-in user (subject user:<name>) may do this");
  }
  return p.subject.substr(5);
}

absl::StatusOr<std::unique_ptr<AccountsApi>> AccountsApi::Create(Store* store,
                                                                 const SigningKey* key,
                                                                 Clock* clock, IdGenerator* ids,
                                                                 AccountsOptions options,
                                                                 SignInObserver observer) {
  if (options.access_token_ttl < absl::Minutes(1) || options.refresh_token_ttl < absl::Minutes(1)) {
    return absl::InvalidArgumentError("token lifetimes must be at least a minute");
  }
  std::unique_ptr<AccountsApi> api(
      new AccountsApi(store, key, clock, ids, std::move(options), std::move(observer)));
  auth::VerifierOptions vo;
  vo.rs256_public_key_pem = key->public_pem();
  vo.audience = kEnrolmentAudience;
  vo.token_use = kEnrolmentUse;
  vo.cache_capacity = 0;
  FG_ASSIGN_OR_RETURN(api->enrolment_verifier_, auth::TokenVerifier::Create(std::move(vo)));
  FG_ASSIGN_OR_RETURN(api->dummy_hash_, HashPassword(absl::BytesToHexString(RandomBytes(16)),
                                                     api->options_.password_params));
  return api;
}

AccountsApi::AccountsApi(Store* store, const SigningKey* key, Clock* clock, IdGenerator* ids,
                         AccountsOptions options, SignInObserver observer)
    : store_(store),
      key_(key),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)),
      observer_(std::move(observer)) {
  if (options_.attempts_per_address_per_minute > 0) {
    address_limiter_ =
        std::make_unique<auth::RateLimiter>(options_.attempts_per_address_per_minute / 60.0,
                                            options_.attempts_per_address_per_minute, clock_);
  }
}

// --- helpers ---------------------------------------------------------------------------------

absl::StatusOr<Account> AccountsApi::Load(const std::string& username) {
  FG_ASSIGN_OR_RETURN(std::optional<Account> a, store_->GetAccount(username));
  if (!a.has_value()) return absl::NotFoundError(absl::StrCat("user ", username, " not found"));
  return *std::move(a);
}

absl::StatusOr<Account> AccountsApi::LoadManaged(const auth::Principal& caller,
                                                 const std::string& username) {
  FG_RETURN_IF_ERROR(MayManageUsers(caller));
  FG_RETURN_IF_ERROR(ValidateUsername(username));
  FG_ASSIGN_OR_RETURN(Account a, Load(username));
  FG_RETURN_IF_ERROR(MayManageUser(caller, a.user.tier_path()));
  return a;
}

absl::StatusOr<Account> AccountsApi::LoadSelf(const auth::Principal& caller) {
  FG_ASSIGN_OR_RETURN(std::string username, UsernameOf(caller));
  FG_ASSIGN_OR_RETURN(Account a, Load(username));
  if (a.user.state() != v1::USER_STATE_ACTIVE) {
    return absl::PermissionDeniedError("the user is disabled");
  }
  return a;
}

absl::StatusOr<Account> AccountsApi::Mutate(const std::string& username,
                                            const std::function<absl::Status(Account&)>& change) {
  for (int attempt = 0;; ++attempt) {
    FG_ASSIGN_OR_RETURN(Account a, Load(username));
    const int64_t version = a.user.version();
    FG_RETURN_IF_ERROR(change(a));
    a.user.set_version(version + 1);
    *a.user.mutable_updated_at() = Ts(clock_->Now());
    absl::Status s = store_->PutAccount(a, version);
    if (s.ok()) return a;
    if (s.code() != absl::StatusCode::kAborted || attempt + 1 >= kMaxWriteAttempts) return s;
  }
}

absl::Status AccountsApi::RecordFailure(const std::string& username, absl::Time now) {
  const int64_t now_ms = absl::ToUnixMillis(now);
  const int64_t window_ms = absl::ToInt64Milliseconds(options_.failure_window);
  for (int attempt = 0;; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::optional<Throttle> old, store_->GetThrottle(username));
    Throttle next = old.value_or(Throttle{});
    std::erase_if(next.failures_ms, [&](int64_t t) { return t <= now_ms - window_ms; });
    next.failures_ms.push_back(now_ms);
    if (static_cast<int>(next.failures_ms.size()) >= options_.max_failures) {
      next.locked_until_ms = now_ms + absl::ToInt64Milliseconds(options_.lock_duration);
      next.failures_ms.clear();
    }
    absl::Status s = store_->PutThrottle(username, old, next);
    if (s.ok()) return s;
    if (s.code() != absl::StatusCode::kAborted || attempt + 1 >= kMaxWriteAttempts) return s;
  }
}

absl::Status AccountsApi::ClearFailures(const std::string& username) {
  FG_ASSIGN_OR_RETURN(std::optional<Throttle> old, store_->GetThrottle(username));
  if (!old.has_value() || *old == Throttle{}) return absl::OkStatus();
  absl::Status s = store_->PutThrottle(username, old, Throttle{});
  // Lost to a concurrent failure: that failure stands.
  return s.code() == absl::StatusCode::kAborted ? absl::OkStatus() : s;
}

absl::Status AccountsApi::Observe(SignInEvent event, absl::Status result) {
  event.code = result.code();
  if (observer_) observer_(event);
  return result;
}

absl::StatusOr<v1::SignInResponse> AccountsApi::IssueSession(const Account& account, absl::Time now,
                                                             const std::string& family,
                                                             absl::Time family_expires,
                                                             const std::string* old_refresh_hash) {
  const v1::User& u = account.user;
  absl::StatusOr<auth::Principal> p =
      PrincipalFor(u.username(), u.role(), u.org_unit(), u.department());
  if (!p.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the user's role and jurisdiction are no longer valid: ", p.status().message()));
  }
  FG_ASSIGN_OR_RETURN(std::string access, key_->signer().Sign(*p, now, options_.access_token_ttl,
                                                              options_.issuer, options_.audience));
  const std::string random = RandomBytes(32);
  if (random.empty()) return absl::InternalError("no randomness for a refresh token");
  const std::string refresh = absl::WebSafeBase64Escape(random);
  RefreshRecord record{.username = u.username(),
                       .family = family,
                       .generation = account.generation,
                       .expires = family_expires};
  if (old_refresh_hash != nullptr) {
    FG_RETURN_IF_ERROR(store_->RotateRefresh(*old_refresh_hash, RefreshTokenHash(refresh), record));
  } else {
    FG_RETURN_IF_ERROR(store_->AddRefresh(RefreshTokenHash(refresh), record));
  }
  v1::SignInResponse r;
  r.set_access_token(access);
  *r.mutable_access_token_expires_at() = Ts(now + options_.access_token_ttl);
  r.set_refresh_token(refresh);
  *r.mutable_refresh_token_expires_at() = Ts(family_expires);
  *r.mutable_user() = u;
  return r;
}

// --- user management -------------------------------------------------------------------------

absl::StatusOr<v1::User> AccountsApi::CreateUser(const auth::Principal& caller,
                                                 const v1::CreateUserRequest& req) {
  FG_RETURN_IF_ERROR(MayManageUsers(caller));
  FG_RETURN_IF_ERROR(ValidateUsername(req.username()));
  FG_RETURN_IF_ERROR(CheckDisplayName(req.display_name(), /*required=*/true));
  FG_ASSIGN_OR_RETURN(auth::Principal p,
                      PrincipalFor(req.username(), req.role(), req.org_unit(), req.department()));
  FG_RETURN_IF_ERROR(MayManageUser(caller, p.tier_path));
  if (absl::Status s = ValidatePassword(req.initial_password()); !s.ok()) {
    return PasswordProblem(s, "initial_password");
  }
  Account a;
  FG_ASSIGN_OR_RETURN(a.password_hash,
                      HashPassword(req.initial_password(), options_.password_params));
  a.require_totp = req.require_totp();
  const absl::Time now = clock_->Now();
  v1::User& u = a.user;
  u.set_user_id(ids_->NewId("usr"));
  u.set_username(req.username());
  u.set_display_name(req.display_name());
  SetJurisdiction(p, &u);
  u.set_state(v1::USER_STATE_ACTIVE);
  u.set_must_change_password(true);
  *u.mutable_created_at() = Ts(now);
  *u.mutable_updated_at() = Ts(now);
  u.set_created_by(caller.subject);
  u.set_version(1);
  FG_RETURN_IF_ERROR(store_->CreateAccount(a));
  return u;
}

absl::StatusOr<v1::User> AccountsApi::GetUser(const auth::Principal& caller,
                                              const v1::GetUserRequest& req) {
  FG_ASSIGN_OR_RETURN(Account a, LoadManaged(caller, req.username()));
  return a.user;
}

absl::StatusOr<v1::ListUsersResponse> AccountsApi::ListUsers(const auth::Principal& caller,
                                                             const v1::ListUsersRequest& req) {
  FG_RETURN_IF_ERROR(MayManageUsers(caller));
  if (req.page_size() < 0) return InvalidField("page_size", "must not be negative");
  const int page_size =
      req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize);
  if (!req.role().empty()) FG_RETURN_IF_ERROR(ParseHumanRole(req.role()).status());
  if (!req.org_unit().empty() && caller.role != auth::Role::kInternalService) {
    // The filter names a place (its division code, before any ".<department>" or station).
    FG_RETURN_IF_ERROR(
        auth::RequireTier(caller, req.org_unit().substr(0, req.org_unit().find('.'))));
  }
  const std::string listing = absl::StrCat(caller.subject, "\n", caller.tier_path, "\n",
                                           req.org_unit(), "\n", req.role(), "\n", req.state());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  v1::ListUsersResponse resp;
  int scanned = 0;
  for (;;) {
    FG_ASSIGN_OR_RETURN(std::vector<Account> batch, store_->ListAccounts(cursor, kListScanBatch));
    for (const Account& a : batch) {
      cursor = a.user.username();
      ++scanned;
      const v1::User& u = a.user;
      if (!auth::CoversTierPath(caller, u.tier_path())) continue;
      if (!req.org_unit().empty() && !OrgUnitWithin(u, req.org_unit())) continue;
      if (!req.role().empty() && u.role() != req.role()) continue;
      if (req.state() != v1::USER_STATE_UNSPECIFIED && u.state() != req.state()) continue;
      *resp.add_users() = u;
      if (resp.users_size() >= page_size) break;
    }
    if (resp.users_size() >= page_size || scanned >= kListScanLimit) {
      resp.set_next_page_token(EncodePageToken(listing, cursor));
      break;
    }
    if (static_cast<int>(batch.size()) < kListScanBatch) break;  // the end
  }
  return resp;
}

absl::StatusOr<v1::User> AccountsApi::UpdateUser(const auth::Principal& caller,
                                                 const v1::UpdateUserRequest& req) {
  FG_RETURN_IF_ERROR(LoadManaged(caller, req.username()).status());
  FG_RETURN_IF_ERROR(CheckDisplayName(req.display_name(), /*required=*/false));
  if (req.expected_version() < 0) return InvalidField("expected_version", "must not be negative");
  FG_ASSIGN_OR_RETURN(
      Account updated, Mutate(req.username(), [&](Account& a) -> absl::Status {
        v1::User& u = a.user;
        if (req.expected_version() != 0 && req.expected_version() != u.version()) {
          return absl::AbortedError(absl::StrCat("user ", u.username(), " is at version ",
                                                 u.version(), ", not ", req.expected_version()));
        }
        FG_RETURN_IF_ERROR(MayManageUser(caller, u.tier_path()));
        if (!req.display_name().empty()) u.set_display_name(req.display_name());
        const bool role_changed = !req.role().empty() && req.role() != u.role();
        if (role_changed || !req.org_unit().empty() || !req.department().empty()) {
          const std::string role = req.role().empty() ? u.role() : req.role();
          const std::string org_unit = req.org_unit().empty() ? u.org_unit() : req.org_unit();
          // A department comes with the request, else from the org unit ("<district>.<slug>"),
          // else it is kept while the role and org unit stay.
          const std::string department = !req.department().empty() ? req.department()
                                         : (role_changed || !req.org_unit().empty())
                                             ? ""
                                             : u.department();
          FG_ASSIGN_OR_RETURN(auth::Principal p,
                              PrincipalFor(u.username(), role, org_unit, department));
          FG_RETURN_IF_ERROR(MayManageUser(caller, p.tier_path));
          v1::User before = u;
          SetJurisdiction(p, &u);
          if (before.role() != u.role() || before.org_unit() != u.org_unit() ||
              before.department() != u.department()) {
            ++a.generation;  // every session ends: its tokens carried the old claims
          }
        }
        return absl::OkStatus();
      }));
  return updated.user;
}

absl::StatusOr<v1::User> AccountsApi::DisableUser(const auth::Principal& caller,
                                                  const v1::DisableUserRequest& req) {
  if (req.reason().empty()) return InvalidField("reason", "required");
  if (req.reason().size() > kMaxReason) {
    return InvalidField("reason", absl::StrCat("at most ", kMaxReason, " bytes"));
  }
  FG_ASSIGN_OR_RETURN(Account current, LoadManaged(caller, req.username()));
  if (current.user.state() == v1::USER_STATE_DISABLED) return current.user;
  FG_ASSIGN_OR_RETURN(Account a, Mutate(req.username(), [&](Account& a) {
                        a.user.set_state(v1::USER_STATE_DISABLED);
                        ++a.generation;
                        return absl::OkStatus();
                      }));
  return a.user;
}

absl::StatusOr<v1::User> AccountsApi::EnableUser(const auth::Principal& caller,
                                                 const v1::EnableUserRequest& req) {
  FG_ASSIGN_OR_RETURN(Account current, LoadManaged(caller, req.username()));
  if (current.user.state() == v1::USER_STATE_ACTIVE) return current.user;
  FG_ASSIGN_OR_RETURN(Account a, Mutate(req.username(), [&](Account& a) {
                        a.user.set_state(v1::USER_STATE_ACTIVE);
                        return absl::OkStatus();
                      }));
  return a.user;
}

absl::StatusOr<v1::ResetCredentialsResponse> AccountsApi::ResetCredentials(
    const auth::Principal& caller, const v1::ResetCredentialsRequest& req) {
  FG_RETURN_IF_ERROR(LoadManaged(caller, req.username()).status());
  if (absl::Status s = ValidatePassword(req.new_initial_password()); !s.ok()) {
    return PasswordProblem(s, "new_initial_password");
  }
  FG_ASSIGN_OR_RETURN(std::string hash,
                      HashPassword(req.new_initial_password(), options_.password_params));
  FG_ASSIGN_OR_RETURN(Account a, Mutate(req.username(), [&](Account& a) {
                        a.password_hash = hash;
                        a.user.set_must_change_password(true);
                        if (req.reset_totp()) {
                          a.totp_secret.clear();
                          a.totp_pending.clear();
                          a.totp_last_step = -1;
                          a.user.set_totp_enrolled(false);
                        }
                        ++a.generation;
                        return absl::OkStatus();
                      }));
  FG_RETURN_IF_ERROR(ClearFailures(req.username()));  // the admin vouches: unlock too
  v1::ResetCredentialsResponse r;
  *r.mutable_user() = a.user;
  return r;
}

// --- sign-in ---------------------------------------------------------------------------------

absl::StatusOr<v1::SignInResponse> AccountsApi::SignIn(const v1::SignInRequest& req,
                                                       const std::string& client_address) {
  SignInEvent ev{.method = "SignIn", .username = req.username(), .client_address = client_address};
  auto refuse = [&](absl::string_view outcome) {
    ev.outcome = std::string(outcome);
    return Observe(ev, absl::UnauthenticatedError(kInvalidCredentials));
  };
  if (address_limiter_ != nullptr && !address_limiter_->Allow(client_address)) {
    ev.outcome = "rate_limited";
    return Observe(ev, absl::ResourceExhaustedError(
                           "too many sign-in attempts from this client address; retry later"));
  }
  if (req.username().empty()) return InvalidField("username", "required");
  if (req.password().empty()) return InvalidField("password", "required");
  const absl::Time now = clock_->Now();
  const bool well_formed = ValidateUsername(req.username()).ok();

  std::optional<Throttle> throttle;
  if (well_formed) {
    FG_ASSIGN_OR_RETURN(throttle, store_->GetThrottle(req.username()));
  }
  if (throttle.has_value() && throttle->locked_until_ms > absl::ToUnixMillis(now)) {
    return refuse("locked");
  }
  std::optional<Account> account;
  if (well_formed) {
    FG_ASSIGN_OR_RETURN(account, store_->GetAccount(req.username()));
  }
  if (!account.has_value()) {
    VerifyPassword(req.password(), dummy_hash_);  // the same time as a known user's check
    if (well_formed) FG_RETURN_IF_ERROR(RecordFailure(req.username(), now));
    return refuse("unknown_user");
  }
  ev.user = &account->user;
  if (!VerifyPassword(req.password(), account->password_hash)) {
    FG_RETURN_IF_ERROR(RecordFailure(req.username(), now));
    return refuse("wrong_password");
  }
  if (account->user.state() != v1::USER_STATE_ACTIVE) return refuse("disabled");

  // The second factor, checked and consumed in the same write (a code is never used twice,
  // also not on two replicas at once).
  std::string totp_outcome;
  const bool rehash = NeedsRehash(account->password_hash, options_.password_params);
  std::string new_hash;
  if (rehash) {
    FG_ASSIGN_OR_RETURN(new_hash, HashPassword(req.password(), options_.password_params));
  }
  absl::StatusOr<Account> updated = Mutate(req.username(), [&](Account& a) -> absl::Status {
    if (!a.totp_secret.empty()) {
      std::optional<uint64_t> last;
      if (a.totp_last_step >= 0) last = static_cast<uint64_t>(a.totp_last_step);
      std::optional<uint64_t> step = VerifyTotp(a.totp_secret, req.totp_code(), now, last);
      if (!step.has_value()) {
        totp_outcome = VerifyTotp(a.totp_secret, req.totp_code(), now).has_value() ? "totp_replayed"
                                                                                   : "wrong_totp";
        return absl::UnauthenticatedError(kInvalidCredentials);
      }
      a.totp_last_step = static_cast<int64_t>(*step);
    }
    if (rehash) a.password_hash = new_hash;
    *a.user.mutable_last_sign_in_at() = Ts(now);
    return absl::OkStatus();
  });
  if (!updated.ok()) {
    if (!totp_outcome.empty()) {
      FG_RETURN_IF_ERROR(RecordFailure(req.username(), now));
      return refuse(totp_outcome);
    }
    return updated.status();
  }
  FG_RETURN_IF_ERROR(ClearFailures(req.username()));
  ev.user = &updated->user;

  const v1::User& u = updated->user;
  const bool enrol_totp = updated->require_totp && !u.totp_enrolled();
  if (u.must_change_password() || enrol_totp) {
    FG_ASSIGN_OR_RETURN(auth::Principal p,
                        PrincipalFor(u.username(), u.role(), u.org_unit(), u.department()));
    FG_ASSIGN_OR_RETURN(std::string token,
                        key_->signer().Sign(p, now, options_.enrolment_token_ttl, options_.issuer,
                                            kEnrolmentAudience, {{"token_use", kEnrolmentUse}}));
    v1::SignInResponse r;
    r.set_password_change_required(u.must_change_password());
    r.set_totp_enrolment_required(enrol_totp);
    r.set_enrolment_token(token);
    *r.mutable_user() = u;
    ev.outcome = "enrolment_required";
    Observe(ev, absl::OkStatus()).IgnoreError();
    return r;
  }
  absl::StatusOr<v1::SignInResponse> r =
      IssueSession(*updated, now, ids_->NewId("fam"), now + options_.refresh_token_ttl, nullptr);
  ev.outcome = "ok";
  if (!r.ok()) ev.outcome = "error";
  Observe(ev, r.status()).IgnoreError();
  return r;
}

absl::StatusOr<v1::SignInResponse> AccountsApi::Refresh(const v1::RefreshRequest& req,
                                                        const std::string& client_address) {
  SignInEvent ev{.method = "Refresh", .client_address = client_address};
  auto refuse = [&](absl::string_view outcome) {
    ev.outcome = std::string(outcome);
    return Observe(ev, absl::UnauthenticatedError(kInvalidRefresh));
  };
  if (req.refresh_token().empty()) return InvalidField("refresh_token", "required");
  if (address_limiter_ != nullptr && !address_limiter_->Allow(client_address)) {
    ev.outcome = "rate_limited";
    return Observe(ev, absl::ResourceExhaustedError(
                           "too many sign-in attempts from this client address; retry later"));
  }
  const absl::Time now = clock_->Now();
  const std::string hash = RefreshTokenHash(req.refresh_token());
  FG_ASSIGN_OR_RETURN(std::optional<RefreshRecord> rec, store_->GetRefresh(hash));
  if (!rec.has_value() || rec->expires <= now) return refuse("refresh_invalid");
  ev.username = rec->username;
  if (rec->used) {
    // A used token again: it was stolen, or its rotation was. End the whole sign-in.
    FG_RETURN_IF_ERROR(store_->RevokeFamily(rec->family, rec->expires));
    return refuse("refresh_reuse");
  }
  FG_ASSIGN_OR_RETURN(bool revoked, store_->FamilyRevoked(rec->family));
  if (revoked) return refuse("refresh_revoked");
  FG_ASSIGN_OR_RETURN(std::optional<Account> account, store_->GetAccount(rec->username));
  if (!account.has_value() || account->user.state() != v1::USER_STATE_ACTIVE ||
      account->generation != rec->generation) {
    return refuse("refresh_refused");
  }
  ev.user = &account->user;
  absl::StatusOr<v1::SignInResponse> r =
      IssueSession(*account, now, rec->family, rec->expires, &hash);
  if (r.status().code() == absl::StatusCode::kAborted) {  // lost a race with another use
    FG_RETURN_IF_ERROR(store_->RevokeFamily(rec->family, rec->expires));
    return refuse("refresh_reuse");
  }
  ev.outcome = r.ok() ? "refresh_ok" : "error";
  Observe(ev, r.status()).IgnoreError();
  return r;
}

absl::StatusOr<v1::SignOutResponse> AccountsApi::SignOut(const v1::SignOutRequest& req,
                                                         const std::string& client_address) {
  if (req.refresh_token().empty()) return InvalidField("refresh_token", "required");
  FG_ASSIGN_OR_RETURN(std::optional<RefreshRecord> rec,
                      store_->GetRefresh(RefreshTokenHash(req.refresh_token())));
  if (rec.has_value()) {
    FG_RETURN_IF_ERROR(store_->RevokeFamily(rec->family, rec->expires));
    Observe({.method = "SignOut",
             .username = rec->username,
             .outcome = "signed_out",
             .client_address = client_address},
            absl::OkStatus())
        .IgnoreError();
  }
  return v1::SignOutResponse();  // the same answer for an unknown token
}

v1::Jwks AccountsApi::GetJwks() const {
  v1::Jwks j;
  j.set_json(key_->jwks_json());
  return j;
}

// --- the signed-in user ----------------------------------------------------------------------

absl::StatusOr<v1::ChangePasswordResponse> AccountsApi::ChangePassword(
    const auth::Principal& caller, const v1::ChangePasswordRequest& req) {
  FG_ASSIGN_OR_RETURN(Account a, LoadSelf(caller));
  if (req.current_password().empty()) return InvalidField("current_password", "required");
  if (absl::Status s = ValidatePassword(req.new_password()); !s.ok()) {
    return PasswordProblem(s, "new_password");
  }
  if (req.new_password() == req.current_password()) {
    return InvalidField("new_password", "must differ from the current password");
  }
  if (!VerifyPassword(req.current_password(), a.password_hash)) {
    FG_RETURN_IF_ERROR(RecordFailure(a.user.username(), clock_->Now()));
    return absl::UnauthenticatedError("current_password is wrong");
  }
  FG_ASSIGN_OR_RETURN(std::string hash, HashPassword(req.new_password(), options_.password_params));
  FG_ASSIGN_OR_RETURN(Account updated, Mutate(a.user.username(), [&](Account& a) {
                        a.password_hash = hash;
                        a.user.set_must_change_password(false);
                        return absl::OkStatus();
                      }));
  v1::ChangePasswordResponse r;
  *r.mutable_user() = updated.user;
  return r;
}

absl::StatusOr<v1::TotpEnrolment> AccountsApi::BeginTotpEnrolment(
    const auth::Principal& caller, const v1::BeginTotpEnrolmentRequest&) {
  FG_ASSIGN_OR_RETURN(Account a, LoadSelf(caller));
  if (a.user.totp_enrolled()) {
    return absl::FailedPreconditionError(
        "a second factor is enrolled; a district admin resets it (ResetCredentials reset_totp)");
  }
  const std::string secret = NewTotpSecret();
  FG_RETURN_IF_ERROR(Mutate(a.user.username(), [&](Account& a) {
                       a.totp_pending = secret;
                       return absl::OkStatus();
                     }).status());
  v1::TotpEnrolment e;
  e.set_secret_base32(Base32Encode(secret));
  e.set_otpauth_uri(TotpUri(options_.totp_issuer, a.user.username(), secret));
  return e;
}

absl::StatusOr<v1::User> AccountsApi::ConfirmTotpEnrolment(
    const auth::Principal& caller, const v1::ConfirmTotpEnrolmentRequest& req) {
  FG_ASSIGN_OR_RETURN(Account current, LoadSelf(caller));
  if (req.totp_code().empty()) return InvalidField("totp_code", "required");
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(
      Account a, Mutate(current.user.username(), [&](Account& a) -> absl::Status {
        if (a.user.totp_enrolled()) {
          return absl::FailedPreconditionError("a second factor is already enrolled");
        }
        if (a.totp_pending.empty()) {
          return absl::FailedPreconditionError("no enrolment begun (BeginTotpEnrolment first)");
        }
        std::optional<uint64_t> step = VerifyTotp(a.totp_pending, req.totp_code(), now);
        if (!step.has_value()) return InvalidField("totp_code", "does not match the new secret");
        a.totp_secret = a.totp_pending;
        a.totp_pending.clear();
        a.totp_last_step = static_cast<int64_t>(*step);
        a.user.set_totp_enrolled(true);
        return absl::OkStatus();
      }));
  return a.user;
}

}  // namespace firegrid::accounts
