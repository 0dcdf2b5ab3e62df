#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "services/accounts/store.h"

namespace firegrid::accounts {

// The store in memory, for unit tests: the same contract as RedisStore (the integration test
// runs one suite against both).
class MemoryStore final : public Store {
 public:
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
  absl::Mutex mu_;
  std::map<std::string, Account> accounts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Throttle> throttles_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RefreshRecord> refresh_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> revoked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::accounts
