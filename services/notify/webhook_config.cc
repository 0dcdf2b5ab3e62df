#include "services/notify/webhook_config.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"

namespace firegrid::notify {
namespace {

using auth::Principal;
using auth::Role;

constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxSecretBytes = 1024;
constexpr size_t kMaxOrgUnitBytes = 128;

bool IsOrgUnitChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

}  // namespace

absl::Status ValidateOrgUnit(absl::string_view org_unit, absl::string_view field) {
  if (org_unit.empty()) return InvalidField(field, "required");
  if (org_unit.size() > kMaxOrgUnitBytes ||
      !std::all_of(org_unit.begin(), org_unit.end(), IsOrgUnitChar)) {
    return InvalidField(field, "must be an org unit code ([0-9A-Za-z._-], at most 128 bytes)");
  }
  return absl::OkStatus();
}

absl::StatusOr<WebhookUrl> ParseWebhookUrl(absl::string_view url, bool allow_http,
                                           absl::string_view field) {
  if (url.empty()) return InvalidField(field, "required");
  if (url.size() > kMaxUrlBytes) return InvalidField(field, "must be at most 2048 bytes");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return InvalidField(field, "must not contain spaces or control characters");
    }
  }
  WebhookUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.https = true;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    if (!allow_http) return InvalidField(field, "must be an https:// URL");
  } else {
    return InvalidField(
        field, allow_http ? "must be an http:// or https:// URL" : "must be an https:// URL");
  }
  if (absl::StrContains(rest, '#')) return InvalidField(field, "must not have a fragment");
  const size_t end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, end);
  absl::string_view path = end == absl::string_view::npos ? "" : rest.substr(end);
  if (absl::StrContains(authority, '@')) {
    return InvalidField(field, "must not contain user info (use the secret to authenticate)");
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos || close == 0) {
      return InvalidField(field, "has a malformed IPv6 host");
    }
    absl::string_view host = authority.substr(0, close);
    for (char c : host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return InvalidField(field, "has a malformed IPv6 host");
      }
    }
    out.host = std::string(host);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return InvalidField(field, "has a malformed host");
      port_text = after;
      if (port_text.empty()) return InvalidField(field, "has an empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    absl::string_view host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return InvalidField(field, "has an empty port");
    }
    if (host.empty()) return InvalidField(field, "must have a host");
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return InvalidField(field, "has a malformed host");
    }
    out.host = std::string(host);
  }
  out.port = out.https ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return InvalidField(field, "has a port outside 1..65535");
    }
    out.port = port;
  }
  if (path.empty()) {
    out.path = "/";
  } else if (path.front() == '?') {
    out.path = absl::StrCat("/", path);
  } else {
    out.path = std::string(path);
  }
  return out;
}

absl::Status AuthorizeWebhookOrgUnit(const Principal& principal, absl::string_view org_unit) {
  const std::string& tier = principal.tier_path;
  bool allowed = false;
  if (!tier.empty() && !org_unit.empty()) {
    switch (principal.role) {
      case Role::kDistrictAdmin:
        allowed = absl::StartsWith(org_unit, tier);
        break;
      case Role::kDepartmentOfficer:
        allowed = !principal.department.empty() &&
                  org_unit == absl::StrCat(tier, ".", principal.department);
        break;
      case Role::kStreetOfficer:
      case Role::kCommunityWorker:
        allowed = org_unit == tier;
        break;
      default:
        break;
    }
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("role ", auth::RoleName(principal.role),
                                                  " may not manage the webhook of org unit ",
                                                  org_unit));
}

absl::Status ValidateWebhook(const v1::Webhook& webhook, const WebhookOptions& options) {
  FG_ASSIGN_OR_RETURN(WebhookUrl url, ParseWebhookUrl(webhook.url(), options.allow_http));
  if (std::optional<IpAddress> literal = ParseNumericHost(url.host)) {
    if (absl::Status st = CheckAddress(*literal, options.destination); !st.ok()) {
      return InvalidField("webhook.url", st.message());
    }
  }
  if (webhook.secret().size() < kMinSecretBytes) {
    return InvalidField("webhook.secret", "must be at least 16 bytes");
  }
  if (webhook.secret().size() > kMaxSecretBytes) {
    return InvalidField("webhook.secret", "must be at most 1024 bytes");
  }
  return absl::OkStatus();
}

}  // namespace firegrid::notify
