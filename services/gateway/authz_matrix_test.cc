// The gateway's part of the authorisation matrix (docs/authorization.md). The gateway decides
// nothing about roles: every JSON API route maps onto one RPC of a service, which authorises
// the call with the caller's own token (the services' matrices prove what each role may do).
// This test proves the mapping's side, for every exposed method of every service and every
// caller: a caller with a valid token reaches exactly that RPC carrying its own token as the
// bearer, and no service credential (the gateway's service token is for the accounts service's
// sign-in calls only); a call without a token, with an expired one or one signed with another
// key, is 401 and reaches no service.

#include "tests/support/authz_matrix.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/clock.h"
#include "services/gateway/bearer.h"
#include "services/gateway/http_server.h"
#include "services/gateway/json_api.h"

namespace firegrid::gateway {
namespace {

namespace pb = ::google::protobuf;
using authz_matrix::Caller;

// Answers every method of every service with an empty message, recording what each call
// carried.
class RecordingBackend final : public grpc::CallbackGenericService {
 public:
  struct Seen {
    std::string method;
    std::string authorization;
    bool service_token = false;  // any x-firegrid-service-token metadata
  };

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    Seen seen;
    seen.method = ctx->method();
    const auto& md = ctx->client_metadata();
    if (auto it = md.find("authorization"); it != md.end()) {
      seen.authorization = std::string(it->second.data(), it->second.size());
    }
    seen.service_token = md.find("x-firegrid-service-token") != md.end();
    {
      absl::MutexLock lock(&mu_);
      seen_.push_back(std::move(seen));
    }
    return new Answer();
  }

  std::vector<Seen> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(seen_, {});
  }

 private:
  class Answer final : public grpc::ServerGenericBidiReactor {
   public:
    Answer() { StartRead(&request_); }
    void OnReadDone(bool) override {
      grpc::Slice empty;
      response_ = grpc::ByteBuffer(&empty, 1);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer request_, response_;
  };

  absl::Mutex mu_;
  std::vector<Seen> seen_;
};

struct Route {
  const pb::MethodDescriptor* method;
  Caller caller;
};

std::vector<Route> Routes() {
  std::vector<Route> out;
  for (const pb::ServiceDescriptor* s : ApiServices()) {
    for (int i = 0; i < s->method_count(); ++i) {
      if (!Exposed(s->method(i))) continue;
      for (Caller c : authz_matrix::RoleCallers()) out.push_back({s->method(i), c});
      out.push_back({s->method(i), Caller::kNoToken});
      out.push_back({s->method(i), Caller::kExpiredToken});
      out.push_back({s->method(i), Caller::kBadToken});
    }
  }
  return out;
}

std::string RouteName(const ::testing::TestParamInfo<Route>& info) {
  const Route& r = info.param;
  const bool token = r.caller != Caller::kNoToken && r.caller != Caller::kExpiredToken &&
                     r.caller != Caller::kBadToken;
  return absl::StrCat(r.method->service()->name(), "_", r.method->name(), "_",
                      authz_matrix::CallerName(r.caller), "_",
                      token ? "ForwardsOwnToken" : "Unauthenticated");
}

class GatewayRoutes : public ::testing::TestWithParam<Route> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::UTCTimeZone())};
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<BearerGate> gate;
    RecordingBackend backend;
    std::unique_ptr<grpc::Server> grpc_server;
    std::unique_ptr<JsonApiHandler> handler;
    std::unique_ptr<HttpServer> http;
    std::unique_ptr<httplib::Client> client;

    ~Env() {
      if (http) http->Stop();
      if (grpc_server) grpc_server->Shutdown();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({}, &e.backend);
    e.grpc_server = std::move(loopback.server);
    if (e.grpc_server == nullptr) return;  // StartOnLoopback failed the test
    const std::shared_ptr<grpc::Channel>& channel = loopback.channel;
    std::map<std::string, std::shared_ptr<grpc::Channel>> channels, audit;
    for (const pb::ServiceDescriptor* s : ApiServices()) channels[s->full_name()] = channel;
    audit["hazards"] = channel;
    e.verifier = e.tokens.Verifier();
    e.gate = std::make_unique<BearerGate>(e.verifier.get(), &e.clock, nullptr);
    e.handler = std::make_unique<JsonApiHandler>(e.gate.get(), channels, audit);
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    e.http = std::make_unique<HttpServer>(o, nullptr);
    e.http->AddRoute("api", kApiPrefix, e.handler.get());
    ASSERT_TRUE(e.http->Start().ok());
    e.client = std::make_unique<httplib::Client>("127.0.0.1", e.http->port());
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static Env* env_;
};

GatewayRoutes::Env* GatewayRoutes::env_ = nullptr;

TEST_P(GatewayRoutes, Call) {
  const Route& r = GetParam();
  Env& e = *env_;
  const std::string token = e.tokens.For(r.caller, e.clock.Now());
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  std::string path =
      absl::StrCat(kApiPrefix, r.method->service()->full_name(), "/", r.method->name());
  if (r.method->service()->name() == "AuditService") path += "?service=hazards";
  e.backend.Take();
  auto resp = e.client->Post(path, h, "{}", "application/json");
  ASSERT_TRUE(resp);
  const std::vector<RecordingBackend::Seen> seen = e.backend.Take();
  if (r.caller == Caller::kNoToken || r.caller == Caller::kExpiredToken ||
      r.caller == Caller::kBadToken) {
    EXPECT_EQ(resp->status, 401) << resp->body;
    EXPECT_TRUE(seen.empty()) << "reached " << seen.front().method;
    return;
  }
  EXPECT_EQ(resp->status, 200) << resp->body;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method,
            absl::StrCat("/", r.method->service()->full_name(), "/", r.method->name()));
  EXPECT_EQ(seen[0].authorization, "Bearer " + token);
  EXPECT_FALSE(seen[0].service_token);
}

INSTANTIATE_TEST_SUITE_P(Json, GatewayRoutes, ::testing::ValuesIn(Routes()), RouteName);

}  // namespace
}  // namespace firegrid::gateway
