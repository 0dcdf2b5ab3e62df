#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/accounts/v1/accounts.pb.h"
#include "libs/redis/pool.h"

namespace firegrid::accounts {

// A user as the accounts service keeps it: the public view (v1::User, whose `version` counts
// every change) and the credentials, which never leave the service.
struct Account {
  v1::User user;
  std::string password_hash;    // Argon2id PHC string (libs/accounts/password.h)
  bool require_totp = false;    // no token before a second factor is enrolled
  std::string totp_secret;      // raw bytes; "" until enrolment is confirmed
  std::string totp_pending;     // raw bytes of an enrolment begun and not yet confirmed
  int64_t totp_last_step = -1;  // the last TOTP step used (RFC 6238 §5.2: never twice)
  // Bumped whenever every session of the user must end (disable, role or jurisdiction change,
  // credentials reset): refresh tokens of an older generation are refused.
  int64_t generation = 0;
};

// Failed sign-ins of one user name (known or not): the times of the recent failures and the
// lock, as absolute times so that the rules run on the service's clock.
struct Throttle {
  std::vector<int64_t> failures_ms;
  int64_t locked_until_ms = 0;
  bool operator==(const Throttle&) const = default;
};

// A refresh token, stored under the SHA-256 of its text (the token itself is never stored).
struct RefreshRecord {
  std::string username;
  std::string family;  // the sign-in it descends from; reuse of a used token revokes it
  int64_t generation = 0;
  absl::Time expires = absl::InfinitePast();
  bool used = false;
};

// Where accounts live. Implementations: RedisStore (below) and the tests' MemoryStore.
class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<std::optional<Account>> GetAccount(const std::string& username) = 0;
  // ALREADY_EXISTS when the user name is taken.
  virtual absl::Status CreateAccount(const Account& account) = 0;
  // Replaces the account when its stored version is still `expected_version` (ABORTED
  // otherwise; NOT_FOUND when there is none). account.user.version() is the new version.
  virtual absl::Status PutAccount(const Account& account, int64_t expected_version) = 0;
  // The accounts whose user names sort after `after`, in order, at most `limit`.
  virtual absl::StatusOr<std::vector<Account>> ListAccounts(const std::string& after,
                                                            int limit) = 0;

  virtual absl::StatusOr<std::optional<Throttle>> GetThrottle(const std::string& username) = 0;
  // Replaces the throttle when the stored one is still `expected` (nullopt: none); ABORTED
  // otherwise (another attempt counted first: read again).
  virtual absl::Status PutThrottle(const std::string& username,
                                   const std::optional<Throttle>& expected,
                                   const Throttle& next) = 0;

  virtual absl::StatusOr<std::optional<RefreshRecord>> GetRefresh(
      const std::string& token_hash) = 0;
  virtual absl::Status AddRefresh(const std::string& token_hash, const RefreshRecord& record) = 0;
  // Marks `old_hash` used and adds `new_hash` in one write; ABORTED when `old_hash` was used
  // meanwhile (two refreshes raced: the loser is treated as a reuse).
  virtual absl::Status RotateRefresh(const std::string& old_hash, const std::string& new_hash,
                                     const RefreshRecord& record) = 0;
  virtual absl::Status MarkRefreshUsed(const std::string& token_hash) = 0;
  // Every token of `family` is refused from now on (kept until `until`, the family's end).
  virtual absl::Status RevokeFamily(const std::string& family, absl::Time until) = 0;
  virtual absl::StatusOr<bool> FamilyRevoked(const std::string& family) = 0;
};

// The store in Redis under `prefix` (fg:accounts):
//   <prefix>:user:<username>   hash {data: account JSON, version}
//   <prefix>:users             sorted set of user names (score 0: by name)
//   <prefix>:throttle:<name>   throttle JSON (expires an hour after its last change)
//   <prefix>:rt:<sha256 hex>   hash {data: record JSON, used: 0|1} (expires with the token)
//   <prefix>:family:<id>       "revoked" (expires with the family)
// Every change is one AtomicWrite (libs/redis/atomic_write.h) with its precondition.
class RedisStore final : public Store {
 public:
  RedisStore(redis::Pool* pool, std::string prefix) : pool_(pool), prefix_(std::move(prefix)) {}

  absl::StatusOr<std::optional<Account>> GetAccount(const std::string& username) override;
  absl::Status CreateAccount(const Account& account) override;
  absl::Status PutAccount(const Account& account, int64_t expected_version) override;
  absl::StatusOr<std::vector<Account>> ListAccounts(const std::string& after, int limit) override;
  absl::StatusOr<std::optional<Throttle>> GetThrottle(const std::string& username) override;
  absl::Status PutThrottle(const std::string& username, const std::optional<Throttle>& expected,
                           const Throttle& next) override;
  absl::StatusOr<std::optional<RefreshRecord>> GetRefresh(const std::string& token_hash) override;
  absl::Status AddRefresh(const std::string& token_hash, const RefreshRecord& record) override;
  absl::Status RotateRefresh(const std::string& old_hash, const std::string& new_hash,
                             const RefreshRecord& record) override;
  absl::Status MarkRefreshUsed(const std::string& token_hash) override;
  absl::Status RevokeFamily(const std::string& family, absl::Time until) override;
  absl::StatusOr<bool> FamilyRevoked(const std::string& family) override;

 private:
  std::string Key(absl::string_view kind, absl::string_view id) const;

  redis::Pool* pool_;
  std::string prefix_;
};

// The JSON forms the Redis store keeps (exposed for its tests).
std::string AccountToJson(const Account& account);
absl::StatusOr<Account> AccountFromJson(const std::string& json);
std::string ThrottleToJson(const Throttle& throttle);
absl::StatusOr<Throttle> ThrottleFromJson(const std::string& json);

}  // namespace firegrid::accounts
