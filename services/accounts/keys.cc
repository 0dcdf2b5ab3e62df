#include "services/accounts/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "nlohmann/json.hpp"

namespace firegrid::accounts {
namespace {

int NoPassphrase(char*, int, int, void*) { return -1; }

std::string Base64Url(const std::string& bytes) { return absl::WebSafeBase64Escape(bytes); }

absl::StatusOr<std::string> BigEndian(const EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1 || bn == nullptr) {
    return absl::InternalError("signing key: cannot read the RSA parameters");
  }
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SigningKey>> SigningKey::FromPem(std::string private_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr), &EVP_PKEY_free);
  ERR_clear_error();
  if (key == nullptr || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("signing key: not a PEM (unencrypted) RSA private key");
  }
  // DER of the SubjectPublicKeyInfo: the key id's input.
  unsigned char* der = nullptr;
  int der_len = i2d_PUBKEY(key.get(), &der);
  if (der_len <= 0) return absl::InternalError("signing key: cannot encode the public key");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(der_len), digest);
  OPENSSL_free(der);

  std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return absl::InternalError("signing key: cannot write the public key");
  }
  char* pem_data = nullptr;
  long pem_len = BIO_get_mem_data(pub.get(), &pem_data);

  absl::StatusOr<std::string> n = BigEndian(key.get(), OSSL_PKEY_PARAM_RSA_N);
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> e = BigEndian(key.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!e.ok()) return e.status();

  std::unique_ptr<SigningKey> k(new SigningKey());
  k->kid_ = Base64Url(std::string(reinterpret_cast<char*>(digest), sizeof(digest)));
  k->public_pem_.assign(pem_data, static_cast<size_t>(pem_len));
  k->jwks_json_ = nlohmann::json{{"keys",
                                  {{{"kty", "RSA"},
                                    {"kid", k->kid_},
                                    {"use", "sig"},
                                    {"alg", "RS256"},
                                    {"n", Base64Url(*n)},
                                    {"e", Base64Url(*e)}}}}}
                      .dump();
  absl::StatusOr<std::unique_ptr<auth::TokenSigner>> signer =
      auth::TokenSigner::Rs256(std::move(private_pem), k->kid_);
  if (!signer.ok()) return signer.status();  // shorter than 2048 bits
  k->signer_ = *std::move(signer);
  return k;
}

}  // namespace firegrid::accounts
