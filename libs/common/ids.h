#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid {

// Ids are "<prefix>_<26 chars>": a Crockford base32 ULID (48-bit millisecond time, 80 random
// bits), so they sort by creation time and never collide across replicas.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewId(absl::string_view prefix) = 0;
};

class RandomIdGenerator final : public IdGenerator {
 public:
  std::string NewId(absl::string_view prefix) override;
};

// Deterministic ids for tests: "<prefix>_0001", "<prefix>_0002", ...
class SequentialIdGenerator final : public IdGenerator {
 public:
  std::string NewId(absl::string_view prefix) override;

 private:
  int next_ = 1;
};

// The ULID text for a time and 80 bits of randomness (hi: 16 bits, lo: 64 bits).
std::string EncodeUlid(absl::Time time, uint16_t random_hi, uint64_t random_lo);

// True when `id` is "<prefix>_" followed by 1..64 characters of [0-9A-Za-z_-].
bool IsWellFormedId(absl::string_view id, absl::string_view prefix);

}  // namespace firegrid
