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

// The process's thread pools that callback methods are served on (ServeUnary), each started on
// first use and kept for the process's life. Reads and writes have pools of their own so that a
// burst of one kind (writes wait on more round trips) does not hold up the other.
enum class Threads { kRead, kWrite };

namespace internal {
inline constexpr int kReadThreads = 8;  // the best of 2, 4, 8 and 16 for GetBuilding (bench/)
inline constexpr int kWriteThreads = 16;
// Runs `work` on one of the pool's threads.
void RunOn(Threads threads, std::function<void()> work);
}  // namespace internal

// Serves a unary method of gRPC's callback API: `serve` (returning a grpc::Status) runs on one of
// the pool's threads, in the call's trace context (as ServiceHost makes it current around every
// synchronous handler; gRPC's PreSynchronousRequest hook runs for synchronous methods only), and
// the call is finished with its status from there, still in that context: the interceptors'
// send-status hooks run in Finish, on that thread (the audit record of a change carries the
// call's trace id).
//
// Why (bench/README.md, grpc_throughput_bench): the synchronous server hands every call from the
// thread that read it to a handler thread and back, which cost more than a read's own work.
// Answered inline on gRPC's callback thread instead, a call's blocking Redis round trip held
// that thread, and calls queued behind one another. The pools keep several round trips in
// flight while gRPC's threads go on reading calls. `serve` may block for Redis round trips; it
// must not wait long.
//
//   grpc::ServerUnaryReactor* Service::GetX(grpc::CallbackServerContext* ctx, const Req* req,
//                                           Resp* resp) {
//     return server::ServeUnary(Threads::kRead, ctx, [=, this] { ...; return grpc::Status::OK; });
//   }
//
// ctx, the request and the response stay valid until the call is finished, so `serve` may
// capture their pointers.
template <typename Serve>
grpc::ServerUnaryReactor* ServeUnary(Threads threads, grpc::CallbackServerContext* ctx,
                                     Serve serve) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  internal::RunOn(
      threads, [reactor, trace_context = TraceContextOf(*ctx), serve = std::move(serve)]() mutable {
        trace::Scope scope(std::move(trace_context));
        reactor->Finish(serve());
      });
  return reactor;
}

}  // namespace firegrid::server
