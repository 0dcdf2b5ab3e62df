#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "libs/auth/principal.h"
#include "libs/auth/rate_limit.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// The gateway's own look at a caller's bearer token before it forwards it: the same verifier
// (and flags) as the services, so that bad tokens are refused early and client addresses that
// keep failing are throttled. It decides nothing else: the services authorise every call.
class BearerGate {
 public:
  // `failures` (failed verifications per client address) may be null: no throttle.
  BearerGate(const auth::TokenVerifier* verifier, Clock* clock, auth::RateLimiter* failures)
      : verifier_(verifier), clock_(clock), failures_(failures) {}

  // The verified token of the request's `Authorization: Bearer` header. UNAUTHENTICATED when
  // it is missing, not a bearer credential or does not verify; RESOURCE_EXHAUSTED when the
  // client address has used up its failed attempts (the token is not even looked at).
  absl::StatusOr<std::string> Check(const HttpRequest& request) const;
  // The same for a token given otherwise (the console's token sign-in).
  absl::StatusOr<auth::Principal> CheckToken(const std::string& token,
                                             const std::string& client_address) const;

 private:
  const auth::TokenVerifier* verifier_;
  Clock* clock_;
  auth::RateLimiter* failures_;
};

}  // namespace firegrid::gateway
