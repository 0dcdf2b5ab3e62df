#include "libs/auth/token.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/auth/claims.h"
#include "libs/auth/token_cache.h"
#include "nlohmann/json.hpp"

namespace firegrid::auth {
namespace {

// Tokens larger than this are refused before any parsing (a gRPC header is capped at 8 KiB by
// default anyway).
constexpr size_t kMaxTokenBytes = 16 * 1024;
constexpr size_t kMinHs256KeyBytes = 32;  // RFC 7518 §3.2: key at least as long as the hash
constexpr int kMinRsaBits = 2048;
// NumericDate values outside this range (about 31 million years) are treated as malformed; it
// also keeps the double -> int64 conversion exact.
constexpr double kMaxNumericDate = 1e15;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

absl::Status Unauthenticated(absl::string_view reason) {
  return absl::UnauthenticatedError(reason);
}

// Refuses passphrase prompts: OpenSSL's default callback would read from the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

// Checks that `pem` holds an unencrypted RSA key (private or public) of at least 2048 bits.
absl::Status CheckRsaPem(const std::string& pem, bool is_private) {
  const char* what = is_private ? "RS256 private key" : "RS256 public key";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  EVP_PKEY* raw = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, &NoPassphrase, nullptr);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, &EVP_PKEY_free);
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not a PEM ", is_private ? "(unencrypted) private" : "public", " key"));
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not an RSA key"));
  }
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": RSA key shorter than ", kMinRsaBits, " bits"));
  }
  return absl::OkStatus();
}

// Decodes one base64url segment of a compact JWS and parses it as a JSON object.
std::optional<nlohmann::json> DecodeJsonSegment(absl::string_view segment) {
  std::string text;
  if (!absl::WebSafeBase64Unescape(segment, &text)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// A NumericDate claim: absent -> nullopt with *present = false; malformed -> error.
absl::StatusOr<std::optional<absl::Time>> NumericDate(const nlohmann::json& claims,
                                                      const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<absl::Time>();
  if (!it->is_number()) {
    return Unauthenticated(absl::StrCat("token ", name, " claim is not a number"));
  }
  double v = it->get<double>();
  if (!std::isfinite(v) || std::fabs(v) > kMaxNumericDate) {
    return Unauthenticated(absl::StrCat("token ", name, " claim is out of range"));
  }
  return std::optional<absl::Time>(absl::FromUnixSeconds(static_cast<int64_t>(std::floor(v))));
}

// An optional string claim: absent -> "", a non-string -> error.
absl::StatusOr<std::string> StringClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Unauthenticated(absl::StrCat("token ", name, " claim is not a string"));
  }
  return it->get<std::string>();
}

bool AudienceMatches(const nlohmann::json& claims, const std::string& audience) {
  auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->is_string()) return it->get<std::string>() == audience;
  if (it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_string() && a.get<std::string>() == audience) return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(VerifierOptions options) {
  const bool has_hs = !options.hs256_key.empty();
  const bool has_rs = !options.rs256_public_key_pem.empty();
  const bool has_es = !options.es256_public_key_pem.empty();
  if (!has_hs && !has_rs && !has_es && options.jwks.empty()) {
    return absl::InvalidArgumentError(
        "token verifier: set hs256_key, rs256_public_key_pem, es256_public_key_pem or jwks");
  }
  if (has_hs && options.hs256_key.size() < kMinHs256KeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("token verifier: hs256_key must be at least ", kMinHs256KeyBytes, " bytes"));
  }
  if (has_rs) {
    absl::Status s = CheckRsaPem(options.rs256_public_key_pem, /*is_private=*/false);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("token verifier: ", s.message()));
  }
  if (has_es) {
    absl::Status s = CheckPublicKeyPem(options.es256_public_key_pem, "ES256");
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("token verifier: ", s.message()));
  }
  for (const PublicKey& k : options.jwks) {
    absl::Status s = CheckPublicKeyPem(k.pem, k.alg);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("token verifier: JWKS key ", k.kid, ": ", s.message()));
    }
  }
  if (options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token verifier: leeway must not be negative");
  }
  if (options.max_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token verifier: max_lifetime must be positive");
  }
  if (options.cache_capacity > 0 && options.cache_max_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("token verifier: cache_max_age must be positive");
  }
  return std::unique_ptr<TokenVerifier>(new TokenVerifier(std::move(options)));
}

TokenVerifier::TokenVerifier(VerifierOptions options) : options_(std::move(options)) {
  if (options_.cache_capacity > 0) {
    cache_ = std::make_unique<VerifiedTokenCache>(options_.cache_capacity, options_.cache_max_age);
  }
}

TokenVerifier::~TokenVerifier() = default;

absl::StatusOr<Principal> TokenVerifier::Verify(absl::string_view token, absl::Time now) const {
  if (token.empty()) return Unauthenticated("token is empty");
  if (token.size() > kMaxTokenBytes) return Unauthenticated("token is malformed: too long");
  if (cache_ != nullptr) {
    if (std::optional<VerifiedTokenCache::Entry> hit = cache_->Find(token, now)) {
      absl::Status s = CheckTimes(hit->times, now);
      if (!s.ok()) return s;
      return std::move(hit->principal);
    }
  }
  TokenTimes times;
  absl::StatusOr<Principal> p = VerifyUncached(token, now, &times);
  if (p.ok() && cache_ != nullptr) cache_->Insert(token, {*p, times}, now);
  return p;
}

absl::Status TokenVerifier::CheckTimes(const TokenTimes& times, absl::Time now) const {
  if (times.exp + options_.leeway < now) return Unauthenticated("token has expired");
  if (times.nbf.has_value() && now + options_.leeway < *times.nbf) {
    return Unauthenticated("token is not valid yet (nbf)");
  }
  if (times.iat.has_value()) {
    if (now + options_.leeway < *times.iat) {
      return Unauthenticated("token is issued in the future (iat)");
    }
    if (times.exp - *times.iat > options_.max_lifetime) {
      return Unauthenticated(absl::StrCat("token lifetime (exp - iat) exceeds the maximum of ",
                                          absl::FormatDuration(options_.max_lifetime)));
    }
  } else if (times.exp - now > options_.max_lifetime + options_.leeway) {
    return Unauthenticated(
        absl::StrCat("token without iat expires later than the maximum "
                     "lifetime of ",
                     absl::FormatDuration(options_.max_lifetime), " from now"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const std::string*> TokenVerifier::PublicKeyFor(const std::string& alg,
                                                               const nlohmann::json& header) const {
  std::string kid;
  if (auto it = header.find("kid"); it != header.end()) {
    if (!it->is_string()) return Unauthenticated("token is malformed: kid is not a string");
    kid = it->get<std::string>();
  }
  if (!kid.empty()) {
    for (const PublicKey& k : options_.jwks) {
      if (k.kid != kid) continue;
      if (k.alg != alg) {
        return Unauthenticated(absl::StrCat("token key (kid) is not an ", alg, " key"));
      }
      return &k.pem;
    }
  }
  const std::string& pem =
      alg == "RS256" ? options_.rs256_public_key_pem : options_.es256_public_key_pem;
  if (!pem.empty()) return &pem;
  const PublicKey* only = nullptr;
  int of_alg = 0;
  for (const PublicKey& k : options_.jwks) {
    if (k.alg != alg) continue;
    ++of_alg;
    only = &k;
  }
  if (of_alg == 0) {
    return Unauthenticated(
        absl::StrCat("token algorithm is not accepted (no ", alg, " key is configured)"));
  }
  if (!kid.empty()) return Unauthenticated("token key id (kid) is not among the configured keys");
  if (of_alg > 1) {
    return Unauthenticated(
        absl::StrCat("token names no key (kid) and several ", alg, " keys are configured"));
  }
  return &only->pem;
}

absl::StatusOr<Principal> TokenVerifier::VerifyUncached(absl::string_view token, absl::Time now,
                                                        TokenTimes* times) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return Unauthenticated("token is malformed: not a compact JWS (header.payload.signature)");
  }
  std::optional<nlohmann::json> header = DecodeJsonSegment(parts[0]);
  if (!header) return Unauthenticated("token is malformed: header is not base64url JSON");
  if (!DecodeJsonSegment(parts[1])) {
    return Unauthenticated("token is malformed: payload is not base64url JSON");
  }

  // libjwt 1.10's jwt_decode verifies with whatever algorithm the token's header names, using
  // our key bytes as that algorithm's key. With an RS256 public key configured, a token saying
  // "HS256" and MACed with the (public) PEM text would verify; "none" would skip verification.
  // So the header's alg picks the key here, each algorithm only ever gets its own key, and
  // libjwt's idea of the algorithm is checked again after decoding.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) {
    return Unauthenticated("token is malformed: header has no alg");
  }
  const std::string alg_name = alg->get<std::string>();
  jwt_alg_t expected_alg;
  const std::string* key;
  if (alg_name == "HS256") {
    expected_alg = JWT_ALG_HS256;
    key = &options_.hs256_key;
  } else if (alg_name == "RS256" || alg_name == "ES256") {
    expected_alg = alg_name == "RS256" ? JWT_ALG_RS256 : JWT_ALG_ES256;
    absl::StatusOr<const std::string*> public_key = PublicKeyFor(alg_name, *header);
    if (!public_key.ok()) return public_key.status();
    key = *public_key;
  } else {
    return Unauthenticated("token algorithm is not accepted (HS256, RS256 or ES256 only)");
  }
  if (key->empty()) {
    return Unauthenticated(
        absl::StrCat("token algorithm is not accepted (no ", alg_name, " key is configured)"));
  }
  if (header->contains("crit")) {
    return Unauthenticated("token header has critical extensions that are not supported");
  }
  if (parts[2].empty()) return Unauthenticated("token is not signed");

  const std::string token_text(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, token_text.c_str(), reinterpret_cast<const unsigned char*>(key->data()),
                      static_cast<int>(key->size()));
  JwtPtr jwt(raw);
  ERR_clear_error();  // libjwt leaves OpenSSL's per-thread error queue as it finds it
  if (rc != 0 || jwt == nullptr) return Unauthenticated("token signature is invalid");
  if (jwt_get_alg(jwt.get()) != expected_alg) {  // belt and braces for the check above
    return Unauthenticated(
        absl::StrCat("token algorithm is not accepted (expected ", alg_name, ")"));
  }

  // Claims as libjwt decoded them from the verified payload.
  std::unique_ptr<char, FreeDeleter> grants_text(jwt_get_grants_json(jwt.get(), nullptr));
  if (grants_text == nullptr) return Unauthenticated("token is malformed: no claims");
  nlohmann::json claims = nlohmann::json::parse(grants_text.get(), nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return Unauthenticated("token is malformed: claims are not a JSON object");
  }

  auto exp = NumericDate(claims, "exp");
  if (!exp.ok()) return exp.status();
  if (!exp->has_value()) return Unauthenticated("token has no exp claim");
  auto nbf = NumericDate(claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  auto iat = NumericDate(claims, "iat");
  if (!iat.ok()) return iat.status();
  *times = TokenTimes{**exp, *nbf, *iat};
  absl::Status time_ok = CheckTimes(*times, now);
  if (!time_ok.ok()) return time_ok;

  if (!options_.issuer.empty()) {
    auto iss = StringClaim(claims, "iss");
    if (!iss.ok() || *iss != options_.issuer)
      return Unauthenticated("token issuer is not accepted");
  }
  if (!options_.audience.empty() && !AudienceMatches(claims, options_.audience)) {
    return Unauthenticated("token audience is not accepted");
  }
  {
    auto use = StringClaim(claims, "token_use");
    if (!use.ok()) return use.status();
    if (*use != options_.token_use) {
      return Unauthenticated(options_.token_use.empty()
                                 ? "token is for a narrower use (token_use) and not accepted here"
                                 : "token is not accepted for this use (token_use)");
    }
  }

  Principal p;
  auto sub = StringClaim(claims, "sub");
  if (!sub.ok()) return sub.status();
  if (sub->empty()) return Unauthenticated("token has no sub claim");
  p.subject = *std::move(sub);

  auto role_name = StringClaim(claims, "role");
  if (!role_name.ok()) return role_name.status();
  if (role_name->empty()) return Unauthenticated("token has no role claim");
  absl::StatusOr<Role> role = ParseRole(*role_name);
  if (!role.ok()) return Unauthenticated("token role is not a known role");
  p.role = *role;

  for (auto [name, field] :
       {std::pair{"org_unit", &p.org_unit}, std::pair{"tier_path", &p.tier_path},
        std::pair{"department", &p.department}}) {
    auto v = StringClaim(claims, name);
    if (!v.ok()) return v.status();
    *field = *std::move(v);
  }
  p.expiry = **exp;
  return ResolveCaller(std::move(p));
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::Hs256(std::string key) {
  if (key.size() < kMinHs256KeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("token signer: HS256 key must be at least ", kMinHs256KeyBytes, " bytes"));
  }
  return std::unique_ptr<TokenSigner>(new TokenSigner(std::move(key), JWT_ALG_HS256));
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::Rs256(std::string private_key_pem,
                                                                std::string key_id) {
  absl::Status s = CheckRsaPem(private_key_pem, /*is_private=*/true);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("token signer: ", s.message()));
  return std::unique_ptr<TokenSigner>(
      new TokenSigner(std::move(private_key_pem), JWT_ALG_RS256, std::move(key_id)));
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::Es256(std::string private_key_pem,
                                                                std::string key_id) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio == nullptr ? nullptr
                     : PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr),
      &EVP_PKEY_free);
  char group[64] = {0};
  size_t len = 0;
  const bool p256 = key != nullptr && EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC &&
                    EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                   sizeof(group), &len) == 1 &&
                    absl::string_view(group, len) == "prime256v1";
  ERR_clear_error();
  if (!p256) {
    return absl::InvalidArgumentError(
        "token signer: ES256 private key: not a PEM (unencrypted) P-256 EC private key");
  }
  return std::unique_ptr<TokenSigner>(
      new TokenSigner(std::move(private_key_pem), JWT_ALG_ES256, std::move(key_id)));
}

absl::StatusOr<std::string> TokenSigner::Sign(const Principal& principal, absl::Time issued_at,
                                              absl::Duration ttl, std::string issuer,
                                              std::string audience) const {
  return Sign(principal, issued_at, ttl, std::move(issuer), std::move(audience), {});
}

absl::StatusOr<std::string> TokenSigner::Sign(
    const Principal& principal, absl::Time issued_at, absl::Duration ttl, std::string issuer,
    std::string audience, const std::vector<std::pair<std::string, std::string>>& extra) const {
  for (const auto& [name, value] : extra) {
    for (const char* own : {"sub", "role", "org_unit", "tier_path", "department", "iss", "aud",
                            "iat", "exp", "nbf"}) {
      if (name == own) {
        return absl::InvalidArgumentError(absl::StrCat("extra claim ", name, ": reserved"));
      }
    }
  }
  if (principal.subject.empty()) return absl::InvalidArgumentError("principal.subject: empty");
  if (principal.role == Role::kUnspecified) {
    return absl::InvalidArgumentError("principal.role: unspecified");
  }
  if (ttl < absl::Seconds(1)) return absl::InvalidArgumentError("ttl: must be at least 1s");

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0 || raw == nullptr) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  const int64_t iat = absl::ToUnixSeconds(issued_at);
  const int64_t exp = iat + absl::ToInt64Seconds(ttl);
  int rc = jwt_set_alg(jwt.get(), static_cast<jwt_alg_t>(alg_),
                       reinterpret_cast<const unsigned char*>(key_.data()),
                       static_cast<int>(key_.size()));
  auto add = [&](const char* name, const std::string& value) {
    if (rc == 0 && !value.empty()) rc = jwt_add_grant(jwt.get(), name, value.c_str());
  };
  add("sub", principal.subject);
  add("role", std::string(RoleName(principal.role)));
  add("org_unit", principal.org_unit);
  add("tier_path", principal.tier_path);
  add("department", principal.department);
  add("iss", issuer);
  add("aud", audience);
  for (const auto& [name, value] : extra) add(name.c_str(), value);
  if (rc == 0 && !key_id_.empty()) rc = jwt_add_header(jwt.get(), "kid", key_id_.c_str());
  if (rc == 0) rc = jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(iat));
  if (rc == 0) rc = jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(exp));
  if (rc != 0) return absl::InternalError(absl::StrCat("building token failed: errno ", rc));
  std::unique_ptr<char, FreeDeleter> out(jwt_encode_str(jwt.get()));
  ERR_clear_error();
  if (out == nullptr) return absl::InternalError("signing token failed");
  return std::string(out.get());
}

}  // namespace firegrid::auth
