#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/config/v1/gateway.pb.h"
#include "grpcpp/channel.h"
#include "libs/common/clock.h"
#include "services/gateway/bearer.h"
#include "services/gateway/http.h"
#include "services/gateway/oidc_client.h"

namespace firegrid::gateway {

// The refresh token's cookie: HttpOnly (scripts never see it), Secure, SameSite=Strict, sent
// only to the auth endpoints.
inline constexpr char kRefreshCookie[] = "fg_refresh";
inline constexpr char kAuthPath[] = "/api/v1/auth";

struct AuthOptions {
  // Origins besides the gateway's own that may call refresh and sign-out (the CORS list).
  std::vector<std::string> allowed_origins;
  config::v1::SignIn sign_in;
  absl::Duration deadline = absl::Seconds(10);
  // POST /api/v1/auth/token-session (a pasted bearer token becomes the session's access
  // token; development and the demo tokens). Off: 404.
  bool token_sign_in = false;
  // The provider's token endpoint when sign_in is oidc (NewHttpTokenEndpoint; a fake in tests).
  std::shared_ptr<OidcTokenEndpoint> oidc_token_endpoint;
};

class OidcSignIn;

// Sign-in for the console, through the accounts service (AccountsService in
// protos/firegrid/accounts/v1/accounts.proto):
//   POST /api/v1/auth/sign-in        {"username","password","totpCode"} → accounts.SignIn; the
//                                    answer without the refresh token, which goes into the
//                                    fg_refresh cookie only
//   POST /api/v1/auth/refresh        the cookie → accounts.Refresh (new cookie, new access token)
//   POST /api/v1/auth/sign-out       the cookie → accounts.SignOut; the cookie is cleared
//   GET  /api/v1/auth/config         {"mode":"built_in"} or {"mode":"oidc", the provider}
//   POST /api/v1/auth/token-session  {"token"} verified like any bearer token (when enabled)
//   GET  /.well-known/jwks.json      accounts.GetJwks
// With sign_in.oidc, sign-in is with the provider instead (OidcSignIn, oidc_sign_in.h): sign-in
// answers 404, refresh and sign-out go to the provider's grant, and /api/v1/auth/oidc/* run the
// code flow.
// Refresh and sign-out act on a cookie, so they need the header X-Firegrid-CSRF: 1 and an
// Origin that is the gateway's own or an allowed one (a cross-site form or script can send
// neither). SignIn and Refresh carry the client's address (x-firegrid-client-address) and the
// gateway's own service token (x-firegrid-service-token), so that accounts trusts the address
// for its per-address limits.
class AuthHandler : public Handler {
 public:
  AuthHandler(const BearerGate* gate, std::shared_ptr<grpc::Channel> accounts,
              std::function<absl::StatusOr<std::string>()> service_token, Clock* clock,
              AuthOptions options);
  ~AuthHandler() override;
  HttpResponse Handle(const HttpRequest& request) override;

 private:
  HttpResponse SignIn(const HttpRequest& request);
  HttpResponse Refresh(const HttpRequest& request);
  HttpResponse SignOut(const HttpRequest& request);
  HttpResponse Config() const;
  HttpResponse TokenSession(const HttpRequest& request);
  HttpResponse Jwks(const HttpRequest& request);
  // The metadata of SignIn/Refresh; an error when the service token is unavailable.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> TrustedMetadata(
      const HttpRequest& request) const;

  const BearerGate* gate_;
  std::shared_ptr<grpc::Channel> accounts_;
  std::function<absl::StatusOr<std::string>()> service_token_;
  Clock* clock_;
  AuthOptions options_;
  std::unique_ptr<OidcSignIn> oidc_;  // set when sign_in is oidc
};

// The value of cookie `name` in a Cookie header ("" when absent).
std::string CookieValue(const std::string& cookie_header, const std::string& name);

// The Set-Cookie value of the refresh cookie (empty `token` and zero `max_age` clear it).
std::string RefreshCookie(const std::string& token, absl::Duration max_age);

// Endpoints that act on a cookie answer only requests with X-Firegrid-CSRF: 1 and an Origin that
// is the gateway's own or allowed (a cross-site form or script can send neither).
bool CookieCallAllowed(const HttpRequest& request, const std::vector<std::string>& allowed);
HttpResponse CookieCallRefused();

// {"accessToken", "accessTokenExpiresAt", "user": {subject, role, orgUnit, tierPath, department}}
// for a verified access token.
HttpResponse SessionResponse(const std::string& token, const auth::Principal& who);

}  // namespace firegrid::gateway
