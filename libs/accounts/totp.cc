#include "libs/accounts/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace firegrid::accounts {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int64_t kStepSeconds = 30;

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UriEscape(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::string_view("0123456789ABCDEF" + (c >> 4), 1),
                      absl::string_view("0123456789ABCDEF" + (c & 0xF), 1));
    }
  }
  return out;
}

}  // namespace

std::string Base32Encode(absl::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1F]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1F]);
  return out;
}

absl::StatusOr<std::string> Base32Decode(absl::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t symbols = 0;
  bool padding = false;
  for (char raw : text) {
    if (raw == ' ') continue;
    if (raw == '=') {
      padding = true;
      continue;
    }
    if (padding) return absl::InvalidArgumentError("base32: data after padding");
    const char c = absl::ascii_toupper(static_cast<unsigned char>(raw));
    const char* at = std::strchr(kAlphabet, c);
    if (c == '\0' || at == nullptr) {
      return absl::InvalidArgumentError("base32: not a base32 character");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(at - kAlphabet);
    bits += 5;
    ++symbols;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  // 8 symbols carry 5 bytes; a group may end after 2, 4, 5 or 7 symbols (1–4 bytes).
  const size_t rest = symbols % 8;
  if (rest == 1 || rest == 3 || rest == 6) {
    return absl::InvalidArgumentError("base32: impossible length");
  }
  return out;
}

std::string NewTotpSecret() {
  std::string secret(20, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 1) {
    return "";
  }
  return secret;
}

std::string Hotp(absl::string_view secret, uint64_t counter, int digits) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof(msg), mac, &mac_len);
  const int offset = mac[mac_len - 1] & 0x0F;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7F) << 24) |
                          (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                          static_cast<uint32_t>(mac[offset + 3]);
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

uint64_t TotpStep(absl::Time at) {
  const int64_t s = absl::ToUnixSeconds(at);
  return s < 0 ? 0 : static_cast<uint64_t>(s / kStepSeconds);
}

std::optional<uint64_t> VerifyTotp(absl::string_view secret, absl::string_view code, absl::Time now,
                                   std::optional<uint64_t> last_used_step) {
  if (code.size() != 6) return std::nullopt;
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const uint64_t step = TotpStep(now);
  for (uint64_t s : {step, step - 1, step + 1}) {
    if (s > step + 1) continue;  // step - 1 wrapped below zero
    if (last_used_step.has_value() && s <= *last_used_step) continue;
    const std::string want = Hotp(secret, s, 6);
    // Constant time over the six digits.
    unsigned char diff = 0;
    for (size_t i = 0; i < 6; ++i) diff |= static_cast<unsigned char>(want[i] ^ code[i]);
    if (diff == 0) return s;
  }
  return std::nullopt;
}

std::string TotpUri(absl::string_view issuer, absl::string_view account, absl::string_view secret) {
  return absl::StrCat("otpauth://totp/", UriEscape(issuer), ":", UriEscape(account),
                      "?secret=", Base32Encode(secret), "&issuer=", UriEscape(issuer),
                      "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace firegrid::accounts
