// JSON Web Key Sets and ES256: keys read from a JWKS (RSA and P-256), tokens verified with the
// key their `kid` names, ES256 tokens from a PEM key, and what is refused.
#include "libs/auth/jwks.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"
#include "nlohmann/json.hpp"

namespace firegrid::auth {
namespace {

using ::testing::HasSubstr;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

// A key pair with its public half as PEM and as a JWK.
struct Key {
  std::string private_pem;
  std::string public_pem;
  nlohmann::json jwk;
};

std::string Pem(EVP_PKEY* key, bool is_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  EXPECT_EQ(is_private
                ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                : PEM_write_bio_PUBKEY(bio.get(), key),
            1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string B64(const std::string& bytes) { return absl::WebSafeBase64Escape(bytes); }

std::string BigEndian(EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, param, &bn), 1);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

Key Rsa(const std::string& kid, unsigned bits = 2048) {
  PkeyPtr key(EVP_RSA_gen(bits), &EVP_PKEY_free);
  return {Pem(key.get(), true),
          Pem(key.get(), false),
          {{"kty", "RSA"},
           {"kid", kid},
           {"use", "sig"},
           {"alg", "RS256"},
           {"n", B64(BigEndian(key.get(), OSSL_PKEY_PARAM_RSA_N))},
           {"e", B64(BigEndian(key.get(), OSSL_PKEY_PARAM_RSA_E))}}};
}

Key Ec(const std::string& kid, const char* curve = "P-256") {
  PkeyPtr key(EVP_EC_gen(curve), &EVP_PKEY_free);
  unsigned char point[133];
  size_t len = 0;
  EXPECT_EQ(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                            sizeof(point), &len),
            1);
  const size_t half = (len - 1) / 2;  // 0x04 || x || y
  const std::string x(reinterpret_cast<char*>(point) + 1, half);
  const std::string y(reinterpret_cast<char*>(point) + 1 + half, half);
  return {Pem(key.get(), true),
          Pem(key.get(), false),
          {{"kty", "EC"},
           {"kid", kid},
           {"use", "sig"},
           {"crv", std::string(curve) == "P-256" ? "P-256" : "P-384"},
           {"x", B64(x)},
           {"y", B64(y)}}};
}

// Generating RSA keys takes a while: one set per test binary.
const Key& RsaA() {
  static const Key* k = new Key(Rsa("rsa-a"));
  return *k;
}
const Key& RsaB() {
  static const Key* k = new Key(Rsa("rsa-b"));
  return *k;
}
const Key& EcA() {
  static const Key* k = new Key(Ec("ec-a"));
  return *k;
}

std::string Set(std::initializer_list<nlohmann::json> keys) {
  return nlohmann::json{{"keys", nlohmann::json::array_t(keys)}}.dump();
}

Principal Officer() {
  Principal p;
  p.subject = "u-1001";
  p.role = Role::kStreetOfficer;
  p.org_unit = "500109001";
  p.tier_path = "500109001";
  return p;
}

std::string Sign(const Key& key, const std::string& alg, const std::string& kid) {
  auto signer = alg == "ES256" ? TokenSigner::Es256(key.private_pem, kid)
                               : TokenSigner::Rs256(key.private_pem, kid);
  EXPECT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->Sign(Officer(), kT0, absl::Hours(1));
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

std::unique_ptr<TokenVerifier> Verifier(VerifierOptions o) {
  auto v = TokenVerifier::Create(std::move(o));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : nullptr;
}

TEST(ParseJwks, ReadsRsaAndP256SignatureKeysAndSkipsOthers) {
  nlohmann::json enc = RsaB().jwk;
  enc["use"] = "enc";
  nlohmann::json p384 = Ec("ec-384", "P-384").jwk;
  nlohmann::json oct = {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  auto keys = ParseJwks(Set({RsaA().jwk, EcA().jwk, enc, p384, oct}));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "rsa-a");
  EXPECT_EQ((*keys)[0].alg, "RS256");
  EXPECT_EQ((*keys)[0].pem, RsaA().public_pem);
  EXPECT_EQ((*keys)[1].kid, "ec-a");
  EXPECT_EQ((*keys)[1].alg, "ES256");
  EXPECT_EQ((*keys)[1].pem, EcA().public_pem);
}

TEST(ParseJwks, RefusesWhatCannotBeAKeySetNamingTheKey) {
  EXPECT_THAT(ParseJwks("[]").status().message(), HasSubstr("\"keys\" array"));
  EXPECT_THAT(ParseJwks("{\"keys\":[]}").status().message(), HasSubstr("no RS256 or ES256"));
  nlohmann::json no_n = RsaA().jwk;
  no_n.erase("n");
  EXPECT_THAT(ParseJwks(Set({no_n})).status().message(),
              HasSubstr("key 0 (kid rsa-a): has no \"n\""));
  nlohmann::json bad_x = EcA().jwk;
  bad_x["x"] = "AAAA";
  EXPECT_THAT(ParseJwks(Set({bad_x})).status().message(), HasSubstr("32 bytes"));
  nlohmann::json off_curve = EcA().jwk;
  off_curve["y"] = off_curve["x"];  // (x, x) is not on the curve
  EXPECT_THAT(ParseJwks(Set({off_curve})).status().message(),
              HasSubstr("is not a valid public key"));
  EXPECT_THAT(ParseJwks(Set({Rsa("short", 1024).jwk})).status().message(),
              HasSubstr("shorter than 2048 bits"));
  EXPECT_THAT(ParseJwks(Set({RsaA().jwk, RsaA().jwk})).status().message(), HasSubstr("same kid"));
}

TEST(JwksVerify, ATokenIsVerifiedWithTheKeyItsKidNames) {
  auto keys = ParseJwks(Set({RsaA().jwk, RsaB().jwk, EcA().jwk}));
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto v = Verifier({.jwks = *keys});
  ASSERT_NE(v, nullptr);
  for (const auto& [key, alg, kid] : {std::tuple{&RsaA(), "RS256", "rsa-a"},
                                      {&RsaB(), "RS256", "rsa-b"},
                                      {&EcA(), "ES256", "ec-a"}}) {
    auto p = v->Verify(Sign(*key, alg, kid), kT0 + absl::Minutes(1));
    ASSERT_TRUE(p.ok()) << kid << ": " << p.status();
    EXPECT_EQ(p->subject, "u-1001");
  }
  // Signed with rsa-b but naming rsa-a: the named key does not verify it.
  EXPECT_THAT(v->Verify(Sign(RsaB(), "RS256", "rsa-a"), kT0).status().message(),
              HasSubstr("signature is invalid"));
  // A kid the set does not have, and no PEM key beside it.
  EXPECT_THAT(v->Verify(Sign(RsaA(), "RS256", "rotated-away"), kT0).status().message(),
              HasSubstr("not among the configured keys"));
  // Two RS256 keys and no kid: which one is not guessed.
  EXPECT_THAT(v->Verify(Sign(RsaA(), "RS256", ""), kT0).status().message(),
              HasSubstr("several RS256 keys"));
}

TEST(JwksVerify, AKidOfAnotherAlgorithmIsRefusedBeforeAnySignatureCheck) {
  auto keys = ParseJwks(Set({RsaA().jwk, EcA().jwk}));
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto v = Verifier({.jwks = *keys});
  ASSERT_NE(v, nullptr);
  // An RS256 token naming the EC key: refused by the kind of key, not tried against it.
  EXPECT_THAT(v->Verify(Sign(RsaA(), "RS256", "ec-a"), kT0).status().message(),
              HasSubstr("not an RS256 key"));
}

TEST(JwksVerify, WithoutKidTheOneKeyOfTheAlgorithmVerifies) {
  auto keys = ParseJwks(Set({RsaA().jwk, EcA().jwk}));
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto v = Verifier({.jwks = *keys});
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->Verify(Sign(RsaA(), "RS256", ""), kT0).ok());
  EXPECT_TRUE(v->Verify(Sign(EcA(), "ES256", ""), kT0).ok());
}

TEST(Es256Verify, AnEs256TokenVerifiesWithItsPemKeyAndNoOther) {
  auto v = Verifier({.es256_public_key_pem = EcA().public_pem});
  ASSERT_NE(v, nullptr);
  auto p = v->Verify(Sign(EcA(), "ES256", ""), kT0);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->role, Role::kStreetOfficer);
  EXPECT_THAT(v->Verify(Sign(Ec("other"), "ES256", ""), kT0).status().message(),
              HasSubstr("signature is invalid"));
  EXPECT_THAT(v->Verify(Sign(RsaA(), "RS256", ""), kT0).status().message(),
              HasSubstr("no RS256 key is configured"));
}

TEST(Es256Verify, KeysThatAreNotP256AreRefusedAtStart) {
  EXPECT_THAT(TokenVerifier::Create({.es256_public_key_pem = RsaA().public_pem}).status().message(),
              HasSubstr("ES256: not an EC key on the P-256 curve"));
  EXPECT_THAT(TokenVerifier::Create({.es256_public_key_pem = Ec("p384", "P-384").public_pem})
                  .status()
                  .message(),
              HasSubstr("P-256"));
  EXPECT_THAT(TokenSigner::Es256(RsaA().private_pem).status().message(),
              HasSubstr("P-256 EC private key"));
}

}  // namespace
}  // namespace firegrid::auth
