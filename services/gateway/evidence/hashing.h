#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace firegrid::gateway::evidence {

// SHA-256 and HMAC-SHA256 (OpenSSL), for content addresses and AWS Signature V4.

// The SHA-256 of `bytes` as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view bytes);

// The raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view message);

// Lower-case hex of raw bytes.
std::string ToHex(absl::string_view raw);

// True when `hex` is exactly 64 lower-case hex digits (a content address without "sha256:").
bool IsSha256Hex(absl::string_view hex);

}  // namespace firegrid::gateway::evidence
