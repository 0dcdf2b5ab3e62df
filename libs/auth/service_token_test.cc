#include "libs/auth/service_token.h"

#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace firegrid::auth {
namespace {

constexpr char kKey[] = "service-token-test-key-of-32-bytes-or-more";

class ServiceTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    verifier_ = *TokenVerifier::Create({.hs256_key = kKey});
    signer_ = *TokenSigner::Hs256(kKey);
  }

  std::string Signed(const std::string& subject, absl::Duration ttl) {
    Principal p;
    p.subject = subject;
    p.role = Role::kInternalService;
    return *signer_->Sign(p, clock_.Now(), ttl);
  }

  void WriteFile(const std::string& text) {
    std::ofstream out(path_, std::ios::trunc);
    out << text << "\n";
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<TokenVerifier> verifier_;
  std::unique_ptr<TokenSigner> signer_;
  testing::TempDir dir_;
  std::string path_ = dir_.Join("token");
};

TEST_F(ServiceTokenTest, AMintedTokenVerifiesAsTheServicePrincipal) {
  auto t = ServiceToken::Create({.service_name = "monitoring", .hs256_key = kKey}, &clock_);
  ASSERT_TRUE(t.ok()) << t.status();
  auto token = (*t)->Current();
  ASSERT_TRUE(token.ok());
  auto p = verifier_->Verify(*token, clock_.Now());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "service:monitoring");
  EXPECT_EQ(p->role, Role::kInternalService);
  EXPECT_EQ(p->expiry, clock_.Now() + absl::Minutes(10));
}

TEST_F(ServiceTokenTest, AMintedTokenCarriesTheGivenRoleSubjectAndTierPath) {
  auto t = ServiceToken::Create({.hs256_key = kKey,
                                 .role = Role::kPublicChannel,
                                 .subject = "channel:wechat",
                                 .tier_path = "500109"},
                                &clock_);
  ASSERT_TRUE(t.ok()) << t.status();
  auto p = verifier_->Verify(*(*t)->Current(), clock_.Now());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "channel:wechat");
  EXPECT_EQ(p->role, Role::kPublicChannel);
  EXPECT_EQ(p->tier_path, "500109");
}

TEST_F(ServiceTokenTest, AnUnspecifiedRoleIsInvalidArgument) {
  auto t = ServiceToken::Create(
      {.service_name = "gateway", .hs256_key = kKey, .role = Role::kUnspecified}, &clock_);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServiceTokenTest, AMintedTokenIsKeptUntilHalfItsLifetimeThenRenewed) {
  auto t = *ServiceToken::Create({.service_name = "monitoring", .hs256_key = kKey}, &clock_);
  std::string first = *t->Current();
  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(*t->Current(), first);
  clock_.Advance(absl::Seconds(1));
  std::string second = *t->Current();
  EXPECT_NE(second, first);
  auto p = verifier_->Verify(second, clock_.Now());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->expiry, clock_.Now() + absl::Minutes(10));
  // The renewed token is still good well past the first one's expiry.
  clock_.Advance(absl::Minutes(4));
  EXPECT_EQ(*t->Current(), second);
  EXPECT_TRUE(verifier_->Verify(second, clock_.Now()).ok());
}

TEST_F(ServiceTokenTest, AFileTokenIsReadAgainWhenTheFileChanges) {
  std::string a = Signed("service:monitoring", absl::Hours(1));
  WriteFile(a);
  auto t = ServiceToken::Create({.service_name = "monitoring", .token_file = path_}, &clock_);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*(*t)->Current(), a);
  std::string b = Signed("service:monitoring-rotated", absl::Hours(2));
  WriteFile(b);
  EXPECT_EQ(*(*t)->Current(), b);
}

TEST_F(ServiceTokenTest, AnExpiredFileTokenIsUnavailableUntilTheFileIsRefreshed) {
  WriteFile(Signed("service:monitoring", absl::Minutes(1)));
  auto t = *ServiceToken::Create({.service_name = "monitoring", .token_file = path_}, &clock_);
  clock_.Advance(absl::Minutes(1));
  auto expired = t->Current();
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnavailable);
  std::string fresh = Signed("service:monitoring-refreshed", absl::Hours(1));
  WriteFile(fresh);
  auto now = t->Current();
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, fresh);
}

TEST_F(ServiceTokenTest, AFileThatBecomesInvalidKeepsTheLastGoodTokenUntilItExpires) {
  std::string a = Signed("service:monitoring", absl::Minutes(10));
  WriteFile(a);
  auto t = *ServiceToken::Create({.service_name = "monitoring", .token_file = path_}, &clock_);
  WriteFile("half-written");
  EXPECT_EQ(*t->Current(), a);
  clock_.Advance(absl::Minutes(10));
  EXPECT_FALSE(t->Current().ok());
}

TEST_F(ServiceTokenTest, AFileWithoutAJwtWithExpIsRefusedAtStart) {
  WriteFile("not-a-token");
  EXPECT_EQ(
      ServiceToken::Create({.service_name = "m", .token_file = path_}, &clock_).status().code(),
      absl::StatusCode::kInvalidArgument);
  std::string no_exp = absl::StrCat(absl::WebSafeBase64Escape("{\"alg\":\"HS256\"}"), ".",
                                    absl::WebSafeBase64Escape("{\"sub\":\"service:m\"}"), ".sig");
  WriteFile(no_exp);
  EXPECT_EQ(
      ServiceToken::Create({.service_name = "m", .token_file = path_}, &clock_).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      ServiceToken::Create({.service_name = "m", .token_file = dir_.Join("missing")}, &clock_)
          .ok());
}

TEST_F(ServiceTokenTest, NeitherAFileNorAKeyIsInvalidArgument) {
  auto t = ServiceToken::Create({.service_name = "monitoring"}, &clock_);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("--service-token-file"), std::string::npos);
}

TEST_F(ServiceTokenTest, ConcurrentCallersAlwaysGetAValidToken) {
  auto t = *ServiceToken::Create({.service_name = "monitoring", .hs256_key = kKey}, &clock_);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 200; ++k) {
        auto token = t->Current();
        if (!token.ok() || !verifier_->Verify(*token, clock_.Now()).ok()) ++bad;
      }
    });
  }
  for (int k = 0; k < 50; ++k) clock_.Advance(absl::Seconds(7));
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace firegrid::auth
