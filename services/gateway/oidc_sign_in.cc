#include "services/gateway/oidc_sign_in.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/logging.h"
#include "nlohmann/json.hpp"
#include "services/gateway/auth_endpoints.h"
#include "services/gateway/http_util.h"

namespace firegrid::gateway {
namespace {

constexpr absl::Duration kFlowLifetime = absl::Minutes(10);
constexpr absl::Duration kHandOverLifetime = absl::Minutes(2);
// The browser keeps the refresh cookie this long when the provider does not say how long its
// refresh token lives (the built-in sign-in's refresh lifetime).
constexpr absl::Duration kDefaultRefreshLifetime = absl::Hours(12);

std::string FlowCookie(absl::string_view value, absl::Duration max_age) {
  return absl::StrCat(kOidcFlowCookie, "=", value, "; Path=", kOidcPath,
                      "; HttpOnly; Secure; SameSite=Lax; Max-Age=",
                      std::max<int64_t>(0, absl::ToInt64Seconds(max_age)));
}

std::string HandOverCookie(absl::string_view token, absl::Duration max_age) {
  return absl::StrCat(kOidcAccessCookie, "=", token, "; Path=", kOidcPath,
                      "; HttpOnly; Secure; SameSite=Strict; Max-Age=",
                      std::max<int64_t>(0, absl::ToInt64Seconds(max_age)));
}

bool SameSecret(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

OidcSignIn::OidcSignIn(const BearerGate* gate, std::shared_ptr<OidcTokenEndpoint> endpoint,
                       config::v1::Oidc config, std::vector<std::string> allowed_origins)
    : gate_(gate),
      endpoint_(std::move(endpoint)),
      config_(std::move(config)),
      allowed_origins_(std::move(allowed_origins)) {}

HttpResponse OidcSignIn::BackToConsole(absl::string_view outcome) {
  HttpResponse r;
  r.status = 302;
  r.headers.emplace_back("Location", absl::StrCat("/#/signin?oidc=", outcome));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Set-Cookie", FlowCookie("", absl::ZeroDuration()));
  return r;
}

HttpResponse OidcSignIn::Start(const HttpRequest&) const {
  // 32 random bytes each: the state binds the callback to this browser, the verifier (43
  // characters, within RFC 7636's 43..128) proves to the provider that the code's redeemer is
  // the one who asked for it.
  const std::string state = RandomUrlSafe(32);
  const std::string verifier = RandomUrlSafe(32);
  HttpResponse r;
  r.status = 302;
  r.headers.emplace_back("Location", AuthorizationUrl(config_, state, PkceChallenge(verifier)));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("Set-Cookie",
                         FlowCookie(absl::StrCat(state, ".", verifier), kFlowLifetime));
  return r;
}

HttpResponse OidcSignIn::Callback(const HttpRequest& r) const {
  if (!r.Query("error").empty()) {
    log::Info("oidc sign-in refused by the provider",
              {{"error", r.Query("error")}, {"request_id", r.request_id}});
    return BackToConsole("denied");
  }
  const std::vector<std::string> flow =
      absl::StrSplit(CookieValue(r.Header("cookie"), kOidcFlowCookie), '.');
  const std::string state = r.Query("state");
  const std::string code = r.Query("code");
  if (flow.size() != 2 || flow[0].empty() || flow[1].empty() || code.empty() ||
      !SameSecret(flow[0], state)) {
    log::Warn("oidc callback without a matching state",
              {{"client", r.client_address}, {"request_id", r.request_id}});
    return BackToConsole("state");
  }
  absl::StatusOr<OidcTokens> tokens = endpoint_->ExchangeCode(code, flow[1]);
  if (!tokens.ok()) {
    log::Warn("oidc code exchange failed",
              {{"error", std::string(tokens.status().message())}, {"request_id", r.request_id}});
    return BackToConsole("exchange");
  }
  absl::StatusOr<auth::Principal> who = gate_->CheckToken(tokens->access_token, r.client_address);
  if (!who.ok()) {
    log::Warn("oidc access token refused",
              {{"error", std::string(who.status().message())}, {"request_id", r.request_id}});
    return BackToConsole("token");
  }
  HttpResponse resp = BackToConsole("done");
  resp.headers.emplace_back("Set-Cookie", HandOverCookie(tokens->access_token, kHandOverLifetime));
  if (!tokens->refresh_token.empty()) {
    resp.headers.emplace_back(
        "Set-Cookie",
        RefreshCookie(tokens->refresh_token, tokens->refresh_expires_in > absl::ZeroDuration()
                                                 ? tokens->refresh_expires_in
                                                 : kDefaultRefreshLifetime));
  }
  log::Info("oidc sign-in", {{"subject", who->subject}, {"request_id", r.request_id}});
  return resp;
}

HttpResponse OidcSignIn::Session(const HttpRequest& r) const {
  if (!CookieCallAllowed(r, allowed_origins_)) return CookieCallRefused();
  const std::string token = CookieValue(r.Header("cookie"), kOidcAccessCookie);
  if (token.empty()) {
    return JsonError(401, absl::StatusCode::kUnauthenticated, "no sign-in to hand over");
  }
  absl::StatusOr<auth::Principal> who = gate_->CheckToken(token, r.client_address);
  HttpResponse resp = who.ok() ? SessionResponse(token, *who) : JsonError(who.status());
  resp.headers.emplace_back("Set-Cookie", HandOverCookie("", absl::ZeroDuration()));
  return resp;
}

HttpResponse OidcSignIn::Refresh(const HttpRequest& r) const {
  if (!CookieCallAllowed(r, allowed_origins_)) return CookieCallRefused();
  const std::string cookie = CookieValue(r.Header("cookie"), kRefreshCookie);
  if (cookie.empty()) return JsonError(401, absl::StatusCode::kUnauthenticated, "not signed in");
  absl::StatusOr<OidcTokens> tokens = endpoint_->Refresh(cookie);
  if (!tokens.ok()) {
    HttpResponse e = JsonError(tokens.status());
    if (tokens.status().code() == absl::StatusCode::kUnauthenticated) {
      e.headers.emplace_back("Set-Cookie", RefreshCookie("", absl::ZeroDuration()));
    }
    return e;
  }
  absl::StatusOr<auth::Principal> who = gate_->CheckToken(tokens->access_token, r.client_address);
  if (!who.ok()) return JsonError(who.status());
  HttpResponse resp = SessionResponse(tokens->access_token, *who);
  if (!tokens->refresh_token.empty()) {  // rotated
    resp.headers.emplace_back(
        "Set-Cookie",
        RefreshCookie(tokens->refresh_token, tokens->refresh_expires_in > absl::ZeroDuration()
                                                 ? tokens->refresh_expires_in
                                                 : kDefaultRefreshLifetime));
  }
  return resp;
}

HttpResponse OidcSignIn::SignOut(const HttpRequest& r) const {
  if (!CookieCallAllowed(r, allowed_origins_)) return CookieCallRefused();
  HttpResponse resp = JsonResponse(
      200, nlohmann::json({{"endSessionEndpoint", config_.end_session_endpoint()}}).dump());
  resp.headers.emplace_back("Set-Cookie", RefreshCookie("", absl::ZeroDuration()));
  return resp;
}

}  // namespace firegrid::gateway
