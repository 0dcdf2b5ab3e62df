#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/token.h"

namespace firegrid::accounts {

// The accounts service's signing key (--signing-key-file: a PEM RSA private key of at least
// 2048 bits). Its key id (`kid` in every token header and in the JWKS) is the base64url SHA-256
// of the public key's DER (SubjectPublicKeyInfo), so the same key always has the same id and a
// rotated key a new one.
class SigningKey {
 public:
  // INVALID_ARGUMENT unless `private_pem` is an unencrypted RSA private key of >= 2048 bits.
  static absl::StatusOr<std::unique_ptr<SigningKey>> FromPem(std::string private_pem);

  const std::string& kid() const { return kid_; }
  // The public half as a PEM "PUBLIC KEY" (what --jwt-rs256-public-key-file takes).
  const std::string& public_pem() const { return public_pem_; }
  // {"keys":[{"kty":"RSA","kid":...,"use":"sig","alg":"RS256","n":...,"e":...}]} (RFC 7517,
  // RFC 7518 §6.3: n and e big-endian, base64url without padding).
  const std::string& jwks_json() const { return jwks_json_; }
  const auth::TokenSigner& signer() const { return *signer_; }

 private:
  SigningKey() = default;
  std::string kid_;
  std::string public_pem_;
  std::string jwks_json_;
  std::unique_ptr<auth::TokenSigner> signer_;
};

}  // namespace firegrid::accounts
