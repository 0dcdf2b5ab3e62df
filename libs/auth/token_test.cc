#include "libs/auth/token.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace firegrid::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const std::string kKey = "0123456789abcdef0123456789abcdef-hs256-test";
const std::string kOtherKey = "fedcba9876543210fedcba9876543210-other-key";

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

KeyPair GenerateRsa(unsigned bits) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(bits), &EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
  EXPECT_EQ(PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  EXPECT_EQ(PEM_write_bio_PUBKEY(pub.get(), key.get()), 1);
  return {BioToString(priv.get()), BioToString(pub.get())};
}

// One 2048-bit key pair per test binary: generating it takes a noticeable fraction of a second.
const KeyPair& Rsa() {
  static const KeyPair* kp = new KeyPair(GenerateRsa(2048));
  return *kp;
}

Principal StreetOfficer() {
  Principal p;
  p.subject = "u-1001";
  p.role = Role::kStreetOfficer;
  p.org_unit = "500109001";
  p.tier_path = "500109001";
  return p;
}

std::unique_ptr<TokenVerifier> HsVerifier(VerifierOptions o = {}) {
  o.hs256_key = kKey;
  auto v = TokenVerifier::Create(std::move(o));
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

std::unique_ptr<TokenVerifier> RsVerifier(VerifierOptions o = {}) {
  o.rs256_public_key_pem = Rsa().public_pem;
  auto v = TokenVerifier::Create(std::move(o));
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

// Both keys: development HS256 tokens and the accounts service's RS256 tokens at once.
std::unique_ptr<TokenVerifier> BothVerifier() {
  VerifierOptions o;
  o.hs256_key = kKey;
  o.rs256_public_key_pem = Rsa().public_pem;
  auto v = TokenVerifier::Create(std::move(o));
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

std::string SignRs(const Principal& p, absl::Duration ttl = absl::Hours(1)) {
  auto signer = TokenSigner::Rs256(Rsa().private_pem);
  EXPECT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->Sign(p, kT0, ttl);
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

std::string SignHs(const Principal& p, absl::Duration ttl = absl::Hours(1), std::string iss = "",
                   std::string aud = "") {
  auto signer = TokenSigner::Hs256(kKey);
  EXPECT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->Sign(p, kT0, ttl, std::move(iss), std::move(aud));
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

// Signs an arbitrary claim set with libjwt directly, for tokens TokenSigner refuses to make.
std::string SignClaims(const nlohmann::json& claims, jwt_alg_t alg, const std::string& key) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())),
            0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.dump().c_str()), 0);
  char* out = jwt_encode_str(jwt);
  EXPECT_NE(out, nullptr);
  std::string token = out ? out : "";
  std::free(out);
  jwt_free(jwt);
  return token;
}

nlohmann::json ValidClaims() {
  return {{"sub", "u-1"},
          {"role", "community_worker"},
          {"tier_path", "500109001002"},
          {"iat", absl::ToUnixSeconds(kT0)},
          {"exp", absl::ToUnixSeconds(kT0 + absl::Hours(1))}};
}

std::string B64(absl::string_view s) { return absl::WebSafeBase64Escape(s); }

void ExpectUnauthenticated(const absl::StatusOr<Principal>& r, absl::string_view reason) {
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string(reason)));
}

// --- Create / signer construction -----------------------------------------------------------

TEST(TokenVerifierCreate, RequiresAtLeastOneKey) {
  EXPECT_EQ(TokenVerifier::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  VerifierOptions both;
  both.hs256_key = kKey;
  both.rs256_public_key_pem = Rsa().public_pem;
  EXPECT_TRUE(TokenVerifier::Create(both).ok());
}

TEST(TokenVerifierCreate, ChecksEachKeyWhenBothAreGiven) {
  VerifierOptions short_secret;
  short_secret.hs256_key = "too-short";
  short_secret.rs256_public_key_pem = Rsa().public_pem;
  EXPECT_EQ(TokenVerifier::Create(short_secret).status().code(),
            absl::StatusCode::kInvalidArgument);
  VerifierOptions weak_rsa;
  weak_rsa.hs256_key = kKey;
  weak_rsa.rs256_public_key_pem = GenerateRsa(1024).public_pem;
  EXPECT_EQ(TokenVerifier::Create(weak_rsa).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TokenVerifierCreate, RejectsShortSecretsAndUnusableRsaKeys) {
  VerifierOptions short_key;
  short_key.hs256_key = "too-short";
  EXPECT_EQ(TokenVerifier::Create(short_key).status().code(), absl::StatusCode::kInvalidArgument);

  VerifierOptions garbage;
  garbage.rs256_public_key_pem = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n";
  EXPECT_EQ(TokenVerifier::Create(garbage).status().code(), absl::StatusCode::kInvalidArgument);

  VerifierOptions private_as_public;
  private_as_public.rs256_public_key_pem = Rsa().private_pem;
  EXPECT_EQ(TokenVerifier::Create(private_as_public).status().code(),
            absl::StatusCode::kInvalidArgument);

  VerifierOptions weak;
  weak.rs256_public_key_pem = GenerateRsa(1024).public_pem;
  auto s = TokenVerifier::Create(weak).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("2048"));

  VerifierOptions negative_leeway;
  negative_leeway.hs256_key = kKey;
  negative_leeway.leeway = absl::Seconds(-1);
  EXPECT_EQ(TokenVerifier::Create(negative_leeway).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TokenSigner, RejectsShortSecretsPublicKeysAndIncompletePrincipals) {
  EXPECT_EQ(TokenSigner::Hs256("short").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenSigner::Rs256(Rsa().public_pem).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto signer = TokenSigner::Hs256(kKey);
  ASSERT_TRUE(signer.ok());
  Principal no_sub = StreetOfficer();
  no_sub.subject = "";
  EXPECT_EQ((*signer)->Sign(no_sub, kT0, absl::Hours(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  Principal no_role = StreetOfficer();
  no_role.role = Role::kUnspecified;
  EXPECT_EQ((*signer)->Sign(no_role, kT0, absl::Hours(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*signer)->Sign(StreetOfficer(), kT0, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- Round trips ----------------------------------------------------------------------------

TEST(TokenRoundTrip, Hs256YieldsEveryClaim) {
  auto p = HsVerifier()->Verify(SignHs(StreetOfficer()), kT0 + absl::Minutes(5));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "u-1001");
  EXPECT_EQ(p->role, Role::kStreetOfficer);
  EXPECT_EQ(p->org_unit, "500109001");
  EXPECT_EQ(p->tier_path, "500109001");
  EXPECT_EQ(p->department, "");
  EXPECT_EQ(p->expiry, kT0 + absl::Hours(1));
}

TEST(TokenRoundTrip, Rs256YieldsEveryClaim) {
  auto signer = TokenSigner::Rs256(Rsa().private_pem);
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->Sign(StreetOfficer(), kT0, absl::Minutes(10));
  ASSERT_TRUE(token.ok()) << token.status();
  auto p = RsVerifier()->Verify(*token, kT0);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "u-1001");
  EXPECT_EQ(p->role, Role::kStreetOfficer);
  EXPECT_EQ(p->tier_path, "500109001");
  EXPECT_EQ(p->expiry, kT0 + absl::Minutes(10));
}

TEST(TokenRoundTrip, OptionalClaimsMayBeAbsent) {
  Principal p;
  p.subject = "svc-hazards";
  p.role = Role::kInternalService;
  auto got = HsVerifier()->Verify(SignHs(p), kT0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->role, Role::kInternalService);
  EXPECT_EQ(got->tier_path, "");
  EXPECT_EQ(got->department, "");
}

// --- Rejections -----------------------------------------------------------------------------

TEST(TokenVerify, RejectsMalformedTokens) {
  auto v = HsVerifier();
  ExpectUnauthenticated(v->Verify("", kT0), "empty");
  ExpectUnauthenticated(v->Verify("abc", kT0), "malformed");
  ExpectUnauthenticated(v->Verify("a.b", kT0), "malformed");
  ExpectUnauthenticated(v->Verify("a.b.c.d", kT0), "malformed");
  ExpectUnauthenticated(v->Verify("!!!.e30.c2ln", kT0), "malformed");
  ExpectUnauthenticated(v->Verify(B64("not json") + ".e30.c2ln", kT0), "malformed");
  ExpectUnauthenticated(v->Verify(B64(R"({"alg":"HS256"})") + "." + B64("[1]") + ".c2ln", kT0),
                        "malformed");
  ExpectUnauthenticated(v->Verify(std::string(20000, 'a'), kT0), "malformed");
  std::vector<std::string> parts = absl::StrSplit(SignHs(StreetOfficer()), '.');
  ExpectUnauthenticated(v->Verify(parts[0] + "." + parts[1] + ".", kT0), "not signed");
}

TEST(TokenVerify, RejectsAWrongKeySignature) {
  auto signer = TokenSigner::Hs256(kOtherKey);
  ASSERT_TRUE(signer.ok());
  auto token = (*signer)->Sign(StreetOfficer(), kT0, absl::Hours(1));
  ASSERT_TRUE(token.ok());
  ExpectUnauthenticated(HsVerifier()->Verify(*token, kT0), "signature");
}

TEST(TokenVerify, RejectsATamperedPayload) {
  std::vector<std::string> parts = absl::StrSplit(SignHs(StreetOfficer()), '.');
  nlohmann::json claims = ValidClaims();
  claims["role"] = "district_admin";
  claims["tier_path"] = "500109";
  std::string forged = parts[0] + "." + B64(claims.dump()) + "." + parts[2];
  ExpectUnauthenticated(HsVerifier()->Verify(forged, kT0), "signature");
}

TEST(TokenVerify, RejectsAnRs256TokenSignedByAnotherKey) {
  auto signer = TokenSigner::Rs256(GenerateRsa(2048).private_pem);
  ASSERT_TRUE(signer.ok());
  auto token = (*signer)->Sign(StreetOfficer(), kT0, absl::Hours(1));
  ASSERT_TRUE(token.ok());
  ExpectUnauthenticated(RsVerifier()->Verify(*token, kT0), "signature");
}

// The algorithm-confusion attack: the verifier holds an RS256 *public* key; the attacker MACs a
// token with HS256 using the public key's PEM text as the secret.
TEST(TokenVerify, RejectsHs256TokenMacedWithTheRs256PublicKey) {
  std::string forged = SignClaims(ValidClaims(), JWT_ALG_HS256, Rsa().public_pem);

  // libjwt alone accepts it: jwt_decode trusts the header's alg. This is why Verify checks it.
  jwt_t* raw = nullptr;
  const std::string& pem = Rsa().public_pem;
  int rc = jwt_decode(&raw, forged.c_str(), reinterpret_cast<const unsigned char*>(pem.data()),
                      static_cast<int>(pem.size()));
  EXPECT_EQ(rc, 0) << "libjwt now rejects alg confusion by itself; the test premise changed";
  jwt_free(raw);

  ExpectUnauthenticated(RsVerifier()->Verify(forged, kT0), "algorithm");
}

TEST(TokenVerifyBothKeys, AcceptsHs256AndRs256TokensEachWithItsOwnKey) {
  auto v = BothVerifier();
  auto hs = v->Verify(SignHs(StreetOfficer()), kT0);
  ASSERT_TRUE(hs.ok()) << hs.status();
  EXPECT_EQ(hs->subject, "u-1001");
  auto rs = v->Verify(SignRs(StreetOfficer()), kT0);
  ASSERT_TRUE(rs.ok()) << rs.status();
  EXPECT_EQ(rs->tier_path, "500109001");
}

TEST(TokenVerifyBothKeys, RejectsHs256TokenMacedWithTheRs256PublicKey) {
  ExpectUnauthenticated(
      BothVerifier()->Verify(SignClaims(ValidClaims(), JWT_ALG_HS256, Rsa().public_pem), kT0),
      "signature");
}

TEST(TokenVerifyBothKeys, RejectsAnRs256TokenOfAnotherKeyAndOtherAlgorithms) {
  auto other = TokenSigner::Rs256(GenerateRsa(2048).private_pem);
  ASSERT_TRUE(other.ok());
  auto token = (*other)->Sign(StreetOfficer(), kT0, absl::Hours(1));
  ASSERT_TRUE(token.ok());
  auto v = BothVerifier();
  ExpectUnauthenticated(v->Verify(*token, kT0), "signature");
  ExpectUnauthenticated(v->Verify(SignClaims(ValidClaims(), JWT_ALG_HS512, kKey), kT0),
                        "algorithm");
  ExpectUnauthenticated(v->Verify(SignClaims(ValidClaims(), JWT_ALG_RS512, Rsa().private_pem), kT0),
                        "algorithm");
  std::string none = B64(R"({"alg":"none","typ":"JWT"})") + "." + B64(ValidClaims().dump()) + ".";
  ExpectUnauthenticated(v->Verify(none, kT0), "algorithm");
}

TEST(TokenVerify, RejectsARs256TokenWhenOnlyAnHs256KeyIsConfigured) {
  ExpectUnauthenticated(HsVerifier()->Verify(SignRs(StreetOfficer()), kT0),
                        "no RS256 key is configured");
}

TEST(TokenVerify, RejectsAnHs256TokenWhenOnlyAnRs256KeyIsConfigured) {
  ExpectUnauthenticated(RsVerifier()->Verify(SignHs(StreetOfficer()), kT0),
                        "no HS256 key is configured");
}

TEST(TokenVerify, RejectsATokenForANarrowerUseUnlessConfiguredForIt) {
  auto signer = TokenSigner::Rs256(Rsa().private_pem);
  ASSERT_TRUE(signer.ok());
  auto enrolment = (*signer)->Sign(StreetOfficer(), kT0, absl::Minutes(10), "", "",
                                   {{"token_use", "enrolment"}});
  ASSERT_TRUE(enrolment.ok()) << enrolment.status();
  ExpectUnauthenticated(RsVerifier()->Verify(*enrolment, kT0), "token_use");
  VerifierOptions o;
  o.token_use = "enrolment";
  auto for_enrolment = RsVerifier(o);
  EXPECT_TRUE(for_enrolment->Verify(*enrolment, kT0).ok());
  // ... and that verifier takes nothing else.
  ExpectUnauthenticated(for_enrolment->Verify(SignRs(StreetOfficer()), kT0), "token_use");
}

TEST(TokenSigner, RefusesExtraClaimsThatReplaceItsOwn) {
  auto signer = TokenSigner::Hs256(kKey);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ((*signer)
                ->Sign(StreetOfficer(), kT0, absl::Hours(1), "", "", {{"role", "district_admin"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TokenSigner, Rs256PutsTheKeyIdIntoTheHeader) {
  auto signer = TokenSigner::Rs256(Rsa().private_pem, "key-1");
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->Sign(StreetOfficer(), kT0, absl::Minutes(10));
  ASSERT_TRUE(token.ok()) << token.status();
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  std::string header;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header));
  nlohmann::json h = nlohmann::json::parse(header);
  EXPECT_EQ(h["kid"], "key-1");
  EXPECT_EQ(h["alg"], "RS256");
  EXPECT_TRUE(RsVerifier()->Verify(*token, kT0).ok());
}

TEST(TokenVerify, RejectsOtherAlgorithmsThanTheConfiguredOne) {
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(ValidClaims(), JWT_ALG_HS512, kKey), kT0),
                        "algorithm");
  auto rs_signer = TokenSigner::Rs256(Rsa().private_pem);
  ASSERT_TRUE(rs_signer.ok());
  auto rs_token = (*rs_signer)->Sign(StreetOfficer(), kT0, absl::Hours(1));
  ASSERT_TRUE(rs_token.ok());
  ExpectUnauthenticated(HsVerifier()->Verify(*rs_token, kT0), "algorithm");
}

TEST(TokenVerify, RejectsAlgNoneWithOrWithoutASignature) {
  std::string header = B64(R"({"alg":"none","typ":"JWT"})");
  std::string payload = B64(ValidClaims().dump());
  for (const auto& v : {HsVerifier(), RsVerifier()}) {
    ExpectUnauthenticated(v->Verify(header + "." + payload + ".", kT0), "algorithm");
    ExpectUnauthenticated(v->Verify(header + "." + payload + ".c2lnbmF0dXJl", kT0), "algorithm");
  }
  std::string no_alg = B64(R"({"typ":"JWT"})");
  ExpectUnauthenticated(HsVerifier()->Verify(no_alg + "." + payload + ".c2ln", kT0), "alg");
}

TEST(TokenVerify, RejectsCriticalHeaderExtensions) {
  std::string header = B64(R"({"alg":"HS256","crit":["exp"],"exp":1})");
  std::vector<std::string> parts = absl::StrSplit(SignHs(StreetOfficer()), '.');
  ExpectUnauthenticated(HsVerifier()->Verify(header + "." + parts[1] + "." + parts[2], kT0),
                        "critical");
}

TEST(TokenVerify, HonoursExpiryWithLeewayAtAFixedNow) {
  VerifierOptions o;
  o.leeway = absl::Seconds(30);
  auto v = HsVerifier(o);
  std::string token = SignHs(StreetOfficer(), absl::Hours(1));  // exp = kT0 + 1h
  const absl::Time exp = kT0 + absl::Hours(1);
  EXPECT_TRUE(v->Verify(token, exp).ok());
  EXPECT_TRUE(v->Verify(token, exp + absl::Seconds(30)).ok());
  ExpectUnauthenticated(v->Verify(token, exp + absl::Seconds(31)), "expired");

  VerifierOptions strict;
  strict.leeway = absl::ZeroDuration();
  ExpectUnauthenticated(HsVerifier(strict)->Verify(token, exp + absl::Seconds(1)), "expired");
}

TEST(TokenVerify, RejectsMissingOrNonNumericExp) {
  nlohmann::json claims = ValidClaims();
  claims.erase("exp");
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "no exp");
  claims["exp"] = "tomorrow";
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "exp claim is not a number");
}

TEST(TokenVerify, RejectsATokenBeforeItsNotBefore) {
  nlohmann::json claims = ValidClaims();
  claims["nbf"] = absl::ToUnixSeconds(kT0 + absl::Minutes(10));
  std::string token = SignClaims(claims, JWT_ALG_HS256, kKey);
  ExpectUnauthenticated(HsVerifier()->Verify(token, kT0), "not valid yet");
  EXPECT_TRUE(HsVerifier()->Verify(token, kT0 + absl::Minutes(10)).ok());
}

TEST(TokenVerify, RejectsMissingUnknownOrUnspecifiedRole) {
  nlohmann::json claims = ValidClaims();
  claims.erase("role");
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "no role");
  for (const char* bad : {"superuser", "unspecified", "District_Admin"}) {
    claims["role"] = bad;
    ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                          "role is not a known role");
  }
  claims["role"] = 7;
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "role claim is not a string");
}

TEST(TokenVerify, RejectsMissingSubject) {
  nlohmann::json claims = ValidClaims();
  claims.erase("sub");
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "no sub");
  claims["sub"] = "";
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "no sub");
}

TEST(TokenVerify, ChecksIssuerAndAudienceWhenConfigured) {
  VerifierOptions o;
  o.issuer = "https://idp.firegrid.example";
  o.audience = "firegrid";
  auto v = HsVerifier(o);
  EXPECT_TRUE(
      v->Verify(SignHs(StreetOfficer(), absl::Hours(1), "https://idp.firegrid.example", "firegrid"),
                kT0)
          .ok());
  ExpectUnauthenticated(
      v->Verify(SignHs(StreetOfficer(), absl::Hours(1), "https://evil.example", "firegrid"), kT0),
      "issuer");
  ExpectUnauthenticated(v->Verify(SignHs(StreetOfficer(), absl::Hours(1), "", "firegrid"), kT0),
                        "issuer");
  ExpectUnauthenticated(
      v->Verify(SignHs(StreetOfficer(), absl::Hours(1), "https://idp.firegrid.example", "other"),
                kT0),
      "audience");

  nlohmann::json claims = ValidClaims();
  claims["iss"] = "https://idp.firegrid.example";
  claims["aud"] = {"account", "firegrid"};
  EXPECT_TRUE(v->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0).ok());
  claims["aud"] = {"account"};
  ExpectUnauthenticated(v->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0), "audience");

  // Not configured: not checked.
  EXPECT_TRUE(HsVerifier()
                  ->Verify(SignHs(StreetOfficer(), absl::Hours(1), "anyone", "anything"), kT0)
                  .ok());
}

// --- Lifetime (exp - iat) and issue time -----------------------------------------------------

TEST(TokenVerify, AcceptsALifetimeUpToTheMaximum) {
  VerifierOptions o;
  o.max_lifetime = absl::Hours(24);
  EXPECT_TRUE(HsVerifier(o)->Verify(SignHs(StreetOfficer(), absl::Hours(24)), kT0).ok());
}

TEST(TokenVerify, RejectsALifetimeAboveTheMaximum) {
  VerifierOptions o;
  o.max_lifetime = absl::Hours(24);
  ExpectUnauthenticated(
      HsVerifier(o)->Verify(SignHs(StreetOfficer(), absl::Hours(24) + absl::Seconds(1)), kT0),
      "lifetime");
  // exp a thousand years ahead.
  ExpectUnauthenticated(HsVerifier()->Verify(SignHs(StreetOfficer(), absl::Hours(24 * 365 * 1000)),
                                             kT0 + absl::Minutes(1)),
                        "lifetime");
}

TEST(TokenVerify, JudgesATokenWithoutIatByItsRemainingLifetime) {
  nlohmann::json claims = ValidClaims();
  claims.erase("iat");
  claims["exp"] = absl::ToUnixSeconds(kT0 + absl::Hours(24));
  EXPECT_TRUE(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0).ok());
  claims["exp"] = absl::ToUnixSeconds(kT0 + absl::Hours(25));
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "without iat");
  // The same token is acceptable once its remaining lifetime is within the maximum.
  EXPECT_TRUE(
      HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0 + absl::Hours(1)).ok());
}

TEST(TokenVerify, RejectsAnIatInTheFutureBeyondTheLeeway) {
  VerifierOptions o;
  o.leeway = absl::Seconds(30);
  auto v = HsVerifier(o);
  nlohmann::json claims = ValidClaims();  // iat = kT0, exp = kT0 + 1h
  std::string token = SignClaims(claims, JWT_ALG_HS256, kKey);
  EXPECT_TRUE(v->Verify(token, kT0 - absl::Seconds(30)).ok());
  ExpectUnauthenticated(v->Verify(token, kT0 - absl::Seconds(31)), "issued in the future");
  // iat a year ahead, exp just after it.
  claims["iat"] = absl::ToUnixSeconds(kT0 + absl::Hours(24 * 365));
  claims["exp"] = absl::ToUnixSeconds(kT0 + absl::Hours(24 * 365 + 1));
  ExpectUnauthenticated(v->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "issued in the future");
}

TEST(TokenVerifierCreate, RejectsANonPositiveMaximumLifetime) {
  VerifierOptions o;
  o.hs256_key = kKey;
  o.max_lifetime = absl::ZeroDuration();
  EXPECT_EQ(TokenVerifier::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Claims consistency (ResolveCaller is applied to every verified token) ------------------

TEST(TokenVerify, RejectsATrustedTokenWhoseClaimsContradictTheRole) {
  nlohmann::json claims = ValidClaims();  // a community worker
  claims["tier_path"] = "500109";         // ... claiming the whole district
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "inconsistent");
  claims["tier_path"] = "500109001002";
  claims["org_unit"] = "500109.fire_rescue";  // ... reading a department's inbox
  ExpectUnauthenticated(HsVerifier()->Verify(SignClaims(claims, JWT_ALG_HS256, kKey), kT0),
                        "inconsistent");
}

TEST(TokenVerify, DerivesTheOrgUnitOfAnAreaRoleFromItsTier) {
  auto p = HsVerifier()->Verify(SignClaims(ValidClaims(), JWT_ALG_HS256, kKey), kT0);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->org_unit, "500109001002");
}

}  // namespace
}  // namespace firegrid::auth
