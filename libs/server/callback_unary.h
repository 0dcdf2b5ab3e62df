#pragma once

#include <utility>

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "libs/common/trace.h"

namespace firegrid::server {

// The W3C trace context of a call: continued from its traceparent / tracestate metadata, else a
// new trace.
trace::Context TraceContextOf(const grpc::ServerContextBase& ctx);

// Serves a unary method of gRPC's callback API on the thread that received the call: makes the
// call's trace context current (as ServiceHost does around every synchronous handler; gRPC's
// PreSynchronousRequest hook runs for synchronous methods only), runs `serve` (returning a
// grpc::Status) and finishes the call with its status.
//
// For hot reads: the synchronous server hands every call from the thread that read it to a
// handler thread and back, which costs more than a read's own work. `serve` may block for a
// Redis round trip, as a synchronous handler does; it must not wait long.
//
//   grpc::ServerUnaryReactor* Service::GetX(grpc::CallbackServerContext* ctx, const Req* req,
//                                           Resp* resp) {
//     return server::ServeUnaryInline(ctx, [&] { ... return grpc::Status::OK; });
//   }
template <typename Serve>
grpc::ServerUnaryReactor* ServeUnaryInline(grpc::CallbackServerContext* ctx, Serve&& serve) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  grpc::Status status;
  {
    trace::Scope scope(TraceContextOf(*ctx));
    status = std::forward<Serve>(serve)();
  }
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace firegrid::server
