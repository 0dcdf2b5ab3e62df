#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// A server-wide admission check (libs/server/admission.h, docs/adr/0011) that the authenticator
// asks before anything else: the delay after which a call the server refuses now (too many
// calls in flight) should be retried, or nullopt to admit it.
class Admission {
 public:
  virtual ~Admission() = default;
  virtual std::optional<absl::Duration> Refuse(const grpc::ServerContextBase& ctx) = 0;
  // Whether Refuse() refused the call of `ctx` (it then never authenticated: the audit log
  // leaves it out, libs/audit/interceptor.h). Valid until the call ends.
  virtual bool Refused(const grpc::ServerContextBase& ctx) = 0;
};

// What every RPC of a service calls first:
//   0. a server that is too busy (`admission`, when given) refuses the call RESOURCE_EXHAUSTED
//      "server overloaded; retry in <delay>" before anything else is done for it;
//   1. a client address (ctx.peer() without the port) that has used up its failed
//      authentications gets RESOURCE_EXHAUSTED before its token is even looked at;
//   2. the bearer token is verified as AuthenticateContext does (a failure is charged to the
//      client address);
//   3. the principal's rate limit is charged: RESOURCE_EXHAUSTED "rate limit of this principal
//      exceeded; retry in <delay>" when it is spent.
// With a non-const context (what handlers have), a refused call also carries the delay as the
// trailing metadata kRetryPushbackKey (milliseconds); the server's RetryInfoInterceptor
// (libs/server) turns that into a google.rpc.RetryInfo in the status details and counts the
// refusal per method.
class Authenticator {
 public:
  // `limiter` (per principal), `failure_limiter` (failed authentications per client address)
  // and `admission` (server-wide) may be null: no such limit.
  Authenticator(const TokenVerifier* verifier, Clock* clock, Limiter* limiter = nullptr,
                RateLimiter* failure_limiter = nullptr, Admission* admission = nullptr)
      : verifier_(verifier),
        clock_(clock),
        limiter_(limiter),
        failure_limiter_(failure_limiter),
        admission_(admission) {}
  absl::StatusOr<Principal> Authenticate(grpc::ServerContextBase& ctx) const;
  // The same without the trailing metadata (the delay is in the message only).
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& ctx) const;

 private:
  absl::StatusOr<Principal> Check(const grpc::ServerContextBase& ctx,
                                  absl::Duration* retry_after) const;

  const TokenVerifier* verifier_;
  Clock* clock_;
  Limiter* limiter_;
  RateLimiter* failure_limiter_;
  Admission* admission_;
};

// The trailing metadata of a call refused by a rate limit: the delay in milliseconds, the key
// gRPC's own retry policy honours (server pushback, gRFC A6).
inline constexpr char kRetryPushbackKey[] = "grpc-retry-pushback-ms";

// The client address of a gRPC peer string without its port: "ipv4:10.0.0.7:5123" ->
// "ipv4:10.0.0.7", "ipv6:[::1]:5123" -> "ipv6:[::1]"; anything else (unix sockets) as is.
std::string PeerAddress(absl::string_view peer);

// Client side: sends `token` as `authorization: Bearer <token>` on the call.
void AttachToken(grpc::ClientContext* ctx, const std::string& token);

}  // namespace firegrid::auth
