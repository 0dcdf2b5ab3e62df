#include "services/gateway/json_api.h"

#include "absl/synchronization/mutex.h"
#include "firegrid/audit/v1/audit.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/clock.h"
#include "libs/server/retry_info.h"
#include "nlohmann/json.hpp"
#include "services/gateway/fake_grpc.h"
#include "services/gateway/http_server.h"

namespace firegrid::gateway {
namespace {

using testing::BearerOf;
using testing::FakeGrpcServer;
using ::testing::HasSubstr;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-test-key";

// GetHazard answers what the test set up; it records the token and request it saw.
class FakeHazards : public hazards::v1::HazardService::Service {
 public:
  grpc::Status GetHazard(grpc::ServerContext* ctx, const hazards::v1::GetHazardRequest* req,
                         hazards::v1::Hazard* out) override {
    absl::MutexLock lock(&mu);
    seen_token = BearerOf(*ctx);
    seen_request_id = testing::MetadataOf(*ctx, "x-request-id");
    seen_id = req->hazard_id();
    ++calls;
    if (req->hazard_id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "hazard_id: required");
    }
    if (req->hazard_id() == "hzd_missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such hazard");
    }
    if (req->hazard_id() == "hzd_other") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "not in your jurisdiction");
    }
    if (req->hazard_id() == "hzd_flood") {  // as a service's rate limit answers
      const std::string message = "rate limit of this principal exceeded; retry in 2.5s";
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message,
                          server::RetryStatusDetails(grpc::StatusCode::RESOURCE_EXHAUSTED, message,
                                                     absl::Milliseconds(2500)));
    }
    out->set_hazard_id(req->hazard_id());
    out->set_status(hazards::v1::STATUS_VERIFIED);
    out->set_building_name("楼");
    out->set_tier_path("500109001002");
    return grpc::Status::OK;
  }
  absl::Mutex mu;
  std::string seen_token, seen_request_id, seen_id;
  int calls = 0;
};

class FakeAudit : public audit::v1::AuditService::Service {
 public:
  explicit FakeAudit(std::string service) : service_(std::move(service)) {}
  grpc::Status ListAuditRecords(grpc::ServerContext*, const audit::v1::ListAuditRecordsRequest*,
                                audit::v1::ListAuditRecordsResponse* out) override {
    out->add_records()->set_service(service_);
    return grpc::Status::OK;
  }

 private:
  std::string service_;
};

class GatewayJsonApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth::VerifierOptions vo;
    vo.hs256_key = kKey;
    verifier_ = *auth::TokenVerifier::Create(vo);
    signer_ = *auth::TokenSigner::Hs256(kKey);
    failures_ = std::make_unique<auth::RateLimiter>(3.0 / 60, 3, &clock_);
    gate_ = std::make_unique<BearerGate>(verifier_.get(), &clock_, failures_.get());
    handler_ = std::make_unique<JsonApiHandler>(
        gate_.get(),
        std::map<std::string, std::shared_ptr<grpc::Channel>>{
            {"firegrid.hazards.v1.HazardService", grpc_.Channel()}},
        std::map<std::string, std::shared_ptr<grpc::Channel>>{{"hazards", audit_grpc_.Channel()}});
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, nullptr);
    server_->AddRoute("api", kApiPrefix, handler_.get());
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    token_ = Token();
  }
  std::string Token() {
    auth::Principal p;
    p.subject = "user:worker.001002";
    p.role = auth::Role::kCommunityWorker;
    p.org_unit = "500109001002";
    p.tier_path = "500109001002";
    return *signer_->Sign(p, clock_.Now(), absl::Minutes(15));
  }
  httplib::Result Post(const std::string& path, const std::string& body, const std::string& token) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return client_->Post(path, h, body, "application/json");
  }

  FakeClock clock_{absl::Now()};
  FakeHazards hazards_;
  FakeAudit audit_{"hazards"};
  FakeGrpcServer grpc_{{&hazards_}};
  FakeGrpcServer audit_grpc_{{&audit_}};
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::RateLimiter> failures_;
  std::unique_ptr<BearerGate> gate_;
  std::unique_ptr<JsonApiHandler> handler_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string token_;
};

TEST_F(GatewayJsonApiTest, JsonInJsonOutWithTheCallersTokenForwarded) {
  auto r = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", R"({"hazardId":"hzd_1"})",
                token_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["hazardId"], "hzd_1");
  EXPECT_EQ(j["status"], "STATUS_VERIFIED");
  EXPECT_EQ(j["buildingName"], "楼");
  EXPECT_EQ(j["overdue"], false);  // primitive fields printed even when default
  absl::MutexLock lock(&hazards_.mu);
  EXPECT_EQ(hazards_.seen_token, token_);
  EXPECT_EQ(hazards_.seen_request_id, r->get_header_value("X-Request-Id"));
}

TEST_F(GatewayJsonApiTest, ProtoFieldNamesAreAcceptedToo) {
  auto r = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", R"({"hazard_id":"hzd_2"})",
                token_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  absl::MutexLock lock(&hazards_.mu);
  EXPECT_EQ(hazards_.seen_id, "hzd_2");
}

TEST_F(GatewayJsonApiTest, ServiceErrorsMapToHttpStatusAndACodeBody) {
  struct Case {
    std::string id;
    int status;
    std::string code;
  };
  for (const Case& c : {Case{"", 400, "INVALID_ARGUMENT"}, Case{"hzd_missing", 404, "NOT_FOUND"},
                        Case{"hzd_other", 403, "PERMISSION_DENIED"}}) {
    auto r = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard",
                  absl::StrCat(R"({"hazardId":")", c.id, R"("})"), token_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << c.id;
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["code"], c.code);
    EXPECT_FALSE(j["message"].get<std::string>().empty());
  }
}

TEST_F(GatewayJsonApiTest, UnknownAndInternalMethodsAre404) {
  for (const char* path :
       {"/api/v1/firegrid.hazards.v1.HazardService/NoSuch", "/api/v1/firegrid.nothing.v1.X/Y",
        "/api/v1/firegrid.hazards.v1.HazardService/NoteDeviceAlarmCleared",
        "/api/v1/firegrid.notify.v1.NotifyService/PushEvent",
        "/api/v1/firegrid.notify.v1.NotifyService/Subscribe",
        "/api/v1/firegrid.accounts.v1.AccountsService/SignIn",
        "/api/v1/firegrid.monitoring.v1.MonitoringService/Ingest"}) {
    auto r = Post(path, "{}", token_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_THAT(r->body, HasSubstr("NOT_FOUND"));
  }
  absl::MutexLock lock(&hazards_.mu);
  EXPECT_EQ(hazards_.calls, 0);
}

TEST_F(GatewayJsonApiTest, MissingOrBadTokensAre401AndNeverReachTheService) {
  auto none = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", "{}", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_THAT(none->body, HasSubstr("UNAUTHENTICATED"));
  auto bad = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", "{}",
                  token_.substr(0, token_.size() - 2) + "xx");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  absl::MutexLock lock(&hazards_.mu);
  EXPECT_EQ(hazards_.calls, 0);
}

TEST_F(GatewayJsonApiTest, AnAddressThatKeepsFailingIsThrottledEvenWithAGoodToken) {
  for (int i = 0; i < 3; ++i) {
    auto r = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", "{}", "garbage");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  auto r =
      Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", R"({"hazardId":"h"})", token_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_THAT(r->body, HasSubstr("RESOURCE_EXHAUSTED"));
  clock_.Advance(absl::Minutes(1));
  auto later =
      Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", R"({"hazardId":"h"})", Token());
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
}

TEST_F(GatewayJsonApiTest, APrincipalOverTheGatewaysRateLimitIs429WithRetryAfter) {
  client_.reset();
  server_.reset();  // the fixture's, without a principal limit
  auth::RateLimiter principals(/*rate_per_second=*/0.5, /*burst=*/2, &clock_);
  gate_ = std::make_unique<BearerGate>(verifier_.get(), &clock_, failures_.get(), &principals);
  handler_ =
      std::make_unique<JsonApiHandler>(gate_.get(),
                                       std::map<std::string, std::shared_ptr<grpc::Channel>>{
                                           {"firegrid.hazards.v1.HazardService", grpc_.Channel()}},
                                       std::map<std::string, std::shared_ptr<grpc::Channel>>{});
  server_ =
      std::make_unique<HttpServer>(HttpServerOptions{.address = "127.0.0.1", .port = 0}, nullptr);
  server_->AddRoute("api", kApiPrefix, handler_.get());
  ASSERT_TRUE(server_->Start().ok());
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  const std::string path = "/api/v1/firegrid.hazards.v1.HazardService/GetHazard";
  for (int i = 0; i < 2; ++i) {
    auto r = Post(path, R"({"hazardId":"h"})", token_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << i;
  }
  auto r = Post(path, R"({"hazardId":"h"})", token_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_THAT(r->body, HasSubstr("RESOURCE_EXHAUSTED"));
  EXPECT_EQ(r->get_header_value("Retry-After"), "2");  // one request every 2 s
  {
    absl::MutexLock lock(&hazards_.mu);
    EXPECT_EQ(hazards_.calls, 2) << "a refused request reached the service";
  }
  clock_.Advance(absl::Seconds(2));
  auto later = Post(path, R"({"hazardId":"h"})", token_);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
}

TEST_F(GatewayJsonApiTest, AServicesRateLimitIs429WithItsRetryDelayAsRetryAfter) {
  auto r = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard",
                R"({"hazardId":"hzd_flood"})", token_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "3");  // 2.5 s, rounded up
  EXPECT_THAT(r->body, HasSubstr("retry in 2.5s"));
}

TEST_F(GatewayJsonApiTest, MalformedJsonUnknownFieldsAndWrongContentTypeAreRefused) {
  auto bad = Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", "{nope", token_);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("body:"));
  auto unknown =
      Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard", R"({"notAField":1})", token_);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  auto form = client_->Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard",
                            {{"Authorization", "Bearer " + token_}}, "hazardId=x",
                            "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);
  auto get = client_->Get("/api/v1/firegrid.hazards.v1.HazardService/GetHazard",
                          {{"Authorization", "Bearer " + token_}});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  absl::MutexLock lock(&hazards_.mu);
  EXPECT_EQ(hazards_.calls, 0);
}

TEST_F(GatewayJsonApiTest, AuditGoesToTheServiceNamedInTheQuery) {
  auto r = Post("/api/v1/firegrid.audit.v1.AuditService/ListAuditRecords?service=hazards",
                R"({"objectId":"hzd_1"})", token_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["records"][0]["service"], "hazards");
  auto missing = Post("/api/v1/firegrid.audit.v1.AuditService/ListAuditRecords",
                      R"({"objectId":"hzd_1"})", token_);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_THAT(missing->body, HasSubstr("service"));
}

TEST_F(GatewayJsonApiTest, AnUnreachableServiceIs503) {
  JsonApiHandler h(gate_.get(),
                   {{"firegrid.hazards.v1.HazardService",
                     grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials())}},
                   {}, JsonApiOptions{.deadline = absl::Seconds(2)});
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/firegrid.hazards.v1.HazardService/GetHazard";
  req.headers["authorization"] = "Bearer " + token_;
  req.client_address = "127.0.0.1";
  HttpResponse r = h.Handle(req);
  EXPECT_THAT(r.status, ::testing::AnyOf(503, 504));
}

TEST(GatewayExposedMethodsTest, OnlyUnaryUserFacingMethodsAreExposed) {
  int exposed = 0;
  for (const auto* s : ApiServices()) {
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < s->method_count(); ++i) {
      if (Exposed(s->method(i))) {
        ++exposed;
        EXPECT_FALSE(s->method(i)->server_streaming()) << s->method(i)->full_name();
      }
    }
  }
  EXPECT_GT(exposed, 50);
}

}  // namespace
}  // namespace firegrid::gateway
