#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid::auth {

// The public keys of an identity provider as it publishes them: a JSON Web Key Set (RFC 7517
// §5), e.g. the accounts service's GetJwks or an OpenID provider's jwks_uri document saved to a
// file. Signature keys only: RSA keys (kty "RSA", n and e; RS256, at least 2048 bits) and P-256
// EC keys (kty "EC", crv "P-256", x and y; ES256). A key with `use` other than "sig", with an
// `alg` other than its type's, or of another type or curve is skipped (a set may carry
// encryption keys); a key that claims to be usable but does not decode is an error.
struct PublicKey {
  std::string kid;  // "" when the set gives none
  std::string alg;  // "RS256" or "ES256"
  std::string pem;  // a PEM "PUBLIC KEY"
};

// INVALID_ARGUMENT naming the key (by index and kid) and what is wrong; also when the text is not
// a JSON object with a "keys" array, when two keys share a kid, or when no usable key is left.
absl::StatusOr<std::vector<PublicKey>> ParseJwks(absl::string_view json);

// Checks that `pem` holds a PEM public key fit for `alg`: an RSA key of at least 2048 bits for
// RS256, a P-256 EC key for ES256. INVALID_ARGUMENT saying why not.
absl::Status CheckPublicKeyPem(const std::string& pem, absl::string_view alg);

}  // namespace firegrid::auth
