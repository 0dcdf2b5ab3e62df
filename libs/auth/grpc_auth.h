#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "libs/auth/principal.h"
#include "libs/auth/rate_limit.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"

namespace firegrid::auth {

// Authenticates the caller of an RPC from its `authorization: Bearer <token>` metadata.
// UNAUTHENTICATED when the header is missing, repeated, not a bearer credential, or the token
// does not verify (the reason says which). Works for sync (grpc::ServerContext) and callback
// (grpc::CallbackServerContext) services alike.
//
//   FG_ASSIGN_OR_RETURN(auth::Principal who, auth::AuthenticateContext(*ctx, verifier, now));
absl::StatusOr<Principal> AuthenticateContext(const grpc::ServerContextBase& ctx,
                                              const TokenVerifier& verifier, absl::Time now);

// What every RPC of a service calls first: verifies the bearer token as AuthenticateContext
// does, then charges the principal's rate limit (RESOURCE_EXHAUSTED when it is spent).
class Authenticator {
 public:
  // `limiter` may be null: no rate limit.
  Authenticator(const TokenVerifier* verifier, Clock* clock, RateLimiter* limiter = nullptr)
      : verifier_(verifier), clock_(clock), limiter_(limiter) {}
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& ctx) const;

 private:
  const TokenVerifier* verifier_;
  Clock* clock_;
  RateLimiter* limiter_;
};

// Client side: sends `token` as `authorization: Bearer <token>` on the call.
void AttachToken(grpc::ClientContext* ctx, const std::string& token);

}  // namespace firegrid::auth
