#include "services/accounts/grpc_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "libs/common/status.h"

namespace firegrid::accounts {
namespace {

constexpr size_t kMaxClientAddress = 100;

// The one value of a metadata key, or "" when absent or repeated.
std::string OneValue(const grpc::ServerContext& ctx, const char* key) {
  auto [first, last] = ctx.client_metadata().equal_range(key);
  if (first == last || std::next(first) != last) return "";
  return std::string(first->second.data(), first->second.size());
}

}  // namespace

std::string AccountsGrpcService::ClientAddress(const grpc::ServerContext& ctx) const {
  const std::string forwarded(absl::StripAsciiWhitespace(OneValue(ctx, kClientAddressMetadata)));
  const std::string service_token = OneValue(ctx, kServiceTokenMetadata);
  if (!forwarded.empty() && forwarded.size() <= kMaxClientAddress && !service_token.empty()) {
    absl::StatusOr<auth::Principal> p = verifier_->Verify(service_token, clock_->Now());
    if (p.ok() && p->role == auth::Role::kInternalService) return forwarded;
  }
  return auth::PeerAddress(ctx.peer());
}

absl::StatusOr<auth::Principal> AccountsGrpcService::Authenticate(const grpc::ServerContext& ctx,
                                                                  bool enrolment_ok) const {
  if (enrolment_ok) {
    // An enrolment token first: it verifies only with this service's key and token_use, and
    // trying it does not count as a failed authentication.
    absl::StatusOr<auth::Principal> p =
        auth::AuthenticateContext(ctx, api_->enrolment_verifier(), clock_->Now());
    if (p.ok()) return p;
  }
  return authenticator_->Authenticate(ctx);
}

#define FG_ACCOUNTS_RPC(Method, Request, Response, Enrolment)                                \
  grpc::Status AccountsGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                           v1::Response* resp) {                             \
    static_assert(!IsUnauthenticatedMethod(#Method), "listed as unauthenticated");           \
    absl::StatusOr<auth::Principal> principal = Authenticate(*ctx, Enrolment);               \
    if (!principal.ok()) return ToGrpcStatus(principal.status());                            \
    auto result = api_->Method(*principal, *req);                                            \
    if (!result.ok()) return ToGrpcStatus(result.status());                                  \
    *resp = *std::move(result);                                                              \
    return grpc::Status::OK;                                                                 \
  }
#include "services/accounts/rpcs.inc"
#undef FG_ACCOUNTS_RPC

grpc::Status AccountsGrpcService::SignIn(grpc::ServerContext* ctx, const v1::SignInRequest* req,
                                         v1::SignInResponse* resp) {
  auto r = api_->SignIn(*req, ClientAddress(*ctx));
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::Refresh(grpc::ServerContext* ctx, const v1::RefreshRequest* req,
                                          v1::SignInResponse* resp) {
  auto r = api_->Refresh(*req, ClientAddress(*ctx));
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::SignOut(grpc::ServerContext* ctx, const v1::SignOutRequest* req,
                                          v1::SignOutResponse* resp) {
  auto r = api_->SignOut(*req, ClientAddress(*ctx));
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status AccountsGrpcService::GetJwks(grpc::ServerContext*, const v1::GetJwksRequest*,
                                          v1::Jwks* resp) {
  *resp = api_->GetJwks();
  return grpc::Status::OK;
}

}  // namespace firegrid::accounts
