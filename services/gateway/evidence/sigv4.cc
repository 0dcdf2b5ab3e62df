#include "services/gateway/evidence/sigv4.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/gateway/evidence/hashing.h"

namespace firegrid::gateway::evidence {
namespace {

// Lower-case name, value trimmed with inner runs of spaces collapsed; sorted by name.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    std::string v;
    bool space = false;
    for (char c : absl::StripAsciiWhitespace(value)) {
      if (c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space) v.push_back(' ');
      space = false;
      v.push_back(c);
    }
    out.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(name)), std::move(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string DateOf(absl::string_view amz_date) { return std::string(amz_date.substr(0, 8)); }

std::string Scope(absl::string_view amz_date, absl::string_view region, absl::string_view service) {
  return absl::StrCat(DateOf(amz_date), "/", region, "/", service, "/aws4_request");
}

}  // namespace

std::string AmzDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string UriEncodePath(absl::string_view path) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

std::string SignedHeaders(const SigV4Request& request) {
  std::vector<std::string> names;
  for (const auto& [name, value] : CanonicalHeaders(request)) names.push_back(name);
  return absl::StrJoin(names, ";");
}

std::string CanonicalRequest(const SigV4Request& request) {
  std::string headers;
  for (const auto& [name, value] : CanonicalHeaders(request)) {
    absl::StrAppend(&headers, name, ":", value, "\n");
  }
  return absl::StrCat(request.method, "\n", request.canonical_uri, "\n", request.canonical_query,
                      "\n", headers, "\n", SignedHeaders(request), "\n",
                      request.payload_sha256_hex);
}

std::string StringToSign(absl::string_view amz_date, absl::string_view region,
                         absl::string_view service, absl::string_view canonical_request) {
  return absl::StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", Scope(amz_date, region, service), "\n",
                      Sha256Hex(canonical_request));
}

std::string Signature(absl::string_view secret_access_key, absl::string_view amz_date,
                      absl::string_view region, absl::string_view service,
                      absl::string_view string_to_sign) {
  std::string key = HmacSha256(absl::StrCat("AWS4", secret_access_key), DateOf(amz_date));
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  return ToHex(HmacSha256(key, string_to_sign));
}

std::string AuthorizationHeader(absl::string_view access_key_id,
                                absl::string_view secret_access_key, absl::string_view region,
                                absl::string_view service, absl::string_view amz_date,
                                const SigV4Request& request) {
  const std::string to_sign = StringToSign(amz_date, region, service, CanonicalRequest(request));
  return absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=", access_key_id, "/", Scope(amz_date, region, service),
      ",SignedHeaders=", SignedHeaders(request),
      ",Signature=", Signature(secret_access_key, amz_date, region, service, to_sign));
}

}  // namespace firegrid::gateway::evidence
