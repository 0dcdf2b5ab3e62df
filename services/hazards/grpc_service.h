#pragma once

#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/hazards/registry.h"

namespace firegrid::hazards {

// The gRPC adapter: authenticates every call, refuses a public channel the methods it may not
// call (lifecycle.h MayCall), and hands it to the registry; statuses go through the one
// Status → gRPC mapping.
//
// Every method is a callback method (ADR 0016): gRPC's callback threads read and answer the
// calls, and the blocking Redis work runs on the process's read or write threads (the pool of
// each method in rpcs.inc; libs/server/callback_unary.h), with no hand-off to and from a
// synchronous server thread per call (bench/README.md, grpc_throughput_bench). All of them, not
// only the hot reads: with synchronous methods beside callback ones the server is "hybrid" and
// its synchronous calls wait for the two callback threads (the push's p99 went from 13 ms to
// 110 ms at 200 reports/s with GetHazard alone on the callback API).
class HazardGrpcService final : public v1::HazardService::CallbackService {
 public:
  HazardGrpcService(HazardRegistry* registry, const auth::Authenticator* authenticator)
      : registry_(registry), authenticator_(authenticator) {}

#define FG_HAZARDS_RPC(Method, Impl, Request, Response, Pool)                                \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* ctx, const v1::Request* req, \
                                   v1::Response* resp) override;
#include "services/hazards/rpcs.inc"
#undef FG_HAZARDS_RPC
  // The shared message shape of protos/firegrid/readmodels, so not in rpcs.inc.
  grpc::ServerUnaryReactor* CheckReadModels(grpc::CallbackServerContext* ctx,
                                            const readmodels::v1::CheckReadModelsRequest* req,
                                            readmodels::v1::CheckReadModelsResponse* resp) override;

 private:
  HazardRegistry* registry_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::hazards
