#pragma once

#include <functional>
#include <utility>

#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "libs/common/trace.h"

namespace firegrid::server {

// The W3C trace context of a call: continued from its traceparent / tracestate metadata, else a
// new trace.
trace::Context TraceContextOf(const grpc::ServerContextBase& ctx);

namespace internal {
// Runs `work` on one of the process's read threads (kReadThreads, started on first use).
inline constexpr int kReadThreads = 8;
void RunOnReadThread(std::function<void()> work);
}  // namespace internal

// Serves a unary method of gRPC's callback API for a hot read: `serve` (returning a
// grpc::Status) runs on one of a few threads the process keeps for such reads, in the call's
// trace context (as ServiceHost makes it current around every synchronous handler; gRPC's
// PreSynchronousRequest hook runs for synchronous methods only), and the call is finished with
// its status from there.
//
// Why (bench/README.md, grpc_throughput_bench): the synchronous server hands every call from the
// thread that read it to a handler thread and back, which cost more than a read's own work.
// Answered inline on gRPC's callback thread instead, a read's blocking Redis round trip held
// that thread, and reads queued behind one another. The read threads keep several round trips
// in flight while gRPC's threads go on reading calls. `serve` may block for a Redis round trip;
// it must not wait long.
//
//   grpc::ServerUnaryReactor* Service::GetX(grpc::CallbackServerContext* ctx, const Req* req,
//                                           Resp* resp) {
//     return server::ServeUnaryOnReadThread(ctx, [=, this] { ...; return grpc::Status::OK; });
//   }
//
// ctx, the request and the response stay valid until the call is finished, so `serve` may
// capture their pointers.
template <typename Serve>
grpc::ServerUnaryReactor* ServeUnaryOnReadThread(grpc::CallbackServerContext* ctx, Serve serve) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  internal::RunOnReadThread(
      [reactor, trace_context = TraceContextOf(*ctx), serve = std::move(serve)]() mutable {
        grpc::Status status;
        {
          trace::Scope scope(std::move(trace_context));
          status = serve();
        }
        reactor->Finish(std::move(status));
      });
  return reactor;
}

}  // namespace firegrid::server
