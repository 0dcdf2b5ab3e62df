#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "libs/auth/principal.h"
#include "libs/auth/token.h"

namespace firegrid::auth {

// Authenticates the caller of an RPC from its `authorization: Bearer <token>` metadata.
// UNAUTHENTICATED when the header is missing, repeated, not a bearer credential, or the token
// does not verify (the reason says which). Works for sync (grpc::ServerContext) and callback
// (grpc::CallbackServerContext) services alike.
//
//   FG_ASSIGN_OR_RETURN(auth::Principal who, auth::AuthenticateContext(*ctx, verifier, now));
absl::StatusOr<Principal> AuthenticateContext(const grpc::ServerContextBase& ctx,
                                              const TokenVerifier& verifier, absl::Time now);

// Client side: sends `token` as `authorization: Bearer <token>` on the call.
void AttachToken(grpc::ClientContext* ctx, const std::string& token);

}  // namespace firegrid::auth
