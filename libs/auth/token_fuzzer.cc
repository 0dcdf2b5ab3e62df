// Fuzzes bearer-token verification (TokenVerifier::Verify), in two ways chosen by the first
// byte of the input:
//   even: the rest is the token as a caller sends it. No input can carry a valid HS256
//         signature without the key, so a token that verifies is a forgery: the target aborts.
//   odd:  the rest is a JWT payload (the claims JSON, or anything), which the target signs with
//         the verifier's own HS256 key, so that claim parsing and checking run on any claims.
// cmake/FiregridFuzz.cmake builds it.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/auth/token.h"

namespace {

constexpr char kKey[] = "fuzz-hs256-key-of-at-least-32-bytes!!";

const firegrid::auth::TokenVerifier& Verifier() {
  static const firegrid::auth::TokenVerifier* verifier = [] {
    auto v = firegrid::auth::TokenVerifier::Create(
        {.hs256_key = kKey, .issuer = "", .audience = "", .cache_capacity = 0});
    if (!v.ok()) {
      std::fprintf(stderr, "token_fuzzer: %s\n", std::string(v.status().message()).c_str());
      std::abort();
    }
    return v->release();
  }();
  return *verifier;
}

std::string SignedToken(absl::string_view payload) {
  const std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})"), ".",
                   absl::WebSafeBase64Escape(payload));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), kKey, sizeof(kKey) - 1,
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &mac_len);
  return absl::StrCat(
      signing_input, ".",
      absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(mac), mac_len)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  // A fixed time, so that a run repeats: 2026-12-06T00:00:00Z.
  const absl::Time now = absl::FromUnixSeconds(1796515200);
  if (data[0] % 2 == 0) {
    if (Verifier().Verify(rest, now).ok()) {
      std::fprintf(stderr, "token_fuzzer: a token not signed with the key was accepted\n");
      std::abort();
    }
  } else {
    (void)Verifier().Verify(SignedToken(rest), now);
  }
  return 0;
}
