#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::accounts {

// The second sign-in factor: time-based one-time passwords (TOTP, RFC 6238, on HOTP, RFC 4226)
// as authenticator apps compute them: HMAC-SHA1, a 30-second step from the Unix epoch, 6 digits.

// RFC 4648 base32 (A–Z, 2–7), as authenticator apps take secrets. Encode writes no padding;
// Decode accepts upper or lower case, with or without '=' padding, and ignores spaces.
// INVALID_ARGUMENT for any other character or an impossible length.
std::string Base32Encode(absl::string_view bytes);
absl::StatusOr<std::string> Base32Decode(absl::string_view text);

// A new random secret of 20 bytes (160 bits, RFC 4226 §4).
std::string NewTotpSecret();

// The HOTP value (RFC 4226 §5.3) of `secret` at `counter`, `digits` long (6–8), zero-padded.
std::string Hotp(absl::string_view secret, uint64_t counter, int digits = 6);

// The TOTP time step of `at` (RFC 6238 §4: floor(unix seconds / 30)).
uint64_t TotpStep(absl::Time at);

// Checks `code` against `secret` at `now`, allowing one step of clock drift either way. A step
// at or before `last_used_step` is refused, so that a code cannot be used twice (RFC 6238
// §5.2). Returns the step that matched (to store as the new last_used_step), or nullopt.
std::optional<uint64_t> VerifyTotp(absl::string_view secret, absl::string_view code, absl::Time now,
                                   std::optional<uint64_t> last_used_step = {});

// The otpauth:// URI authenticator apps enrol from (a QR code of it), e.g.
// "otpauth://totp/firegrid:alice?secret=...&issuer=firegrid&algorithm=SHA1&digits=6&period=30".
std::string TotpUri(absl::string_view issuer, absl::string_view account, absl::string_view secret);

}  // namespace firegrid::accounts
