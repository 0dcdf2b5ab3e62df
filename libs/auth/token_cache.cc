#include "libs/auth/token_cache.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>
#include <utility>

namespace firegrid::auth {
namespace {

// SHA-256 fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up in its provider
// tables (locks, reference counts) on every call, which cost more than the hash of a token
// (bench/README.md, grpc_throughput_bench).
const EVP_MD* Sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // for the process's life
  return md;
}

std::string Digest(absl::string_view token) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> owned(EVP_MD_CTX_new());  // one per thread
  EVP_MD_CTX* ctx = owned.get();
  unsigned int len = 0;
  if (ctx == nullptr || Sha256() == nullptr || EVP_DigestInit_ex(ctx, Sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, token.data(), token.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != SHA256_DIGEST_LENGTH) {
    // Not expected with a working libcrypto; the one-shot function as before.
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
           reinterpret_cast<unsigned char*>(out.data()));
  }
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
