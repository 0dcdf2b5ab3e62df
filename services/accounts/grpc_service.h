#pragma once

#include <array>
#include <string>

#include "absl/strings/string_view.h"
#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"
#include "services/accounts/service.h"

namespace firegrid::accounts {

// The only methods of AccountsService callable without a bearer token: the caller proves
// itself by its credentials (SignIn, Refresh, SignOut) or reads public keys (GetJwks). Every
// other method authenticates first, as in every firegrid service (the tests call each method
// of the service descriptor that is not listed here without a token and expect
// UNAUTHENTICATED).
inline constexpr std::array<absl::string_view, 4> kUnauthenticatedMethods = {"SignIn", "Refresh",
                                                                             "SignOut", "GetJwks"};
constexpr bool IsUnauthenticatedMethod(absl::string_view method) {
  for (absl::string_view m : kUnauthenticatedMethods) {
    if (m == method) return true;
  }
  return false;
}

// The client address the gateway forwards (the browser's, for the per-address sign-in limit).
// Trusted only when the same call carries, in kServiceTokenMetadata, a valid token of role
// internal_service (the gateway's own service token); otherwise the gRPC peer address counts.
inline constexpr char kClientAddressMetadata[] = "x-firegrid-client-address";
inline constexpr char kServiceTokenMetadata[] = "x-firegrid-service-token";

// The gRPC adapter. ChangePassword and the TOTP enrolment RPCs also take an enrolment token
// (what SignIn hands a user who must change the password or enrol a second factor first).
class AccountsGrpcService final : public v1::AccountsService::Service {
 public:
  AccountsGrpcService(AccountsApi* api, const auth::Authenticator* authenticator,
                      const auth::TokenVerifier* verifier, Clock* clock)
      : api_(api), authenticator_(authenticator), verifier_(verifier), clock_(clock) {}

#define FG_ACCOUNTS_RPC(Method, Request, Response, Enrolment)                               \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#include "services/accounts/rpcs.inc"
#undef FG_ACCOUNTS_RPC

  grpc::Status SignIn(grpc::ServerContext* ctx, const v1::SignInRequest* req,
                      v1::SignInResponse* resp) override;
  grpc::Status Refresh(grpc::ServerContext* ctx, const v1::RefreshRequest* req,
                       v1::SignInResponse* resp) override;
  grpc::Status SignOut(grpc::ServerContext* ctx, const v1::SignOutRequest* req,
                       v1::SignOutResponse* resp) override;
  grpc::Status GetJwks(grpc::ServerContext* ctx, const v1::GetJwksRequest* req,
                       v1::Jwks* resp) override;

  // The client address of a call (see kClientAddressMetadata).
  std::string ClientAddress(const grpc::ServerContext& ctx) const;

 private:
  absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContext& ctx,
                                               bool enrolment_ok) const;

  AccountsApi* api_;
  const auth::Authenticator* authenticator_;
  const auth::TokenVerifier* verifier_;
  Clock* clock_;
};

}  // namespace firegrid::accounts
