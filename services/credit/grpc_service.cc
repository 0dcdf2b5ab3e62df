#include "services/credit/grpc_service.h"

#include "libs/common/status.h"

namespace firegrid::credit {

#define FG_CREDIT_RPC(Method, Impl, Request, Response)                                     \
  grpc::Status CreditGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                         v1::Response* resp) {                             \
    auto principal = authenticator_->Authenticate(*ctx);                                   \
    if (!principal.ok()) return ToGrpcStatus(principal.status());                          \
    auto result = api_->Impl(*principal, *req);                                            \
    if (!result.ok()) return ToGrpcStatus(result.status());                                \
    *resp = std::move(*result);                                                            \
    return grpc::Status::OK;                                                               \
  }
#include "services/credit/rpcs.inc"
#undef FG_CREDIT_RPC

}  // namespace firegrid::credit
