#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/auth/jwks.h"
#include "libs/auth/principal.h"
#include "nlohmann/json_fwd.hpp"

namespace firegrid::auth {

// JWT bearer tokens (RFC 7519, JWS compact serialisation) as identity providers issue them,
// signed with HS256 (shared secret: development tokens only), RS256 (an RSA key: the accounts
// service or another identity provider) or ES256 (a P-256 EC key). Signatures are computed and
// checked by libjwt; this file only decides what is acceptable.
//
// Claims read: sub (required), role (required, a RoleName), org_unit, tier_path, department
// (optional strings), exp (required NumericDate), nbf (optional), iat (optional; not in the
// future beyond the leeway), iss and aud (checked when configured; aud may be a string or an
// array of strings), token_use (must equal VerifierOptions::token_use; absent for ordinary
// tokens). The claims must then be consistent (ResolveCaller, claims.h).

struct VerifierOptions {
  // At least one key is set; several may be. The token header's `alg` picks the kind of key: an
  // "HS256" token is verified with the secret, an "RS256" or "ES256" token with a public key of
  // that algorithm, and a token whose algorithm has no key here (or any other algorithm, "none"
  // included) is refused. Of the public keys, a token whose header names a `kid` of `jwks` is
  // verified with that key only (it must be of the token's algorithm); otherwise with the PEM key
  // of its algorithm, or, without a kid, with the one key of that algorithm in `jwks`. The HS256
  // secret must be at least 32 bytes (RFC 7518 §3.2); an RS256 key is an RSA key of at least 2048
  // bits, an ES256 key a P-256 EC key, each a PEM "PUBLIC KEY".
  std::string hs256_key;
  std::string rs256_public_key_pem;
  std::string es256_public_key_pem;
  std::vector<PublicKey> jwks;  // ParseJwks (jwks.h) of the identity provider's key set
  std::string issuer;           // when non-empty, `iss` must equal it
  std::string audience;         // when non-empty, `aud` must equal it or contain it
  // The `token_use` claim a token must carry: tokens for a narrow purpose (the accounts
  // service's enrolment tokens carry "enrolment") are refused by every verifier except one
  // configured for that purpose; "" (the default) accepts only tokens without the claim.
  std::string token_use;
  absl::Duration leeway = absl::Seconds(30);  // clock skew allowed on exp, nbf and iat
  // The longest a token may be valid: exp - iat, or exp - now for a token without iat. A stolen
  // token is useful for at most this long.
  absl::Duration max_lifetime = absl::Hours(24);
  // Verified tokens are remembered (VerifiedTokenCache, token_cache.h) so that a caller sending
  // the same token on every call pays for its signature and JSON once: at most
  // `cache_capacity` tokens (0 turns the cache off), each for at most `cache_max_age` after it
  // was verified. Every use still checks exp, nbf and iat against the clock as above; failed
  // verifications are never cached.
  size_t cache_capacity = 10'000;
  absl::Duration cache_max_age = absl::Minutes(5);
};

class VerifiedTokenCache;
struct TokenTimes;

class TokenVerifier {
 public:
  // INVALID_ARGUMENT when the options are unusable (no key, short secret, a PEM that is not an
  // RSA public key, negative leeway, max_lifetime not positive).
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(VerifierOptions options);

  // The principal of a valid token, or UNAUTHENTICATED with the reason: malformed token,
  // algorithm other than the configured one (including "none"), bad signature, missing or
  // expired exp (exp + leeway < now), not yet valid (nbf), issued in the future (iat > now +
  // leeway), a lifetime above max_lifetime (exp - iat; without iat, exp - now beyond the
  // leeway), missing sub, missing or unknown role, wrong iss, aud or token_use, claims inconsistent
  // with the role (ResolveCaller). Reasons never echo token content. Thread-safe.
  absl::StatusOr<Principal> Verify(absl::string_view token, absl::Time now) const;

  ~TokenVerifier();

 private:
  explicit TokenVerifier(VerifierOptions options);

  // The public key a token with this `alg` ("RS256" or "ES256") and header is verified with;
  // UNAUTHENTICATED when there is none.
  absl::StatusOr<const std::string*> PublicKeyFor(const std::string& alg,
                                                  const nlohmann::json& header) const;
  // Verify without the cache: signature, claims, and the time checks at `now`.
  absl::StatusOr<Principal> VerifyUncached(absl::string_view token, absl::Time now,
                                           TokenTimes* times) const;
  // The time checks of Verify (exp, nbf, iat, lifetime) at `now`; one home for fresh and
  // cached tokens.
  absl::Status CheckTimes(const TokenTimes& times, absl::Time now) const;

  VerifierOptions options_;
  std::unique_ptr<VerifiedTokenCache> cache_;  // null when options_.cache_capacity == 0
};

// Issues tokens: RS256 access tokens in the accounts service; HS256 development tokens in
// `firegridctl token` and tests.
class TokenSigner {
 public:
  // INVALID_ARGUMENT for a secret shorter than 32 bytes.
  static absl::StatusOr<std::unique_ptr<TokenSigner>> Hs256(std::string key);
  // INVALID_ARGUMENT unless the PEM holds an RSA private key of at least 2048 bits. A non-empty
  // `key_id` goes into every token's header as `kid` (RFC 7515 §4.1.4), naming the JWKS key
  // that verifies it.
  static absl::StatusOr<std::unique_ptr<TokenSigner>> Rs256(std::string private_key_pem,
                                                            std::string key_id = "");
  // The same for ES256: INVALID_ARGUMENT unless the PEM holds a P-256 EC private key.
  static absl::StatusOr<std::unique_ptr<TokenSigner>> Es256(std::string private_key_pem,
                                                            std::string key_id = "");

  // A compact JWS with sub, role, the non-empty optional claims, iat = issued_at,
  // exp = issued_at + ttl (whole seconds), and iss / aud when non-empty.
  // INVALID_ARGUMENT for an empty subject, an unspecified role or a ttl below one second.
  absl::StatusOr<std::string> Sign(const Principal& principal, absl::Time issued_at,
                                   absl::Duration ttl, std::string issuer = "",
                                   std::string audience = "") const;

  // The same with `extra` string claims added (e.g. a purpose claim); they may not replace
  // the claims above (INVALID_ARGUMENT).
  absl::StatusOr<std::string> Sign(
      const Principal& principal, absl::Time issued_at, absl::Duration ttl, std::string issuer,
      std::string audience, const std::vector<std::pair<std::string, std::string>>& extra) const;

 private:
  // `alg`: libjwt's jwt_alg_t (jwt.h is not included here).
  TokenSigner(std::string key, int alg, std::string key_id = "")
      : key_(std::move(key)), alg_(alg), key_id_(std::move(key_id)) {}

  std::string key_;
  int alg_;
  std::string key_id_;
};

}  // namespace firegrid::auth
