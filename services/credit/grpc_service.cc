#include "services/credit/grpc_service.h"

#include "libs/common/status.h"
#include "libs/server/callback_unary.h"

namespace firegrid::credit {

// One body for both kinds of method: authenticate, hand to CreditApi, map the status.
#define FG_CREDIT_SERVE(Impl)                                   \
  auto principal = authenticator_->Authenticate(*ctx);          \
  if (!principal.ok()) return ToGrpcStatus(principal.status()); \
  auto result = api_->Impl(*principal, *req);                   \
  if (!result.ok()) return ToGrpcStatus(result.status());       \
  *resp = std::move(*result);                                   \
  return grpc::Status::OK;

#define FG_CREDIT_RPC(Method, Impl, Request, Response)                                     \
  grpc::Status CreditGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                         v1::Response* resp) {                             \
    FG_CREDIT_SERVE(Impl)                                                                  \
  }
#define FG_CREDIT_CALLBACK_RPC(Method, Impl, Request, Response)                       \
  grpc::ServerUnaryReactor* CreditGrpcService::Method(                                \
      grpc::CallbackServerContext* ctx, const v1::Request* req, v1::Response* resp) { \
    return server::ServeUnary(server::Threads::kRead, ctx,                            \
                              [=, this]() -> grpc::Status { FG_CREDIT_SERVE(Impl) }); \
  }
#include "services/credit/rpcs.inc"
#undef FG_CREDIT_RPC
#undef FG_CREDIT_CALLBACK_RPC

grpc::Status CreditGrpcService::CheckReadModels(grpc::ServerContext* ctx,
                                                const readmodels::v1::CheckReadModelsRequest* req,
                                                readmodels::v1::CheckReadModelsResponse* resp) {
  FG_CREDIT_SERVE(CheckReadModels)
}
#undef FG_CREDIT_SERVE

}  // namespace firegrid::credit
