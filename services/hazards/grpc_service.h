#pragma once

#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/hazards/registry.h"

namespace firegrid::hazards {

// The gRPC adapter: authenticates every call, refuses a public channel the methods it may not
// call (lifecycle.h MayCall), and hands it to the registry; statuses go through the one
// Status → gRPC mapping.
//
// GetHazard, the hottest read, is a callback method served on the process's read threads
// (libs/server/callback_unary.h; FG_HAZARDS_CALLBACK_RPC in rpcs.inc).
class HazardGrpcService final
    : public v1::HazardService::WithCallbackMethod_GetHazard<v1::HazardService::Service> {
 public:
  HazardGrpcService(HazardRegistry* registry, const auth::Authenticator* authenticator)
      : registry_(registry), authenticator_(authenticator) {}

#define FG_HAZARDS_RPC(Method, Impl, Request, Response)                                     \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#define FG_HAZARDS_CALLBACK_RPC(Method, Impl, Request, Response)                             \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Request* req, \
                                   v1::Response* resp) override;
#include "services/hazards/rpcs.inc"
#undef FG_HAZARDS_RPC
#undef FG_HAZARDS_CALLBACK_RPC

 private:
  HazardRegistry* registry_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::hazards
