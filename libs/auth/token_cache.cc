#include "libs/auth/token_cache.h"

#include <openssl/sha.h>

#include <utility>

namespace firegrid::auth {
namespace {

std::string Digest(absl::string_view token) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

VerifiedTokenCache::VerifiedTokenCache(size_t capacity, absl::Duration max_age)
    : capacity_(capacity), max_age_(max_age) {}

std::optional<VerifiedTokenCache::Entry> VerifiedTokenCache::Find(absl::string_view token,
                                                                  absl::Time now) const {
  const Key key = Digest(token);
  absl::ReaderMutexLock lock(&mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  // Too old, or inserted "in the future" of a clock that went back: verify afresh.
  if (now - it->second.inserted > max_age_ || now < it->second.inserted) return std::nullopt;
  return it->second.entry;
}

void VerifiedTokenCache::Insert(absl::string_view token, Entry entry, absl::Time now) {
  Key key = Digest(token);
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    order_.erase(it->second.order);
    slots_.erase(it);
  }
  while (slots_.size() >= capacity_ && !order_.empty()) {
    slots_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(key);
  slots_.emplace(std::move(key), Slot{std::move(entry), now, std::prev(order_.end())});
}

size_t VerifiedTokenCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return slots_.size();
}

}  // namespace firegrid::auth
