#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/accounts/v1/accounts.pb.h"
#include "libs/accounts/password.h"
#include "libs/auth/principal.h"
#include "libs/auth/rate_limit.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/accounts/keys.h"
#include "services/accounts/store.h"

namespace firegrid::accounts {

struct AccountsOptions {
  absl::Duration access_token_ttl = absl::Minutes(15);
  // How long a sign-in lasts: each refresh token expires with the sign-in it descends from
  // (rotation does not extend it).
  absl::Duration refresh_token_ttl = absl::Hours(12);
  absl::Duration enrolment_token_ttl = absl::Minutes(10);
  std::string issuer;    // iss of the access tokens ("": none)
  std::string audience;  // aud of the access tokens ("": none)
  // Per user name: `max_failures` failed sign-ins within `failure_window` lock it for
  // `lock_duration`.
  int max_failures = 5;
  absl::Duration failure_window = absl::Minutes(15);
  absl::Duration lock_duration = absl::Minutes(15);
  // Per client address and replica: sign-in attempts a minute (0: no limit).
  int attempts_per_address_per_minute = 30;
  PasswordParams password_params;
  std::string totp_issuer = "firegrid";
};

// Enrolment tokens (a user who must change the password or enrol a second factor first): the
// user's claims plus aud "firegrid-enrolment" and token_use "enrolment", which every other
// verifier refuses (libs/auth/token.h VerifierOptions::token_use).
inline constexpr char kEnrolmentAudience[] = "firegrid-enrolment";
inline constexpr char kEnrolmentUse[] = "enrolment";

// What happened to one sign-in, refresh or sign-out (the service audits it and counts it).
// `outcome` is one of: ok, enrolment_required, rate_limited, locked, unknown_user,
// wrong_password, wrong_totp, totp_replayed, disabled, refresh_ok, refresh_invalid,
// refresh_reuse, refresh_revoked, refresh_refused, signed_out.
struct SignInEvent {
  std::string method;  // "SignIn", "Refresh", "SignOut"
  std::string username;
  std::string outcome;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string client_address;
  const v1::User* user = nullptr;  // when known
};
using SignInObserver = std::function<void(const SignInEvent&)>;

// The accounts service's logic, independent of gRPC: the caller's principal (already
// authenticated) or client address comes in, a response or a status goes out.
class AccountsApi {
 public:
  static absl::StatusOr<std::unique_ptr<AccountsApi>> Create(Store* store, const SigningKey* key,
                                                             Clock* clock, IdGenerator* ids,
                                                             AccountsOptions options,
                                                             SignInObserver observer = nullptr);

  // District admins (within their district) and internal services.
  absl::StatusOr<v1::User> CreateUser(const auth::Principal& caller,
                                      const v1::CreateUserRequest& req);
  absl::StatusOr<v1::User> GetUser(const auth::Principal& caller, const v1::GetUserRequest& req);
  absl::StatusOr<v1::ListUsersResponse> ListUsers(const auth::Principal& caller,
                                                  const v1::ListUsersRequest& req);
  absl::StatusOr<v1::User> UpdateUser(const auth::Principal& caller,
                                      const v1::UpdateUserRequest& req);
  absl::StatusOr<v1::User> DisableUser(const auth::Principal& caller,
                                       const v1::DisableUserRequest& req);
  absl::StatusOr<v1::User> EnableUser(const auth::Principal& caller,
                                      const v1::EnableUserRequest& req);
  absl::StatusOr<v1::ResetCredentialsResponse> ResetCredentials(
      const auth::Principal& caller, const v1::ResetCredentialsRequest& req);

  // Unauthenticated; `client_address` is whom the per-address limit charges.
  absl::StatusOr<v1::SignInResponse> SignIn(const v1::SignInRequest& req,
                                            const std::string& client_address);
  absl::StatusOr<v1::SignInResponse> Refresh(const v1::RefreshRequest& req,
                                             const std::string& client_address);
  absl::StatusOr<v1::SignOutResponse> SignOut(const v1::SignOutRequest& req,
                                              const std::string& client_address);
  v1::Jwks GetJwks() const;

  // The signed-in user (an access token or an enrolment token of theirs).
  absl::StatusOr<v1::ChangePasswordResponse> ChangePassword(const auth::Principal& caller,
                                                            const v1::ChangePasswordRequest& req);
  absl::StatusOr<v1::TotpEnrolment> BeginTotpEnrolment(const auth::Principal& caller,
                                                       const v1::BeginTotpEnrolmentRequest& req);
  absl::StatusOr<v1::User> ConfirmTotpEnrolment(const auth::Principal& caller,
                                                const v1::ConfirmTotpEnrolmentRequest& req);

  // Verifies enrolment tokens (this service's key, aud firegrid-enrolment, token_use
  // enrolment).
  const auth::TokenVerifier& enrolment_verifier() const { return *enrolment_verifier_; }

 private:
  AccountsApi(Store* store, const SigningKey* key, Clock* clock, IdGenerator* ids,
              AccountsOptions options, SignInObserver observer);

  // Reads the account, applies `change` and writes it back with its version bumped, retrying
  // when another writer came first. NOT_FOUND when there is no such user.
  absl::StatusOr<Account> Mutate(const std::string& username,
                                 const std::function<absl::Status(Account&)>& change);
  absl::StatusOr<Account> Load(const std::string& username);
  absl::StatusOr<Account> LoadManaged(const auth::Principal& caller, const std::string& username);
  absl::StatusOr<Account> LoadSelf(const auth::Principal& caller);
  absl::Status RecordFailure(const std::string& username, absl::Time now);
  absl::Status ClearFailures(const std::string& username);
  absl::StatusOr<v1::SignInResponse> IssueSession(const Account& account, absl::Time now,
                                                  const std::string& family,
                                                  absl::Time family_expires,
                                                  const std::string* old_refresh_hash);
  absl::Status Observe(SignInEvent event, absl::Status result);

  Store* store_;
  const SigningKey* key_;
  Clock* clock_;
  IdGenerator* ids_;
  AccountsOptions options_;
  SignInObserver observer_;
  std::unique_ptr<auth::RateLimiter> address_limiter_;
  std::unique_ptr<auth::TokenVerifier> enrolment_verifier_;
  std::string dummy_hash_;  // verified against for unknown users (same cost as a real one)
};

// The user name of a principal that is a signed-in user ("user:<username>"); PERMISSION_DENIED
// for any other subject.
absl::StatusOr<std::string> UsernameOf(const auth::Principal& p);

// Hex SHA-256 of a refresh token (what the store keeps).
std::string RefreshTokenHash(const std::string& token);

}  // namespace firegrid::accounts
