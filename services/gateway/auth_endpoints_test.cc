#include "services/gateway/auth_endpoints.h"

#include "absl/synchronization/mutex.h"
#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "services/gateway/fake_grpc.h"
#include "services/gateway/http_server.h"

namespace firegrid::gateway {
namespace {

using testing::FakeGrpcServer;
using ::testing::HasSubstr;
using testing::MetadataOf;
using ::testing::Not;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-test-key";
namespace acc = accounts::v1;

// Accounts with one user (worker / right-password / 123456) and single-use refresh tokens.
class FakeAccounts : public acc::AccountsService::Service {
 public:
  grpc::Status SignIn(grpc::ServerContext* ctx, const acc::SignInRequest* req,
                      acc::SignInResponse* out) override {
    absl::MutexLock lock(&mu);
    client_address = MetadataOf(*ctx, "x-firegrid-client-address");
    service_token = MetadataOf(*ctx, "x-firegrid-service-token");
    if (req->username() != "worker" || req->password() != "right-password" ||
        req->totp_code() != "123456") {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid credentials or locked");
    }
    Issue(out);
    return grpc::Status::OK;
  }
  grpc::Status Refresh(grpc::ServerContext* ctx, const acc::RefreshRequest* req,
                       acc::SignInResponse* out) override {
    absl::MutexLock lock(&mu);
    service_token = MetadataOf(*ctx, "x-firegrid-service-token");
    if (req->refresh_token() != current_refresh) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "refresh token not valid");
    }
    Issue(out);
    return grpc::Status::OK;
  }
  grpc::Status SignOut(grpc::ServerContext*, const acc::SignOutRequest* req,
                       acc::SignOutResponse*) override {
    absl::MutexLock lock(&mu);
    signed_out = req->refresh_token();
    current_refresh.clear();
    return grpc::Status::OK;
  }
  grpc::Status GetJwks(grpc::ServerContext*, const acc::GetJwksRequest*, acc::Jwks* out) override {
    out->set_json(R"({"keys":[{"kty":"RSA","kid":"k1"}]})");
    return grpc::Status::OK;
  }

  absl::Mutex mu;
  std::string client_address, service_token, signed_out, current_refresh;
  int issued = 0;

 private:
  void Issue(acc::SignInResponse* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ++issued;
    current_refresh = absl::StrCat("refresh-", issued);
    out->set_access_token(absl::StrCat("access-", issued));
    out->set_refresh_token(current_refresh);
    out->mutable_refresh_token_expires_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) +
                                                         12 * 3600);
    out->mutable_user()->set_username("worker");
  }
};

class AuthEndpointsTest : public ::testing::Test {
 protected:
  void Start(AuthOptions ao) {
    auth::VerifierOptions vo;
    vo.hs256_key = kKey;
    verifier_ = *auth::TokenVerifier::Create(vo);
    gate_ = std::make_unique<BearerGate>(verifier_.get(), RealClock::Get(), nullptr);
    handler_ = std::make_unique<AuthHandler>(
        gate_.get(), grpc_.Channel(),
        []() -> absl::StatusOr<std::string> { return std::string("gateway-service-token"); },
        RealClock::Get(), std::move(ao));
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, nullptr);
    server_->AddRoute("auth", "/api/v1/auth/", handler_.get());
    server_->AddRoute("jwks", "/.well-known/jwks.json", handler_.get());
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    origin_ = absl::StrCat("http://127.0.0.1:", server_->port());
  }
  httplib::Result SignIn(const std::string& password) {
    return client_->Post(
        "/api/v1/auth/sign-in", {{"Origin", origin_}},
        absl::StrCat(R"({"username":"worker","password":")", password, R"(","totpCode":"123456"})"),
        "application/json");
  }
  static std::string CookieOf(const httplib::Result& r) {
    std::string c = r->get_header_value("Set-Cookie");
    return c.substr(0, c.find(';'));  // "fg_refresh=<value>"
  }

  FakeAccounts accounts_;
  FakeGrpcServer grpc_{{&accounts_}};
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<BearerGate> gate_;
  std::unique_ptr<AuthHandler> handler_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string origin_;
};

TEST_F(AuthEndpointsTest, SignInPutsTheRefreshTokenInAStrictCookieOnlyAndVouchesForTheAddress) {
  Start({});
  auto r = SignIn("right-password");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["accessToken"], "access-1");
  EXPECT_EQ(j["refreshToken"], "");
  EXPECT_THAT(r->body, Not(HasSubstr("refresh-1")));
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("fg_refresh=refresh-1;"));
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("Secure"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(cookie, HasSubstr("Path=/api/v1/auth"));
  absl::MutexLock lock(&accounts_.mu);
  EXPECT_EQ(accounts_.client_address, "127.0.0.1");
  EXPECT_EQ(accounts_.service_token, "gateway-service-token");
}

TEST_F(AuthEndpointsTest, WrongCredentialsAre401WithoutACookie) {
  Start({});
  auto r = SignIn("wrong");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_THAT(r->body, HasSubstr("UNAUTHENTICATED"));
  EXPECT_FALSE(r->has_header("Set-Cookie"));
}

TEST_F(AuthEndpointsTest, RefreshNeedsTheCsrfHeaderAndTheGatewaysOrigin) {
  Start({});
  auto in = SignIn("right-password");
  ASSERT_TRUE(in);
  const std::string cookie = CookieOf(in);
  auto no_header = client_->Post("/api/v1/auth/refresh", {{"Origin", origin_}, {"Cookie", cookie}},
                                 "", "application/json");
  ASSERT_TRUE(no_header);
  EXPECT_EQ(no_header->status, 403);
  auto no_origin =
      client_->Post("/api/v1/auth/refresh", {{"X-Firegrid-CSRF", "1"}, {"Cookie", cookie}}, "",
                    "application/json");
  ASSERT_TRUE(no_origin);
  EXPECT_EQ(no_origin->status, 403);
  auto foreign = client_->Post(
      "/api/v1/auth/refresh",
      {{"X-Firegrid-CSRF", "1"}, {"Origin", "https://evil.example.com"}, {"Cookie", cookie}}, "",
      "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  absl::MutexLock lock(&accounts_.mu);
  EXPECT_EQ(accounts_.issued, 1);  // none of them reached accounts
}

TEST_F(AuthEndpointsTest, RefreshRotatesTheCookieAndAReusedOneIsRefused) {
  Start({});
  auto in = SignIn("right-password");
  ASSERT_TRUE(in);
  const std::string first = CookieOf(in);
  httplib::Headers h = {{"X-Firegrid-CSRF", "1"}, {"Origin", origin_}, {"Cookie", first}};
  auto r = client_->Post("/api/v1/auth/refresh", h, "", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["accessToken"], "access-2");
  EXPECT_EQ(CookieOf(r), "fg_refresh=refresh-2");
  auto again = client_->Post("/api/v1/auth/refresh", h, "", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 401);
  EXPECT_THAT(again->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
}

TEST_F(AuthEndpointsTest, SignOutRevokesAtAccountsAndClearsTheCookie) {
  Start({});
  auto in = SignIn("right-password");
  ASSERT_TRUE(in);
  auto r = client_->Post("/api/v1/auth/sign-out",
                         {{"X-Firegrid-CSRF", "1"}, {"Origin", origin_}, {"Cookie", CookieOf(in)}},
                         "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("fg_refresh=; "));
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
  absl::MutexLock lock(&accounts_.mu);
  EXPECT_EQ(accounts_.signed_out, "refresh-1");
}

TEST_F(AuthEndpointsTest, ConfigTellsBuiltInOrTheOidcProvider) {
  AuthOptions oidc;
  oidc.sign_in.mutable_oidc()->set_issuer("https://idp.example.org");
  oidc.sign_in.mutable_oidc()->set_client_id("console");
  oidc.sign_in.mutable_oidc()->set_authorization_endpoint("https://idp.example.org/auth");
  oidc.sign_in.mutable_oidc()->set_token_endpoint("https://idp.example.org/token");
  Start(oidc);
  auto r = client_->Get("/api/v1/auth/config");
  ASSERT_TRUE(r);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["mode"], "oidc");
  EXPECT_EQ(j["clientId"], "console");
  EXPECT_EQ(j["scopes"], nlohmann::json({"openid", "profile"}));
  EXPECT_EQ(SignIn("right-password")->status, 404);
}

TEST_F(AuthEndpointsTest, TokenSessionVerifiesThePastedTokenWhenEnabled) {
  Start({.token_sign_in = true});
  auth::Principal p;
  p.subject = "user:worker.001002";
  p.role = auth::Role::kCommunityWorker;
  p.org_unit = "500109001002";
  p.tier_path = "500109001002";
  const std::string token =
      *(*auth::TokenSigner::Hs256(kKey))->Sign(p, absl::Now(), absl::Minutes(15));
  auto ok = client_->Post("/api/v1/auth/token-session", nlohmann::json({{"token", token}}).dump(),
                          "application/json");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  auto j = nlohmann::json::parse(ok->body);
  EXPECT_EQ(j["accessToken"], token);
  EXPECT_EQ(j["user"]["role"], "community_worker");
  auto bad = client_->Post("/api/v1/auth/token-session",
                           nlohmann::json({{"token", token + "x"}}).dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
}

TEST_F(AuthEndpointsTest, TokenSessionIsAbsentUnlessEnabled) {
  Start({});
  auto r = client_->Post("/api/v1/auth/token-session", R"({"token":"x"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(AuthEndpointsTest, JwksComesFromAccounts) {
  Start({});
  auto r = client_->Get("/.well-known/jwks.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"keys":[{"kty":"RSA","kid":"k1"}]})");
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; fg_refresh=xyz; b=2", "fg_refresh"), "xyz");
  EXPECT_EQ(CookieValue("fg_refreshx=1", "fg_refresh"), "");
  EXPECT_EQ(CookieValue("", "fg_refresh"), "");
}

}  // namespace
}  // namespace firegrid::gateway
