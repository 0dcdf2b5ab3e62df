#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "tools/firegridctl/cli.h"

namespace firegrid::ctl {

// A gRPC status as an absl::Status with the same code and message.
absl::Status FromGrpc(const grpc::Status& status);

// One unary call through a generated stub, with the context's deadline and token:
//   FG_ASSIGN_OR_RETURN(Building b, Unary(ctx, *stub, &Stub::GetBuilding, request));
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Unary(Context& ctx, Stub& stub,
                               grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                            Response*),
                               const Request& request) {
  grpc::ClientContext call;
  ctx.Prepare(&call);
  Response response;
  grpc::Status s = (stub.*method)(&call, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

// One page, or with `all` every page from the request's page token on, merged into one
// response: `field` is the repeated field pages add to; the other fields (next page token,
// totals) are the last page's.
template <typename Stub, typename Request, typename Response, typename Item>
absl::StatusOr<Response> ListPages(Context& ctx, Stub& stub, bool all, Request req,
                                   grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                                   google::protobuf::RepeatedPtrField<Item>* (Response::*field)()) {
  google::protobuf::RepeatedPtrField<Item> items;
  Response last;
  while (true) {
    absl::StatusOr<Response> page = Unary(ctx, stub, method, req);
    if (!page.ok()) return page.status();
    last = *std::move(page);
    items.MergeFrom(*(last.*field)());
    if (!all || last.next_page_token().empty()) break;
    req.set_page_token(last.next_page_token());
  }
  *(last.*field)() = std::move(items);
  return last;
}

// A method of any firegrid service linked into this binary (see services.cc), named
// "package.Service/Method"; "/package.Service/Method" and "package.Service.Method" work too.
// NOT_FOUND when no linked service has it.
absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(absl::string_view name);

// A fresh request message of the method's input type, filled from JSON (proto3 JSON mapping;
// field names in lowerCamelCase or as in the .proto). INVALID_ARGUMENT for bad JSON.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestFromJson(
    const google::protobuf::MethodDescriptor* method, absl::string_view json);

// Calls `method` with `request` through grpc::GenericStub, by name, without generated stubs.
// Unary methods deliver one response; server-streaming methods one per message until the
// stream ends. Client-streaming methods are UNIMPLEMENTED here.
absl::Status CallGeneric(Context& ctx, const google::protobuf::MethodDescriptor* method,
                         const google::protobuf::Message& request,
                         const std::function<void(const google::protobuf::Message&)>& on_response);

// grpc.health.v1.Health/Check for `service` ("" = the whole server): the ServingStatus
// number (1 = SERVING, 2 = NOT_SERVING, 3 = SERVICE_UNKNOWN).
absl::StatusOr<int> CheckHealth(Context& ctx, const std::string& service);

// grpc.health.v1 wire format, hand-encoded (the health proto is not in the generated pool).
std::string EncodeHealthCheckRequest(const std::string& service);
absl::StatusOr<int> DecodeHealthCheckResponse(absl::string_view bytes);

}  // namespace firegrid::ctl
