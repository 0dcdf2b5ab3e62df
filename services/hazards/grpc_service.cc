#include "services/hazards/grpc_service.h"

#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "libs/server/callback_unary.h"
#include "services/hazards/lifecycle.h"

namespace firegrid::hazards {

// One body for both kinds of method: authenticate, check MayCall, hand to the registry, map the
// status.
#define FG_HAZARDS_SERVE(Method, Impl)                                                      \
  auto principal = authenticator_->Authenticate(*ctx);                                      \
  if (!principal.ok()) return ToGrpcStatus(principal.status());                             \
  if (absl::Status may = MayCall(*principal, #Method); !may.ok()) return ToGrpcStatus(may); \
  auto result = registry_->Impl(*principal, *req);                                          \
  if (!result.ok()) return ToGrpcStatus(result.status());                                   \
  *resp = std::move(*result);                                                               \
  return grpc::Status::OK;

#define FG_HAZARDS_RPC(Method, Impl, Request, Response)                                    \
  grpc::Status HazardGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                         v1::Response* resp) {                             \
    FG_HAZARDS_SERVE(Method, Impl)                                                         \
  }
#define FG_HAZARDS_CALLBACK_RPC(Method, Impl, Request, Response)                      \
  grpc::ServerUnaryReactor* HazardGrpcService::Method(                                \
      grpc::CallbackServerContext* ctx, const v1::Request* req, v1::Response* resp) { \
    return server::ServeUnaryOnReadThread(                                            \
        ctx, [=, this]() -> grpc::Status { FG_HAZARDS_SERVE(Method, Impl) });         \
  }
#include "services/hazards/rpcs.inc"
#undef FG_HAZARDS_RPC
#undef FG_HAZARDS_CALLBACK_RPC
#undef FG_HAZARDS_SERVE

}  // namespace firegrid::hazards
