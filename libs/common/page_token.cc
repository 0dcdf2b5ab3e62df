#include "libs/common/page_token.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace firegrid {
namespace {

constexpr char kVersion = 0x01;
constexpr size_t kHashBytes = 8;

uint64_t Fnv1a64(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string HashBytes(absl::string_view listing) {
  uint64_t h = Fnv1a64(listing);
  std::string out(kHashBytes, '\0');
  for (size_t i = 0; i < kHashBytes; ++i) out[i] = static_cast<char>((h >> (56 - 8 * i)) & 0xff);
  return out;
}

}  // namespace

std::string EncodePageToken(absl::string_view listing, absl::string_view cursor) {
  if (cursor.empty()) return "";
  std::string raw;
  raw.reserve(1 + kHashBytes + cursor.size());
  raw.push_back(kVersion);
  raw += HashBytes(listing);
  raw.append(cursor.data(), cursor.size());
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view listing) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() <= 1 + kHashBytes ||
      raw[0] != kVersion) {
    return absl::InvalidArgumentError("page_token: not a page token of this service");
  }
  if (absl::string_view(raw).substr(1, kHashBytes) != HashBytes(listing)) {
    return absl::InvalidArgumentError(
        "page_token: belongs to another listing (the filters or the caller changed)");
  }
  return raw.substr(1 + kHashBytes);
}

}  // namespace firegrid
