#pragma once

#include <memory>
#include <string>
#include <vector>

#include "firegrid/config/v1/gateway.pb.h"
#include "services/gateway/bearer.h"
#include "services/gateway/http.h"
#include "services/gateway/oidc_client.h"

namespace firegrid::gateway {

// The flow's cookie (state and PKCE verifier) and the one-time hand-over of the access token.
inline constexpr char kOidcFlowCookie[] = "fg_oidc";
inline constexpr char kOidcAccessCookie[] = "fg_oidc_access";
inline constexpr char kOidcPath[] = "/api/v1/auth/oidc";

// Sign-in with an OpenID Connect provider (config sign_in.oidc), the authorization code flow with
// PKCE run by the gateway for the console, so that no token passes through a URL or a page of
// another origin:
//   GET  /api/v1/auth/oidc/start     new state + PKCE verifier in the fg_oidc cookie (HttpOnly,
//                                    Secure, SameSite=Lax so that the provider's redirect back
//                                    carries it, 10 minutes, Path=/api/v1/auth/oidc); 302 to the
//                                    provider's authorization endpoint
//   GET  /api/v1/auth/oidc/callback  ?code&state from the provider: the state must equal the
//                                    cookie's; the code is exchanged at the token endpoint with
//                                    the verifier; the access token must verify as every bearer
//                                    token does (the provider's key, iss, aud, firegrid's claims).
//                                    The refresh token goes into fg_refresh (as with built-in
//                                    sign-in), the access token into fg_oidc_access (HttpOnly,
//                                    Strict, 2 minutes); 302 to /#/signin?oidc=done. Any failure:
//                                    302 to /#/signin?oidc=<denied|state|exchange|token>, both
//                                    flow cookies cleared, the cause logged.
//   POST /api/v1/auth/oidc/session   fg_oidc_access → {accessToken, accessTokenExpiresAt, user},
//                                    once (the cookie is cleared)
//   POST /api/v1/auth/refresh        fg_refresh → the provider's refresh grant; the new access
//                                    token verified, a rotated refresh token re-set
//   POST /api/v1/auth/sign-out       clears fg_refresh (the provider's session ends at its
//                                    end_session_endpoint, which the console may open)
// The POST endpoints act on cookies, so they need X-Firegrid-CSRF: 1 and an allowed Origin.
class OidcSignIn {
 public:
  OidcSignIn(const BearerGate* gate, std::shared_ptr<OidcTokenEndpoint> endpoint,
             config::v1::Oidc config, std::vector<std::string> allowed_origins);

  HttpResponse Start(const HttpRequest& request) const;
  HttpResponse Callback(const HttpRequest& request) const;
  HttpResponse Session(const HttpRequest& request) const;
  HttpResponse Refresh(const HttpRequest& request) const;
  HttpResponse SignOut(const HttpRequest& request) const;

 private:
  // 302 to the console's sign-in page with ?oidc=<outcome>, the flow cookie cleared.
  static HttpResponse BackToConsole(absl::string_view outcome);

  const BearerGate* gate_;
  std::shared_ptr<OidcTokenEndpoint> endpoint_;
  config::v1::Oidc config_;
  std::vector<std::string> allowed_origins_;
};

}  // namespace firegrid::gateway
