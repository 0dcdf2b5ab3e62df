#include "services/gateway/gateway_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "libs/common/status.h"
#include "services/gateway/oidc_client.h"

namespace firegrid::gateway {
namespace {

bool ValidOrigin(const std::string& o) {
  absl::string_view rest = o;
  if (absl::StartsWith(rest, "https://")) {
    rest.remove_prefix(8);
  } else if (absl::StartsWith(rest, "http://")) {
    rest.remove_prefix(7);
  } else {
    return false;
  }
  if (rest.empty()) return false;
  for (char c : rest) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateGatewayConfig(const config::v1::GatewayConfig& c) {
  for (int i = 0; i < c.allowed_origins_size(); ++i) {
    if (!ValidOrigin(c.allowed_origins(i))) {
      return InvalidField(absl::StrCat("allowed_origins[", i, "]"),
                          "must be http(s)://host[:port] without a path");
    }
  }
  if (c.sign_in().has_oidc()) {
    const auto& o = c.sign_in().oidc();
    if (o.issuer().empty()) return InvalidField("sign_in.oidc.issuer", "required");
    if (o.client_id().empty()) return InvalidField("sign_in.oidc.client_id", "required");
    FG_RETURN_IF_ERROR(
        ParseHttpUrl(o.authorization_endpoint(), "sign_in.oidc.authorization_endpoint").status());
    FG_RETURN_IF_ERROR(ParseHttpUrl(o.token_endpoint(), "sign_in.oidc.token_endpoint").status());
    FG_RETURN_IF_ERROR(ParseHttpUrl(o.redirect_uri(), "sign_in.oidc.redirect_uri").status());
    if (!absl::EndsWith(o.redirect_uri(), "/api/v1/auth/oidc/callback")) {
      return InvalidField("sign_in.oidc.redirect_uri",
                          "must be the gateway's https://<host>/api/v1/auth/oidc/callback");
    }
    if (!o.end_session_endpoint().empty()) {
      FG_RETURN_IF_ERROR(
          ParseHttpUrl(o.end_session_endpoint(), "sign_in.oidc.end_session_endpoint").status());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<config::v1::GatewayConfig> LoadGatewayConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--config-file: cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  config::v1::GatewayConfig c;
  if (!google::protobuf::TextFormat::ParseFromString(ss.str(), &c)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a GatewayConfig text proto"));
  }
  FG_RETURN_IF_ERROR(ValidateGatewayConfig(c));
  return c;
}

}  // namespace firegrid::gateway
