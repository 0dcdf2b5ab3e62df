#include "services/accounts/memory_store.h"

#include "absl/strings/str_cat.h"

namespace firegrid::accounts {

absl::StatusOr<std::optional<Account>> MemoryStore::GetAccount(const std::string& username) {
  absl::MutexLock l(&mu_);
  auto it = accounts_.find(username);
  if (it == accounts_.end()) return std::optional<Account>();
  return std::optional<Account>(it->second);
}

absl::Status MemoryStore::CreateAccount(const Account& account) {
  absl::MutexLock l(&mu_);
  if (!accounts_.emplace(account.user.username(), account).second) {
    return absl::AlreadyExistsError(absl::StrCat("user ", account.user.username(), " exists"));
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::PutAccount(const Account& account, int64_t expected_version) {
  absl::MutexLock l(&mu_);
  auto it = accounts_.find(account.user.username());
  if (it == accounts_.end()) return absl::NotFoundError("user not found");
  if (it->second.user.version() != expected_version) {
    return absl::AbortedError("user changed meanwhile");
  }
  it->second = account;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Account>> MemoryStore::ListAccounts(const std::string& after,
                                                               int limit) {
  absl::MutexLock l(&mu_);
  std::vector<Account> out;
  for (auto it = accounts_.upper_bound(after);
       it != accounts_.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::optional<Throttle>> MemoryStore::GetThrottle(const std::string& username) {
  absl::MutexLock l(&mu_);
  auto it = throttles_.find(username);
  if (it == throttles_.end()) return std::optional<Throttle>();
  return std::optional<Throttle>(it->second);
}

absl::Status MemoryStore::PutThrottle(const std::string& username,
                                      const std::optional<Throttle>& expected,
                                      const Throttle& next) {
  absl::MutexLock l(&mu_);
  auto it = throttles_.find(username);
  const bool matches = expected.has_value() ? (it != throttles_.end() && it->second == *expected)
                                            : it == throttles_.end();
  if (!matches) return absl::AbortedError("sign-in throttle changed meanwhile");
  throttles_[username] = next;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RefreshRecord>> MemoryStore::GetRefresh(
    const std::string& token_hash) {
  absl::MutexLock l(&mu_);
  auto it = refresh_.find(token_hash);
  if (it == refresh_.end()) return std::optional<RefreshRecord>();
  return std::optional<RefreshRecord>(it->second);
}

absl::Status MemoryStore::AddRefresh(const std::string& token_hash, const RefreshRecord& record) {
  absl::MutexLock l(&mu_);
  if (!refresh_.emplace(token_hash, record).second) {
    return absl::AlreadyExistsError("refresh token exists");
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::RotateRefresh(const std::string& old_hash, const std::string& new_hash,
                                        const RefreshRecord& record) {
  absl::MutexLock l(&mu_);
  auto it = refresh_.find(old_hash);
  if (it == refresh_.end() || it->second.used) {
    return absl::AbortedError("refresh token already used");
  }
  if (refresh_.count(new_hash) > 0) return absl::AlreadyExistsError("refresh token exists");
  it->second.used = true;
  refresh_[new_hash] = record;
  return absl::OkStatus();
}

absl::Status MemoryStore::MarkRefreshUsed(const std::string& token_hash) {
  absl::MutexLock l(&mu_);
  auto it = refresh_.find(token_hash);
  if (it == refresh_.end()) return absl::NotFoundError("no such refresh token");
  it->second.used = true;
  return absl::OkStatus();
}

absl::Status MemoryStore::RevokeFamily(const std::string& family, absl::Time) {
  absl::MutexLock l(&mu_);
  revoked_.insert(family);
  return absl::OkStatus();
}

absl::StatusOr<bool> MemoryStore::FamilyRevoked(const std::string& family) {
  absl::MutexLock l(&mu_);
  return revoked_.count(family) > 0;
}

}  // namespace firegrid::accounts
