#pragma once

#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/credit/service.h"

namespace firegrid::credit {

// The gRPC adapter: authenticates every call and hands it to CreditApi; statuses go through the
// one Status → gRPC mapping.
//
// GetProfile, the hottest read, is a callback method served on the process's read threads
// (libs/server/callback_unary.h; FG_CREDIT_CALLBACK_RPC in rpcs.inc).
class CreditGrpcService final
    : public v1::CreditService::WithCallbackMethod_GetProfile<v1::CreditService::Service> {
 public:
  CreditGrpcService(CreditApi* api, const auth::Authenticator* authenticator)
      : api_(api), authenticator_(authenticator) {}

#define FG_CREDIT_RPC(Method, Impl, Request, Response)                                      \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#define FG_CREDIT_CALLBACK_RPC(Method, Impl, Request, Response)                              \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Request* req, \
                                   v1::Response* resp) override;
#include "services/credit/rpcs.inc"
#undef FG_CREDIT_RPC
#undef FG_CREDIT_CALLBACK_RPC
  // The shared message shape of protos/firegrid/readmodels, so not in rpcs.inc.
  grpc::Status CheckReadModels(grpc::ServerContext* ctx,
                               const readmodels::v1::CheckReadModelsRequest* req,
                               readmodels::v1::CheckReadModelsResponse* resp) override;

 private:
  CreditApi* api_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::credit
