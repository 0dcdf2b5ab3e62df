#pragma once

#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/hazards/registry.h"

namespace firegrid::hazards {

// The gRPC adapter: authenticates every call, refuses a public channel the methods it may not
// call (lifecycle.h MayCall), and hands it to the registry; statuses go through the one
// Status → gRPC mapping.
//
// Every method is synchronous. GetHazard on the callback API (as GetBuilding is,
// libs/server/callback_unary.h) was faster by itself but made the process's synchronous
// ReportHazard and its outbox relay slow: report -> push p99 went from 13 ms to 110 ms at 200
// reports/s (bench/README.md, notify_latency_bench).
class HazardGrpcService final : public v1::HazardService::Service {
 public:
  HazardGrpcService(HazardRegistry* registry, const auth::Authenticator* authenticator)
      : registry_(registry), authenticator_(authenticator) {}

#define FG_HAZARDS_RPC(Method, Impl, Request, Response)                                     \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#include "services/hazards/rpcs.inc"
#undef FG_HAZARDS_RPC
  // The shared message shape of protos/firegrid/readmodels, so not in rpcs.inc.
  grpc::Status CheckReadModels(grpc::ServerContext* ctx,
                               const readmodels::v1::CheckReadModelsRequest* req,
                               readmodels::v1::CheckReadModelsResponse* resp) override;

 private:
  HazardRegistry* registry_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::hazards
