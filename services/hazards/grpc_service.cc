#include "services/hazards/grpc_service.h"

#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "libs/server/callback_unary.h"
#include "services/hazards/lifecycle.h"

namespace firegrid::hazards {
namespace {

// Authenticates, checks that the caller may call `method` at all, runs `impl` and answers with
// its result, on the pool `threads`.
template <typename Response, typename Impl>
grpc::ServerUnaryReactor* Serve(server::Threads threads, grpc::CallbackServerContext* ctx,
                                const char* method, const auth::Authenticator* authenticator,
                                Response* resp, Impl impl) {
  return server::ServeUnary(threads, ctx, [=]() -> grpc::Status {
    auto principal = authenticator->Authenticate(*ctx);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    if (absl::Status may = MayCall(*principal, method); !may.ok()) return ToGrpcStatus(may);
    auto result = impl(*principal);
    if (!result.ok()) return ToGrpcStatus(result.status());
    *resp = std::move(*result);
    return grpc::Status::OK;
  });
}

}  // namespace

#define FG_HAZARDS_RPC(Method, Impl, Request, Response, Pool)                                 \
  grpc::ServerUnaryReactor* HazardGrpcService::Method(                                        \
      grpc::CallbackServerContext* ctx, const v1::Request* req, v1::Response* resp) {         \
    return Serve(server::Threads::k##Pool, ctx, #Method, authenticator_, resp,                \
                 [this, req](const auth::Principal& p) { return registry_->Impl(p, *req); }); \
  }
#include "services/hazards/rpcs.inc"
#undef FG_HAZARDS_RPC

grpc::ServerUnaryReactor* HazardGrpcService::CheckReadModels(
    grpc::CallbackServerContext* ctx, const readmodels::v1::CheckReadModelsRequest* req,
    readmodels::v1::CheckReadModelsResponse* resp) {
  return Serve(
      server::Threads::kRead, ctx, "CheckReadModels", authenticator_, resp,
      [this, req](const auth::Principal& p) { return registry_->CheckReadModels(p, *req); });
}

}  // namespace firegrid::hazards
