#include "services/gateway/oidc_client.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "nlohmann/json.hpp"
#include "services/gateway/http_util.h"

namespace firegrid::gateway {
namespace {

constexpr time_t kTimeoutSeconds = 10;
// A token answer is a few kilobytes; anything far larger is not one.
constexpr size_t kMaxAnswerBytes = 64 * 1024;

bool ValidHost(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

class HttpTokenEndpoint : public OidcTokenEndpoint {
 public:
  HttpTokenEndpoint(config::v1::Oidc config, HttpUrl url, std::string client_secret)
      : config_(std::move(config)), url_(std::move(url)), secret_(std::move(client_secret)) {}

  absl::StatusOr<OidcTokens> ExchangeCode(const std::string& code,
                                          const std::string& code_verifier) override {
    return Post({{"grant_type", "authorization_code"},
                 {"code", code},
                 {"redirect_uri", config_.redirect_uri()},
                 {"code_verifier", code_verifier}});
  }

  absl::StatusOr<OidcTokens> Refresh(const std::string& refresh_token) override {
    return Post({{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}});
  }

 private:
  std::unique_ptr<httplib::ClientImpl> NewClient() const {
    std::unique_ptr<httplib::ClientImpl> client;
    if (url_.https) {
      auto ssl = std::make_unique<httplib::SSLClient>(url_.host, url_.port);
      if (!config_.ca_cert_file().empty()) ssl->set_ca_cert_path(config_.ca_cert_file().c_str());
      ssl->enable_server_certificate_verification(true);
      client = std::move(ssl);
    } else {
      client = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
    }
    client->set_connection_timeout(kTimeoutSeconds, 0);
    client->set_read_timeout(kTimeoutSeconds, 0);
    client->set_write_timeout(kTimeoutSeconds, 0);
    client->set_follow_location(false);
    client->set_keep_alive(false);
    return client;
  }

  absl::StatusOr<OidcTokens> Post(httplib::Params form) {
    auto client = NewClient();
    if (secret_.empty()) {
      form.emplace("client_id", config_.client_id());
    } else {
      // RFC 6749 section 2.3.1: client id and secret form-encoded, then HTTP Basic.
      client->set_basic_auth(PercentEncode(config_.client_id()), PercentEncode(secret_));
    }
    httplib::Headers headers = {{"Accept", "application/json"}};
    auto res = client->Post(url_.path, headers, form);
    if (!res) {
      log::Warn("oidc token endpoint unreachable", {{"endpoint", config_.token_endpoint()},
                                                    {"error", httplib::to_string(res.error())}});
      return absl::UnavailableError("the identity provider's token endpoint cannot be reached");
    }
    if (res->body.size() > kMaxAnswerBytes) {
      return absl::UnavailableError("the identity provider's token answer is too large");
    }
    nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status == 400 || res->status == 401) {
      const std::string error =
          body.is_object() && body.contains("error") && body["error"].is_string()
              ? body["error"].get<std::string>()
              : "";
      log::Info("oidc grant refused", {{"status", res->status}, {"error", error}});
      return absl::UnauthenticatedError(absl::StrCat("the identity provider refused the grant",
                                                     error.empty() ? "" : ": ", error));
    }
    if (res->status != 200 || !body.is_object()) {
      log::Warn("oidc token endpoint failed",
                {{"endpoint", config_.token_endpoint()}, {"status", res->status}});
      return absl::UnavailableError(
          absl::StrCat("the identity provider's token endpoint answered ", res->status));
    }
    OidcTokens t;
    if (body.contains("access_token") && body["access_token"].is_string()) {
      t.access_token = body["access_token"].get<std::string>();
    }
    if (t.access_token.empty()) {
      return absl::UnavailableError("the identity provider's token answer has no access_token");
    }
    if (body.contains("refresh_token") && body["refresh_token"].is_string()) {
      t.refresh_token = body["refresh_token"].get<std::string>();
    }
    if (body.contains("refresh_expires_in") && body["refresh_expires_in"].is_number_integer()) {
      t.refresh_expires_in = absl::Seconds(body["refresh_expires_in"].get<int64_t>());
    }
    return t;
  }

  config::v1::Oidc config_;
  HttpUrl url_;
  std::string secret_;
};

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url, absl::string_view field) {
  const std::string must =
      "must be https://host[:port][/path] (plain http only to a loopback host)";
  HttpUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.https = true;
    out.port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.https = false;
    out.port = 80;
  } else {
    return InvalidField(field, must);
  }
  if (absl::StrContains(url, '#')) return InvalidField(field, "must not have a fragment");
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  out.path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (absl::StrContains(authority, '@')) return InvalidField(field, "must not carry user info");
  absl::string_view host = authority;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return InvalidField(field, must);
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    authority = colon == absl::string_view::npos ? "" : authority.substr(colon);
  }
  if (!authority.empty()) {
    int port = 0;
    if (!absl::ConsumePrefix(&authority, ":") || !absl::SimpleAtoi(authority, &port) || port <= 0 ||
        port > 65535) {
      return InvalidField(field, must);
    }
    out.port = port;
  }
  out.host = std::string(host);
  if (out.host != "::1" && !ValidHost(out.host)) return InvalidField(field, must);
  if (!out.https && !IsLoopbackHost(out.host)) return InvalidField(field, must);
  return out;
}

absl::StatusOr<std::unique_ptr<OidcTokenEndpoint>> NewHttpTokenEndpoint(
    const config::v1::Oidc& config, std::string client_secret) {
  FG_ASSIGN_OR_RETURN(HttpUrl url,
                      ParseHttpUrl(config.token_endpoint(), "sign_in.oidc.token_endpoint"));
  return std::unique_ptr<OidcTokenEndpoint>(
      new HttpTokenEndpoint(config, std::move(url), std::move(client_secret)));
}

std::string RandomUrlSafe(int n) {
  std::string raw(static_cast<size_t>(n), '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), n) != 1) {
    // Without randomness no state or verifier can be safe: stop rather than go on.
    log::Error("RAND_bytes failed", {});
    std::abort();
  }
  std::string out;
  absl::WebSafeBase64Escape(raw, &out);
  return out;
}

std::string PkceChallenge(absl::string_view verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  std::string out;
  absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)), &out);
  return out;
}

std::string AuthorizationUrl(const config::v1::Oidc& config, absl::string_view state,
                             absl::string_view code_challenge) {
  std::vector<std::string> scopes(config.scopes().begin(), config.scopes().end());
  if (scopes.empty()) scopes = {"openid", "profile"};
  const std::string& base = config.authorization_endpoint();
  return absl::StrCat(
      base, absl::StrContains(base, '?') ? "&" : "?",
      "response_type=code&client_id=", PercentEncode(config.client_id()),
      "&redirect_uri=", PercentEncode(config.redirect_uri()),
      "&scope=", PercentEncode(absl::StrJoin(scopes, " ")), "&state=", PercentEncode(state),
      "&code_challenge=", PercentEncode(code_challenge), "&code_challenge_method=S256");
}

}  // namespace firegrid::gateway
