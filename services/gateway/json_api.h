#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/channel.h"
#include "services/gateway/bearer.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// The path prefix of the JSON API: POST /api/v1/<package>.<Service>/<Method>.
inline constexpr char kApiPrefix[] = "/api/v1/";

// The services whose unary methods the JSON API transcodes, and the methods it never exposes
// (internal ones; sign-in has its own routes under /api/v1/auth/).
std::vector<const google::protobuf::ServiceDescriptor*> ApiServices();
// True when `method` is callable through the JSON API.
bool Exposed(const google::protobuf::MethodDescriptor* method);

struct JsonApiOptions {
  absl::Duration deadline = absl::Seconds(10);
};

// POST /api/v1/<full service name>/<Method>: the body (the request message in the proto3 JSON
// mapping; both field name spellings accepted) is sent to the service over gRPC with the
// caller's bearer token (verified here first, BearerGate), and the answer comes back as JSON
// (lowerCamelCase names, enums as names, every field). Errors are
// {"code":"<gRPC code name>","message":"..."} with the HTTP status of HttpStatusOf.
// firegrid.audit.v1.AuditService is answered by each service for its own objects: the query
// parameter `service` (buildings, hazards, credit, notify, monitoring, accounts) says which.
class JsonApiHandler : public Handler {
 public:
  // `channels`: full service name → channel; `audit_channels`: short service name → channel.
  JsonApiHandler(const BearerGate* gate,
                 std::map<std::string, std::shared_ptr<grpc::Channel>> channels,
                 std::map<std::string, std::shared_ptr<grpc::Channel>> audit_channels,
                 JsonApiOptions options = {});
  HttpResponse Handle(const HttpRequest& request) override;

 private:
  const BearerGate* gate_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> audit_channels_;
  JsonApiOptions options_;
};

// Calls `method` on `channel` with `request` (serialised) and metadata; the answer parsed into
// `response`. Blocks the calling thread until done or `deadline`.
struct UnaryCallSpec {
  std::shared_ptr<grpc::Channel> channel;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::vector<std::pair<std::string, std::string>> metadata;
  absl::Duration deadline = absl::Seconds(10);
};
absl::Status CallUnary(const UnaryCallSpec& spec, const google::protobuf::Message& request,
                       google::protobuf::Message* response);

// The proto3 JSON of `message` as the API writes it.
std::string ApiJson(const google::protobuf::Message& message);

}  // namespace firegrid::gateway
