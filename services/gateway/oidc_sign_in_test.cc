#include "services/gateway/oidc_sign_in.h"

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/auth/token.h"
#include "nlohmann/json.hpp"
#include "services/gateway/auth_endpoints.h"
#include "services/gateway/http_server.h"
#include "services/gateway/http_util.h"
#include "services/gateway/oidc_client.h"

namespace firegrid::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-test-key";
constexpr char kOtherKey[] = "another-key-that-the-gateway-does-not-trust!";

// An OpenID provider's token endpoint on loopback: it redeems the codes the test "authorizes"
// (code → the PKCE challenge it was issued for) and refresh tokens, and records every request.
class FakeProvider {
 public:
  FakeProvider() {
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      requests_.push_back(req.params);
      const std::string grant = req.get_param_value("grant_type");
      auto refuse = [&res] {
        res.status = 400;
        res.set_content(R"({"error":"invalid_grant"})", "application/json");
      };
      if (grant == "authorization_code") {
        auto it = codes_.find(req.get_param_value("code"));
        if (it == codes_.end() ||
            PkceChallenge(req.get_param_value("code_verifier")) != it->second) {
          return refuse();
        }
        codes_.erase(it);  // single use
      } else if (grant == "refresh_token") {
        if (req.get_param_value("refresh_token") != refresh_) return refuse();
      } else {
        return refuse();
      }
      ++issued_;
      refresh_ = absl::StrCat("provider-refresh-", issued_);
      nlohmann::json j = {{"access_token", access_token_},
                          {"token_type", "Bearer"},
                          {"expires_in", 300},
                          {"refresh_token", refresh_},
                          {"refresh_expires_in", 1800}};
      res.set_content(j.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // The socket listens from bind on: requests queue until the thread accepts them.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeProvider() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void Authorize(const std::string& code, const std::string& challenge) {
    absl::MutexLock lock(&mu_);
    codes_[code] = challenge;
  }
  void IssueAccessToken(std::string token) {
    absl::MutexLock lock(&mu_);
    access_token_ = std::move(token);
  }
  std::vector<httplib::Params> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  absl::Mutex mu_;
  std::map<std::string, std::string> codes_ ABSL_GUARDED_BY(mu_);
  std::string access_token_ ABSL_GUARDED_BY(mu_);
  std::string refresh_ ABSL_GUARDED_BY(mu_);
  int issued_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<httplib::Params> requests_ ABSL_GUARDED_BY(mu_);
};

std::string SignedBy(const char* key, const std::string& subject) {
  auth::Principal p;
  p.subject = subject;
  p.role = auth::Role::kCommunityWorker;
  p.org_unit = "500109001002";
  p.tier_path = "500109001002";
  return *(*auth::TokenSigner::Hs256(key))->Sign(p, absl::Now(), absl::Minutes(5));
}

// "name=value" of the Set-Cookie header that sets `name`, "" when none does.
std::string SetCookie(const httplib::Result& r, const std::string& name) {
  for (size_t i = 0; i < r->get_header_value_count("Set-Cookie"); ++i) {
    std::string c = r->get_header_value("Set-Cookie", i);
    if (absl::StartsWith(c, name + "=")) return c;
  }
  return "";
}

std::string CookiePair(const std::string& set_cookie) {
  return set_cookie.substr(0, set_cookie.find(';'));
}

class GatewayOidcSignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth::VerifierOptions vo;
    vo.hs256_key = kKey;
    verifier_ = *auth::TokenVerifier::Create(vo);
    gate_ = std::make_unique<BearerGate>(verifier_.get(), RealClock::Get(), nullptr);
    AuthOptions ao;
    config::v1::Oidc* o = ao.sign_in.mutable_oidc();
    o->set_issuer("http://127.0.0.1");
    o->set_client_id("firegrid console");
    o->set_authorization_endpoint(absl::StrCat("http://127.0.0.1:", provider_.port(), "/auth"));
    o->set_token_endpoint(absl::StrCat("http://127.0.0.1:", provider_.port(), "/token"));
    o->set_end_session_endpoint(absl::StrCat("http://127.0.0.1:", provider_.port(), "/logout"));
    o->set_redirect_uri("http://127.0.0.1/api/v1/auth/oidc/callback");
    ao.oidc_token_endpoint = *NewHttpTokenEndpoint(*o, "");
    handler_ = std::make_unique<AuthHandler>(
        gate_.get(), nullptr, []() -> absl::StatusOr<std::string> { return std::string(); },
        RealClock::Get(), std::move(ao));
    HttpServerOptions ho;
    ho.address = "127.0.0.1";
    ho.port = 0;
    server_ = std::make_unique<HttpServer>(ho, nullptr);
    server_->AddRoute("auth", "/api/v1/auth/", handler_.get());
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    origin_ = absl::StrCat("http://127.0.0.1:", server_->port());
    provider_.IssueAccessToken(SignedBy(kKey, "oidc-user-1"));
  }

  // The browser's part up to the provider: /start, then the provider "authorizes" code-1 for
  // the challenge it was sent. Returns the state and the flow cookie.
  struct Flow {
    std::map<std::string, std::string> params;  // of the authorization URL
    std::string cookie;                         // "fg_oidc=<state>.<verifier>"
  };
  Flow StartFlow() {
    Flow f;
    auto r = client_->Get("/api/v1/auth/oidc/start");
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 302);
    const std::string location = r->get_header_value("Location");
    const std::string base = absl::StrCat("http://127.0.0.1:", provider_.port(), "/auth?");
    EXPECT_THAT(location, StartsWith(base));
    const auto query = ParseQuery(location.substr(base.size()));
    EXPECT_TRUE(query.has_value());
    if (query) {
      for (const auto& [k, v] : *query) f.params[k] = v;
    }
    f.cookie = CookiePair(SetCookie(r, kOidcFlowCookie));
    provider_.Authorize("code-1", f.params["code_challenge"]);
    return f;
  }
  httplib::Result Callback(const std::string& query, const std::string& cookie) {
    return client_->Get(absl::StrCat("/api/v1/auth/oidc/callback?", query), {{"Cookie", cookie}});
  }
  httplib::Result Post(const std::string& path, const std::string& cookie, bool csrf = true) {
    httplib::Headers h = {{"Cookie", cookie}, {"Origin", origin_}};
    if (csrf) h.emplace("X-Firegrid-CSRF", "1");
    return client_->Post(path, h, "{}", "application/json");
  }

  FakeProvider provider_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<BearerGate> gate_;
  std::unique_ptr<AuthHandler> handler_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string origin_;
};

// The expected value computed apart (Python: urlsafe_b64encode(sha256(v)).rstrip("=")).
TEST(OidcPkceTest, ChallengeIsTheUnpaddedBase64UrlOfTheVerifiersSha256) {
  EXPECT_EQ(PkceChallenge("dBjftJeZ4CVP-mJ92K1qDJtLGEBQqUQ3nA3bhmkJ_eE"),
            "XwOTCMkhPaqzrbg-aM6kqzLwTSt_lEl4BJctoK79jxY");
}

TEST(OidcPkceTest, RandomValuesAreUrlSafeUnpaddedAndDistinct) {
  const std::string a = RandomUrlSafe(32), b = RandomUrlSafe(32);
  EXPECT_EQ(a.size(), 43u);  // RFC 7636's shortest verifier
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(OidcUrlTest, PlainHttpOnlyToLoopbackAndNoUserInfo) {
  EXPECT_TRUE(ParseHttpUrl("https://idp.example.org/realms/x/token", "f").ok());
  EXPECT_TRUE(ParseHttpUrl("http://127.0.0.1:8081/token", "f").ok());
  EXPECT_TRUE(ParseHttpUrl("http://[::1]:8081/token", "f").ok());
  auto plain = ParseHttpUrl("http://idp.example.org/token", "sign_in.oidc.token_endpoint");
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plain.status().message(), HasSubstr("sign_in.oidc.token_endpoint"));
  EXPECT_FALSE(ParseHttpUrl("https://user:pw@idp.example.org/token", "f").ok());
  EXPECT_FALSE(ParseHttpUrl("https://idp.example.org:99999/token", "f").ok());
  EXPECT_FALSE(ParseHttpUrl("ftp://idp.example.org/token", "f").ok());
  auto u = *ParseHttpUrl("https://idp.example.org:8443/realms/x/token?a=b", "f");
  EXPECT_EQ(u.host, "idp.example.org");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/realms/x/token?a=b");
}

TEST_F(GatewayOidcSignInTest, StartRedirectsWithAnS256ChallengeOfTheVerifierInALaxFlowCookie) {
  auto r = client_->Get("/api/v1/auth/oidc/start");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 302);
  const std::string set = SetCookie(r, kOidcFlowCookie);
  EXPECT_THAT(set, HasSubstr("HttpOnly"));
  EXPECT_THAT(set, HasSubstr("Secure"));
  EXPECT_THAT(set, HasSubstr("SameSite=Lax"));
  EXPECT_THAT(set, HasSubstr("Path=/api/v1/auth/oidc"));
  const std::vector<std::string> flow =
      absl::StrSplit(CookieValue(CookiePair(set), kOidcFlowCookie), '.');
  ASSERT_EQ(flow.size(), 2u);
  const std::string location = r->get_header_value("Location");
  auto q = *ParseQuery(location.substr(location.find('?') + 1));
  auto param = [&q](const std::string& k) { return q.find(k)->second; };
  EXPECT_EQ(param("response_type"), "code");
  EXPECT_EQ(param("client_id"), "firegrid console");
  EXPECT_EQ(param("redirect_uri"), "http://127.0.0.1/api/v1/auth/oidc/callback");
  EXPECT_EQ(param("scope"), "openid profile");
  EXPECT_EQ(param("state"), flow[0]);
  EXPECT_EQ(param("code_challenge_method"), "S256");
  EXPECT_EQ(param("code_challenge"), PkceChallenge(flow[1]));
  EXPECT_THAT(location, Not(HasSubstr(flow[1])));  // the verifier never leaves the gateway
}

TEST_F(GatewayOidcSignInTest, CallbackRedeemsTheCodeWithTheVerifierAndHandsTheTokenOverOnce) {
  Flow f = StartFlow();
  auto r = Callback(absl::StrCat("code=code-1&state=", f.params["state"]), f.cookie);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 302);
  EXPECT_EQ(r->get_header_value("Location"), "/#/signin?oidc=done");
  const std::string refresh = SetCookie(r, kRefreshCookie);
  EXPECT_THAT(refresh, StartsWith("fg_refresh=provider-refresh-1;"));
  EXPECT_THAT(refresh, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(refresh, HasSubstr("Max-Age=1800"));
  const std::string access = SetCookie(r, kOidcAccessCookie);
  EXPECT_THAT(access, HasSubstr("HttpOnly"));
  EXPECT_THAT(access, HasSubstr("SameSite=Strict"));
  auto req = provider_.requests();
  ASSERT_EQ(req.size(), 1u);
  auto p = [&](const char* k) { return req[0].find(k)->second; };
  EXPECT_EQ(p("grant_type"), "authorization_code");
  EXPECT_EQ(p("client_id"), "firegrid console");
  EXPECT_EQ(p("redirect_uri"), "http://127.0.0.1/api/v1/auth/oidc/callback");

  auto s = Post("/api/v1/auth/oidc/session", CookiePair(access));
  ASSERT_TRUE(s);
  ASSERT_EQ(s->status, 200) << s->body;
  auto j = nlohmann::json::parse(s->body);
  EXPECT_EQ(j["user"]["subject"], "oidc-user-1");
  EXPECT_EQ(j["user"]["role"], "community_worker");
  EXPECT_THAT(SetCookie(s, kOidcAccessCookie), HasSubstr("Max-Age=0"));
  // A second hand-over without the cookie the browser just dropped has nothing to give.
  EXPECT_EQ(Post("/api/v1/auth/oidc/session", "")->status, 401);
}

TEST_F(GatewayOidcSignInTest, CallbackWithAnotherStateIsRefusedBeforeTheProviderIsCalled) {
  Flow f = StartFlow();
  auto r = Callback("code=code-1&state=forged", f.cookie);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Location"), "/#/signin?oidc=state");
  EXPECT_THAT(SetCookie(r, kOidcAccessCookie), IsEmpty());
  auto no_cookie = Callback(absl::StrCat("code=code-1&state=", f.params["state"]), "");
  EXPECT_EQ(no_cookie->get_header_value("Location"), "/#/signin?oidc=state");
  EXPECT_THAT(provider_.requests(), IsEmpty());
}

TEST_F(GatewayOidcSignInTest, ProviderErrorAndRefusedCodeEndOnTheSignInPage) {
  Flow f = StartFlow();
  auto denied = Callback("error=access_denied&state=x", f.cookie);
  EXPECT_EQ(denied->get_header_value("Location"), "/#/signin?oidc=denied");
  auto wrong = Callback(absl::StrCat("code=not-issued&state=", f.params["state"]), f.cookie);
  EXPECT_EQ(wrong->get_header_value("Location"), "/#/signin?oidc=exchange");
  EXPECT_THAT(SetCookie(wrong, kRefreshCookie), IsEmpty());
}

TEST_F(GatewayOidcSignInTest, AnAccessTokenTheGatewayCannotVerifyIsNotHandedOver) {
  provider_.IssueAccessToken(SignedBy(kOtherKey, "oidc-user-1"));
  Flow f = StartFlow();
  auto r = Callback(absl::StrCat("code=code-1&state=", f.params["state"]), f.cookie);
  EXPECT_EQ(r->get_header_value("Location"), "/#/signin?oidc=token");
  EXPECT_THAT(SetCookie(r, kOidcAccessCookie), IsEmpty());
  EXPECT_THAT(SetCookie(r, kRefreshCookie), IsEmpty());
}

TEST_F(GatewayOidcSignInTest, RefreshUsesTheProvidersGrantAndKeepsTheRotatedTokenInTheCookie) {
  Flow f = StartFlow();
  auto cb = Callback(absl::StrCat("code=code-1&state=", f.params["state"]), f.cookie);
  const std::string first = CookiePair(SetCookie(cb, kRefreshCookie));
  auto r = Post("/api/v1/auth/refresh", first);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["user"]["subject"], "oidc-user-1");
  EXPECT_THAT(SetCookie(r, kRefreshCookie), StartsWith("fg_refresh=provider-refresh-2;"));
  // The provider rotated it: the first one is refused, and the browser drops it.
  auto again = Post("/api/v1/auth/refresh", first);
  EXPECT_EQ(again->status, 401);
  EXPECT_THAT(SetCookie(again, kRefreshCookie), HasSubstr("Max-Age=0"));
}

TEST_F(GatewayOidcSignInTest, CookieEndpointsNeedTheCsrfHeaderAndBuiltInSignInIsOff) {
  EXPECT_EQ(Post("/api/v1/auth/refresh", "fg_refresh=x", /*csrf=*/false)->status, 403);
  EXPECT_EQ(Post("/api/v1/auth/oidc/session", "fg_oidc_access=x", /*csrf=*/false)->status, 403);
  EXPECT_EQ(Post("/api/v1/auth/sign-in", "")->status, 404);
  EXPECT_THAT(provider_.requests(), IsEmpty());
}

TEST_F(GatewayOidcSignInTest, SignOutClearsTheRefreshCookieAndNamesTheEndSessionEndpoint) {
  auto r = Post("/api/v1/auth/sign-out", "fg_refresh=provider-refresh-1");
  ASSERT_EQ(r->status, 200);
  EXPECT_THAT(SetCookie(r, kRefreshCookie), HasSubstr("Max-Age=0"));
  EXPECT_EQ(nlohmann::json::parse(r->body)["endSessionEndpoint"],
            absl::StrCat("http://127.0.0.1:", provider_.port(), "/logout"));
}

}  // namespace
}  // namespace firegrid::gateway
