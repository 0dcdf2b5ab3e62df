#include "services/gateway/gateway_config.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace firegrid::gateway {
namespace {

using ::testing::HasSubstr;

config::v1::GatewayConfig Parse(const std::string& text) {
  config::v1::GatewayConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

TEST(GatewayConfigTest, TheShippedConfigLoads) {
  auto c = LoadGatewayConfig(FIREGRID_GATEWAY_CONFIG);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->sign_in().has_built_in());
  EXPECT_TRUE(c->allowed_origins().empty());
}

TEST(GatewayConfigTest, OriginsMustBeSchemeHostAndPortOnly) {
  EXPECT_TRUE(
      ValidateGatewayConfig(Parse(R"(allowed_origins: "https://ops.example.org:8443")")).ok());
  for (const char* bad : {"*", "https://ops.example.org/", "ops.example.org",
                          "https://ops.example.org/path", "ftp://x.org", "https://"}) {
    absl::Status s = ValidateGatewayConfig(Parse(absl::StrCat(
        "allowed_origins: \"https://ok.example.org\" allowed_origins: \"", bad, "\"")));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("allowed_origins[1]")) << bad;
  }
}

TEST(GatewayConfigTest, OidcNeedsIssuerClientAndHttpsEndpoints) {
  absl::Status s = ValidateGatewayConfig(Parse(R"(sign_in { oidc { issuer: "https://idp" } })"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("sign_in.oidc.client_id"));
  s = ValidateGatewayConfig(Parse(R"(sign_in { oidc { issuer: "https://idp" client_id: "c"
      authorization_endpoint: "http://idp/auth" token_endpoint: "https://idp/token" } })"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("sign_in.oidc.authorization_endpoint"));
}

TEST(GatewayConfigTest, OidcRedirectUriMustBeTheGatewaysCallback) {
  const std::string base = R"(sign_in { oidc { issuer: "https://idp" client_id: "c"
      authorization_endpoint: "https://idp/auth" token_endpoint: "https://idp/token" )";
  absl::Status s = ValidateGatewayConfig(Parse(base + "} }"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("sign_in.oidc.redirect_uri"));
  s = ValidateGatewayConfig(
      Parse(base + R"(redirect_uri: "https://firegrid.example/elsewhere" } })"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("sign_in.oidc.redirect_uri"));
  EXPECT_TRUE(
      ValidateGatewayConfig(
          Parse(base + R"(redirect_uri: "https://firegrid.example/api/v1/auth/oidc/callback" } })"))
          .ok());
}

TEST(GatewayConfigTest, AMissingOrMalformedFileIsRefused) {
  EXPECT_THAT(std::string(LoadGatewayConfig("/nonexistent/gateway.textproto").status().message()),
              HasSubstr("--config-file"));
}

}  // namespace
}  // namespace firegrid::gateway
