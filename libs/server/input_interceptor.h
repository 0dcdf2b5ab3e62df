#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"

namespace firegrid::server {

// Answers a request that cannot be parsed with INVALID_ARGUMENT naming the problem, on every
// service.
//
// gRPC's sync server parses the request message before any handler runs; when that fails (a
// string field that is not valid UTF-8, which proto3 forbids, or bytes that are not the
// request message at all) it answers INTERNAL with an empty message, as if the server had
// failed; a callback method (callback_unary.h) answers UNIMPLEMENTED with an empty message.
// The interceptor notes the failed parse (POST_RECV_MESSAGE without a message) and rewrites
// that INTERNAL or UNIMPLEMENTED at PRE_SEND_STATUS. Only calls whose request did not parse are
// touched, and only unary and server-streaming ones (whose single request is parsed before the
// handler, which then never runs): an INTERNAL error of a handler that ran is never rewritten.
//
// Install it before interceptors that read the final status (metrics): PRE_SEND_STATUS runs
// the interceptors in list order.
class InputInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// The INVALID_ARGUMENT message for a request of `method` ("/pkg.Service/Method") that did not
// parse; it names the request type when the method is in the generated descriptor pool.
std::string UnparsableRequestMessage(absl::string_view method);

}  // namespace firegrid::server
