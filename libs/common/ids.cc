#include "libs/common/ids.h"

#include <cstdio>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace firegrid {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}  // namespace

std::string EncodeUlid(absl::Time time, uint16_t random_hi, uint64_t random_lo) {
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(time)) & ((uint64_t{1} << 48) - 1);
  std::string out(26, '0');
  // 10 characters of time (50 bits, top 2 zero).
  uint64_t t = ms;
  for (int i = 9; i >= 0; --i) {
    out[i] = kCrockford[t & 31];
    t >>= 5;
  }
  // 16 characters of randomness (80 bits).
  unsigned __int128 r = (static_cast<unsigned __int128>(random_hi) << 64) | random_lo;
  for (int i = 25; i >= 10; --i) {
    out[i] = kCrockford[static_cast<int>(r & 31)];
    r >>= 5;
  }
  return out;
}

std::string RandomIdGenerator::NewId(absl::string_view prefix) {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  uint16_t hi;
  uint64_t lo;
  {
    absl::MutexLock lock(&mu);
    hi = absl::Uniform<uint16_t>(*gen);
    lo = absl::Uniform<uint64_t>(*gen);
  }
  return absl::StrCat(prefix, "_", EncodeUlid(absl::Now(), hi, lo));
}

std::string SequentialIdGenerator::NewId(absl::string_view prefix) {
  return absl::StrCat(prefix, "_", absl::StrFormat("%04d", next_++));
}

bool IsWellFormedId(absl::string_view id, absl::string_view prefix) {
  if (id.size() <= prefix.size() + 1 || id.size() > prefix.size() + 1 + 64) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '_') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace firegrid
