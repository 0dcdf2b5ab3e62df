#pragma once

// A gRPC server on a free loopback port for the gateway's tests, with the services they fake.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace firegrid::gateway::testing {

class FakeGrpcServer {
 public:
  explicit FakeGrpcServer(std::vector<grpc::Service*> services) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    for (grpc::Service* s : services) b.RegisterService(s);
    server_ = b.BuildAndStart();
  }
  ~FakeGrpcServer() { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1))); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The bearer token of a call ("" when absent).
inline std::string BearerOf(const grpc::ServerContextBase& ctx) {
  auto it = ctx.client_metadata().find("authorization");
  if (it == ctx.client_metadata().end()) return "";
  std::string v(it->second.data(), it->second.size());
  return v.rfind("Bearer ", 0) == 0 ? v.substr(7) : "";
}

inline std::string MetadataOf(const grpc::ServerContextBase& ctx, const std::string& key) {
  auto it = ctx.client_metadata().find(key);
  if (it == ctx.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace firegrid::gateway::testing
