#pragma once

// AWS Signature Version 4 for S3 requests (the Authorization header form, payload signed):
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// Verified against the examples of that page (sigv4_test.cc).

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::gateway::evidence {

struct SigV4Request {
  std::string method;           // "GET", "PUT", ...
  std::string canonical_uri;    // the URI-encoded path, e.g. "/bucket/test%24file.text"
  std::string canonical_query;  // sorted, encoded "a=1&b=2"; "" for none
  // The headers to sign (any case, any order; values are trimmed and inner runs of spaces
  // collapsed). Must include host, x-amz-date and x-amz-content-sha256.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256_hex;  // hex SHA-256 of the body (of "" when there is none)
};

// "20130524T000000Z" (UTC).
std::string AmzDate(absl::Time t);

// Percent-encodes a path as S3 wants it: every byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX.
std::string UriEncodePath(absl::string_view path);

// The canonical request (method, uri, query, canonical headers, signed headers, payload hash).
std::string CanonicalRequest(const SigV4Request& request);

// "host;range;x-amz-content-sha256;x-amz-date": the signed header names, lower case, sorted.
std::string SignedHeaders(const SigV4Request& request);

// The string to sign for a canonical request at `amz_date` ("YYYYMMDDTHHMMSSZ").
std::string StringToSign(absl::string_view amz_date, absl::string_view region,
                         absl::string_view service, absl::string_view canonical_request);

// Hex signature: HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request", over
// the string to sign.
std::string Signature(absl::string_view secret_access_key, absl::string_view amz_date,
                      absl::string_view region, absl::string_view service,
                      absl::string_view string_to_sign);

// The Authorization header value:
// "AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request,
//  SignedHeaders=...,Signature=..." (no spaces after the commas).
std::string AuthorizationHeader(absl::string_view access_key_id,
                                absl::string_view secret_access_key, absl::string_view region,
                                absl::string_view service, absl::string_view amz_date,
                                const SigV4Request& request);

}  // namespace firegrid::gateway::evidence
