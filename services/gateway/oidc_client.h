#pragma once

// The OpenID Connect provider as the gateway talks to it: PKCE, the authorization URL the
// browser is sent to, and the token endpoint (code exchange and refresh), called server-side.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/config/v1/gateway.pb.h"

namespace firegrid::gateway {

// What the token endpoint answered (RFC 6749 section 5.1).
struct OidcTokens {
  std::string access_token;
  std::string refresh_token;  // "" when the provider issued none (or did not rotate it)
  // The refresh token's lifetime when the provider says it (refresh_expires_in, a common
  // extension); zero when it does not.
  absl::Duration refresh_expires_in = absl::ZeroDuration();
};

// The token endpoint. Errors: UNAUTHENTICATED when the provider refuses the grant
// (invalid_grant and the other OAuth errors of a 400/401 answer: the code or refresh token is not
// valid), UNAVAILABLE when it cannot be reached or answers otherwise.
class OidcTokenEndpoint {
 public:
  virtual ~OidcTokenEndpoint() = default;
  virtual absl::StatusOr<OidcTokens> ExchangeCode(const std::string& code,
                                                  const std::string& code_verifier) = 0;
  virtual absl::StatusOr<OidcTokens> Refresh(const std::string& refresh_token) = 0;
};

// The token endpoint of `config` over HTTPS (plain HTTP to a loopback host only), with
// cpp-httplib: the client authenticates with HTTP Basic when `client_secret` is set, else as a
// public client (client_id in the form). Redirects are not followed.
absl::StatusOr<std::unique_ptr<OidcTokenEndpoint>> NewHttpTokenEndpoint(
    const config::v1::Oidc& config, std::string client_secret);

// `n` bytes from OpenSSL's CSPRNG, base64url without padding.
std::string RandomUrlSafe(int n);

// The PKCE S256 challenge of `verifier`: base64url(SHA-256(verifier)) without padding (RFC 7636).
std::string PkceChallenge(absl::string_view verifier);

// The provider's authorization URL for the code flow with PKCE: response_type=code, client_id,
// redirect_uri, scope (default "openid profile"), state, code_challenge(_method=S256).
std::string AuthorizationUrl(const config::v1::Oidc& config, absl::string_view state,
                             absl::string_view code_challenge);

// An http(s) URL split for a client: scheme and host[:port] ("https://idp.example.org:8443")
// and the path with its query ("/realms/x/token").
struct HttpUrl {
  bool https = true;
  std::string host;
  int port = 443;
  std::string path;  // "/" at least
};
// INVALID_ARGUMENT naming `field` for anything but http(s)://host[:port][/path], for plain http
// to a host other than a loopback address, and for user info or a fragment.
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url, absl::string_view field);

}  // namespace firegrid::gateway
