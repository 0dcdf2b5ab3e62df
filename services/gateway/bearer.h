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
// (and flags) as the services, so that bad tokens are refused early, client addresses that
// keep failing are throttled, and each principal is rate-limited by the gateway's own
// per-principal limit (the Runtime's: shared by the gateway's replicas through Redis). It
// decides nothing else: the services authorise every call.
class BearerGate {
 public:
  // `failures` (failed verifications per client address) and `principals` (requests per
  // principal) may be null: no such limit.
  BearerGate(const auth::TokenVerifier* verifier, Clock* clock, auth::RateLimiter* failures,
             auth::Limiter* principals = nullptr)
      : verifier_(verifier), clock_(clock), failures_(failures), principals_(principals) {}

  // The verified token of the request's `Authorization: Bearer` header. UNAUTHENTICATED when
  // it is missing, not a bearer credential or does not verify; RESOURCE_EXHAUSTED when the
  // client address has used up its failed attempts (the token is not even looked at), or when
  // the principal is over its rate limit (with the delay: WithRetryAfter, answered 429 with a
  // Retry-After header).
  absl::StatusOr<std::string> Check(const HttpRequest& request) const;
  // The same for a token given otherwise (the console's token sign-in).
  absl::StatusOr<auth::Principal> CheckToken(const std::string& token,
                                             const std::string& client_address) const;

 private:
  const auth::TokenVerifier* verifier_;
  Clock* clock_;
  auth::RateLimiter* failures_;
  auth::Limiter* principals_;
};

}  // namespace firegrid::gateway
