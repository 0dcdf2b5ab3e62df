#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/auth/principal.h"

namespace firegrid::auth {

// The time claims of a verified token: what must be checked again against the clock every time
// the token is used (TokenVerifier checks them; see token.h).
struct TokenTimes {
  absl::Time exp;
  std::optional<absl::Time> nbf;
  std::optional<absl::Time> iat;
};

// Tokens that TokenVerifier has verified, so that a caller sending the same bearer token on
// every call pays for the signature and the JSON once. Keyed by the SHA-256 of the exact token
// text: a token differing in any byte is another key and is verified afresh. Only successful
// verifications are inserted; a hit still has its time claims checked against the caller's
// clock by the verifier, so a cached token expires exactly when an uncached one would.
//
// An entry is found only while it is younger than `max_age` (by the `now` the caller passes);
// at most `capacity` entries are kept, the oldest inserted evicted first. Thread-safe.
class VerifiedTokenCache {
 public:
  struct Entry {
    Principal principal;
    TokenTimes times;
  };

  // capacity > 0, max_age > 0 (TokenVerifier::Create validates its options).
  VerifiedTokenCache(size_t capacity, absl::Duration max_age);

  // The entry inserted for `token` at most max_age before `now`, if any.
  std::optional<Entry> Find(absl::string_view token, absl::Time now) const;
  // Inserts (or replaces) the entry of `token`, verified at `now`.
  void Insert(absl::string_view token, Entry entry, absl::Time now);

  size_t size() const;

 private:
  using Key = std::string;  // 32 bytes: SHA-256 of the token text
  struct Slot {
    Entry entry;
    absl::Time inserted;
    std::list<Key>::iterator order;  // its place in order_
  };

  const size_t capacity_;
  const absl::Duration max_age_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::list<Key> order_ ABSL_GUARDED_BY(mu_);  // oldest insertion first
};

}  // namespace firegrid::auth
