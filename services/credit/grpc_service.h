#pragma once

#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/credit/service.h"

namespace firegrid::credit {

// The gRPC adapter: authenticates every call and hands it to CreditApi; statuses go through the
// one Status → gRPC mapping.
class CreditGrpcService final : public v1::CreditService::Service {
 public:
  CreditGrpcService(CreditApi* api, const auth::Authenticator* authenticator)
      : api_(api), authenticator_(authenticator) {}

#define FG_CREDIT_RPC(Method, Impl, Request, Response)                                      \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#include "services/credit/rpcs.inc"
#undef FG_CREDIT_RPC

 private:
  CreditApi* api_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::credit
