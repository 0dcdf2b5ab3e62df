#include "libs/accounts/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"

namespace firegrid::accounts {
namespace {

constexpr size_t kMinPasswordBytes = 12;
constexpr size_t kMaxPasswordBytes = 128;

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// The m, t and p of a PHC string; false when it is not "$argon2id$v=19$m=..,t=..,p=..$..$..".
bool ParseParams(const std::string& encoded, uint32_t* m, uint32_t* t, uint32_t* p) {
  std::vector<std::string> parts = absl::StrSplit(encoded, '$');
  if (parts.size() != 6 || !parts[0].empty() || parts[1] != "argon2id" || parts[2] != "v=19") {
    return false;
  }
  unsigned mm = 0, tt = 0, pp = 0;
  char tail = 0;
  if (std::sscanf(parts[3].c_str(), "m=%u,t=%u,p=%u%c", &mm, &tt, &pp, &tail) != 3) return false;
  *m = mm;
  *t = tt;
  *p = pp;
  return true;
}

}  // namespace

absl::Status ValidatePassword(absl::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return InvalidField("password", absl::StrCat("at least ", kMinPasswordBytes, " bytes"));
  }
  if (password.size() > kMaxPasswordBytes) {
    return InvalidField("password", absl::StrCat("at most ", kMaxPasswordBytes, " bytes"));
  }
  if (!ValidUtf8(password)) return InvalidField("password", "not valid UTF-8");
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPassword(absl::string_view password, const PasswordParams& params) {
  FG_RETURN_IF_ERROR(ValidatePassword(password));
  if (params.memory_kib < 8 * params.lanes || params.passes < 1 || params.lanes < 1 ||
      params.salt_bytes < 16 || params.hash_bytes < 16) {
    return absl::InvalidArgumentError("password hashing parameters are too weak to use");
  }
  std::vector<unsigned char> salt(params.salt_bytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return absl::InternalError("no random salt");
  }
  const size_t len = argon2_encodedlen(params.passes, params.memory_kib, params.lanes,
                                       params.salt_bytes, params.hash_bytes, Argon2_id);
  std::string encoded(len, '\0');
  const int rc = argon2id_hash_encoded(params.passes, params.memory_kib, params.lanes,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       params.hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(absl::StrCat("argon2id: ", argon2_error_message(rc)));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(absl::string_view password, const std::string& encoded) {
  uint32_t m = 0, t = 0, p = 0;
  if (!ParseParams(encoded, &m, &t, &p)) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool NeedsRehash(const std::string& encoded, const PasswordParams& params) {
  uint32_t m = 0, t = 0, p = 0;
  if (!ParseParams(encoded, &m, &t, &p)) return true;
  return m < params.memory_kib || t < params.passes || p < params.lanes;
}

}  // namespace firegrid::accounts
