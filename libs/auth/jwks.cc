#include "libs/auth/jwks.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace firegrid::auth {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr size_t kP256CoordinateBytes = 32;

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

int NoPassphrase(char*, int, int, void*) { return -1; }

// A base64url member of a JWK (RFC 7518 §6: no padding), decoded.
absl::StatusOr<std::string> Member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string() || it->get<std::string>().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("has no \"", name, "\""));
  }
  std::string out;
  if (!absl::WebSafeBase64Unescape(it->get<std::string>(), &out) || out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not base64url"));
  }
  return out;
}

absl::StatusOr<std::string> Pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot write the public key as PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// A public key from OpenSSL parameters (RSA n/e, or an EC group and point).
absl::StatusOr<std::string> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("is not a valid public key");
  }
  PkeyPtr key(raw, &EVP_PKEY_free);
  return Pem(key.get());
}

absl::StatusOr<std::string> RsaPem(const nlohmann::json& jwk) {
  absl::StatusOr<std::string> n = Member(jwk, "n");
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> e = Member(jwk, "e");
  if (!e.ok()) return e.status();
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()),
                nullptr),
      &BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()),
                nullptr),
      &BN_free);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot build the RSA key");
  }
  return FromParams("RSA", bld.get());
}

absl::StatusOr<std::string> EcPem(const nlohmann::json& jwk) {
  absl::StatusOr<std::string> x = Member(jwk, "x");
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = Member(jwk, "y");
  if (!y.ok()) return y.status();
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return absl::InvalidArgumentError("\"x\" and \"y\" must be 32 bytes each for P-256");
  }
  const std::string point = absl::StrCat("\x04", *x, *y);  // uncompressed (SEC 1 §2.3.3)
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot build the EC key");
  }
  return FromParams("EC", bld.get());
}

std::string StringOr(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

absl::Status CheckPublicKeyPem(const std::string& pem, absl::string_view alg) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, &NoPassphrase, nullptr), &EVP_PKEY_free);
  ERR_clear_error();
  if (key == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(alg, ": not a PEM public key"));
  if (alg == "RS256") {
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
      return absl::InvalidArgumentError("RS256: not an RSA key");
    }
    if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("RS256: RSA key shorter than ", kMinRsaBits, " bits"));
    }
    return absl::OkStatus();
  }
  if (alg == "ES256") {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
        EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1 ||
        absl::string_view(group, len) != "prime256v1") {
      ERR_clear_error();
      return absl::InvalidArgumentError("ES256: not an EC key on the P-256 curve");
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown algorithm ", alg));
}

absl::StatusOr<std::vector<PublicKey>> ParseJwks(absl::string_view json) {
  const nlohmann::json set = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (set.is_discarded() || !set.is_object() || !set.contains("keys") || !set["keys"].is_array()) {
    return absl::InvalidArgumentError("JWKS: not a JSON object with a \"keys\" array");
  }
  std::vector<PublicKey> out;
  std::set<std::string> kids;
  int index = -1;
  for (const nlohmann::json& jwk : set["keys"]) {
    ++index;
    if (!jwk.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("JWKS: key ", index, " is not an object"));
    }
    const std::string kty = StringOr(jwk, "kty");
    const std::string use = StringOr(jwk, "use");
    const std::string alg = StringOr(jwk, "alg");
    const std::string kid = StringOr(jwk, "kid");
    const std::string name =
        absl::StrCat("JWKS: key ", index, kid.empty() ? "" : " (kid ", kid, kid.empty() ? "" : ")");
    if (!use.empty() && use != "sig") continue;
    PublicKey key{.kid = kid};
    absl::StatusOr<std::string> pem;
    if (kty == "RSA" && (alg.empty() || alg == "RS256")) {
      key.alg = "RS256";
      pem = RsaPem(jwk);
    } else if (kty == "EC" && StringOr(jwk, "crv") == "P-256" && (alg.empty() || alg == "ES256")) {
      key.alg = "ES256";
      pem = EcPem(jwk);
    } else {
      continue;  // another type, curve or algorithm: not one this verifier takes
    }
    if (!pem.ok())
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", pem.status().message()));
    if (absl::Status s = CheckPublicKeyPem(*pem, key.alg); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
    }
    if (!kid.empty() && !kids.insert(kid).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": another key has the same kid"));
    }
    key.pem = *std::move(pem);
    out.push_back(std::move(key));
  }
  if (out.empty()) return absl::InvalidArgumentError("JWKS: no RS256 or ES256 signature key");
  return out;
}

}  // namespace firegrid::auth
