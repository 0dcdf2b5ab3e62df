#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// Percent-decoding of a URL path or query component; `plus_is_space` for query strings.
// nullopt for a malformed escape or a decoded NUL byte.
std::optional<std::string> PercentDecode(absl::string_view in, bool plus_is_space);
// Percent-encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(absl::string_view in);
// The query string's parameters (decoded); nullopt when one is malformed.
std::optional<std::multimap<std::string, std::string>> ParseQuery(absl::string_view query);

// The HTTP status of a gRPC status code (issue 11's table): 400 INVALID_ARGUMENT and
// OUT_OF_RANGE, 401, 403, 404 NOT_FOUND and UNIMPLEMENTED, 409 ALREADY_EXISTS, ABORTED and
// FAILED_PRECONDITION, 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, 499
// CANCELLED, 500 otherwise.
int HttpStatusOf(absl::StatusCode code);
// The gRPC code name of `code`, e.g. "INVALID_ARGUMENT".
std::string CodeName(absl::StatusCode code);
// {"code":"<CODE NAME>","message":"..."} with the HTTP status of `status` (never OK), and a
// Retry-After header (whole seconds, rounded up) when the status carries a retry delay.
HttpResponse JsonError(const absl::Status& status);
// `status` (RESOURCE_EXHAUSTED) with the delay after which the client may retry, as a payload
// JsonError turns into Retry-After.
absl::Status WithRetryAfter(absl::Status status, absl::Duration delay);
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);
// The Retry-After header value of a delay: whole seconds, rounded up, at least 1 (RFC 9110
// §10.2.3 delay-seconds).
std::string RetryAfterValue(absl::Duration delay);
HttpResponse JsonError(int http_status, absl::StatusCode code, absl::string_view message);
HttpResponse JsonResponse(int http_status, std::string json);

// True for "localhost", "::1" and 127.0.0.0/8 in dotted form: the only hosts a configured
// endpoint may be reached at over plain http (development and tests).
bool IsLoopbackHost(const std::string& host);

// True when `request` carries an Origin header that is the gateway's own (its host equals the
// Host header) or one of `allowed`; false when the Origin is absent.
bool OriginSameOrAllowed(const HttpRequest& request, const std::vector<std::string>& allowed);

}  // namespace firegrid::gateway
