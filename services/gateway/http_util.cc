#include "services/gateway/http_util.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace firegrid::gateway {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(absl::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::string PercentEncode(absl::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::multimap<std::string, std::string>> ParseQuery(absl::string_view query) {
  std::multimap<std::string, std::string> out;
  if (query.empty()) return out;
  for (absl::string_view part : absl::StrSplit(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    absl::string_view k = part.substr(0, eq);
    absl::string_view v = eq == absl::string_view::npos ? "" : part.substr(eq + 1);
    auto key = PercentDecode(k, true);
    auto value = PercentDecode(v, true);
    if (!key || !value) return std::nullopt;
    out.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kUnimplemented:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kCancelled:
      return 499;
    default:
      return 500;
  }
}

std::string CodeName(absl::StatusCode code) {
  std::string s = absl::StatusCodeToString(code);  // "INVALID_ARGUMENT"
  return s;
}

HttpResponse JsonError(int http_status, absl::StatusCode code, absl::string_view message) {
  nlohmann::json j = {{"code", CodeName(code)}, {"message", std::string(message)}};
  return JsonResponse(http_status,
                      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {
constexpr absl::string_view kRetryAfterPayload = "firegrid/retry-after-ms";
}  // namespace

absl::Status WithRetryAfter(absl::Status status, absl::Duration delay) {
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(
                                            absl::Ceil(delay, absl::Milliseconds(1))))));
  return status;
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kRetryAfterPayload);  // absl::optional<absl::Cord>
  int64_t ms = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &ms)) return std::nullopt;
  return absl::Milliseconds(ms);
}

std::string RetryAfterValue(absl::Duration delay) {
  return absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(delay, absl::Seconds(1)))));
}

HttpResponse JsonError(const absl::Status& status) {
  HttpResponse r = JsonError(HttpStatusOf(status.code()), status.code(), status.message());
  if (std::optional<absl::Duration> delay = RetryAfterOf(status); delay.has_value()) {
    r.headers.emplace_back("Retry-After", RetryAfterValue(*delay));
  }
  return r;
}

HttpResponse JsonResponse(int http_status, std::string json) {
  HttpResponse r =
      HttpResponse::Make(http_status, "application/json; charset=utf-8", std::move(json));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

bool OriginSameOrAllowed(const HttpRequest& request, const std::vector<std::string>& allowed) {
  const std::string origin = request.Header("origin");
  if (origin.empty() || origin == "null") return false;
  if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) return true;
  size_t scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return false;
  const std::string host = request.Header("host");
  return !host.empty() && origin.substr(scheme_end + 3) == host;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  return false;
}

}  // namespace firegrid::gateway
