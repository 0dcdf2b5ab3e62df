#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid::accounts {

// Password hashing for console sign-in: Argon2id (RFC 9106), memory-hard, stored as the PHC
// string "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>" that carries its own
// parameters, so that stronger parameters apply to new hashes while old ones still verify.
struct PasswordParams {
  // RFC 9106 §4 "second recommended option" is 64 MiB, 3 passes; OWASP's minimum is 19 MiB,
  // 2 passes. The default follows OWASP for a 2-core service replica signing in a district.
  uint32_t memory_kib = 19 * 1024;
  uint32_t passes = 2;
  uint32_t lanes = 1;
  uint32_t salt_bytes = 16;
  uint32_t hash_bytes = 32;
};

// Passwords must be 12–128 bytes of valid UTF-8 (NIST SP 800-63B: length, not composition
// rules). INVALID_ARGUMENT "password: ..." otherwise.
absl::Status ValidatePassword(absl::string_view password);

// A new PHC string for `password` with a fresh random salt. INVALID_ARGUMENT for a password
// ValidatePassword refuses or unusable params; INTERNAL when the hash cannot be computed.
absl::StatusOr<std::string> HashPassword(absl::string_view password,
                                         const PasswordParams& params = {});

// Whether `password` matches `encoded` (constant time in the hash comparison). False for a
// malformed or non-Argon2id `encoded`.
bool VerifyPassword(absl::string_view password, const std::string& encoded);

// Whether `encoded` was made with weaker parameters than `params` (rehash it at the next
// successful sign-in). True for anything that does not parse.
bool NeedsRehash(const std::string& encoded, const PasswordParams& params = {});

}  // namespace firegrid::accounts
