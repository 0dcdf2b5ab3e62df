// The store contract against a real redis-server (and the in-memory store the unit tests use,
// so that the two cannot drift apart), and the sign-in flow on Redis.
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/accounts/totp.h"
#include "services/accounts/memory_store.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"
#include "services/accounts/test_keys.h"
#include "tests/support/shared_redis.h"

namespace firegrid::accounts {
namespace {

std::atomic<int> next_prefix{0};

class StoreContractTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      pool_ = firegrid::testing::NewSharedRedisPool();
      store_ =
          std::make_unique<RedisStore>(pool_.get(), absl::StrCat("test:accounts:", next_prefix++));
    } else {
      store_ = std::make_unique<MemoryStore>();
    }
  }

  Account NewAccount(const std::string& name) {
    Account a;
    a.user.set_username(name);
    a.user.set_role("community_worker");
    a.user.set_version(1);
    a.password_hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA";
    a.totp_secret = std::string("\x00\x01\xff", 3);
    a.totp_last_step = 42;
    return a;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContractTest, AccountsRoundTripWithVersionsAndListInNameOrder) {
  ASSERT_TRUE(store_->CreateAccount(NewAccount("b.user")).ok());
  ASSERT_TRUE(store_->CreateAccount(NewAccount("a.user")).ok());
  EXPECT_EQ(store_->CreateAccount(NewAccount("a.user")).code(), absl::StatusCode::kAlreadyExists);
  auto got = store_->GetAccount("a.user");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->totp_secret, std::string("\x00\x01\xff", 3));
  EXPECT_EQ((*got)->totp_last_step, 42);
  EXPECT_FALSE(store_->GetAccount("c.user")->has_value());

  Account next = **got;
  next.user.set_version(2);
  next.user.set_display_name("A");
  EXPECT_EQ(store_->PutAccount(next, 5).code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(store_->PutAccount(next, 1).ok());
  EXPECT_EQ(store_->PutAccount(next, 1).code(), absl::StatusCode::kAborted);
  EXPECT_EQ((*store_->GetAccount("a.user"))->user.display_name(), "A");
  Account missing = NewAccount("z.user");
  EXPECT_EQ(store_->PutAccount(missing, 1).code(), absl::StatusCode::kNotFound);

  auto listed = store_->ListAccounts("", 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].user.username(), "a.user");
  auto after = store_->ListAccounts("a.user", 10);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].user.username(), "b.user");
}

TEST_P(StoreContractTest, ThrottlesChangeOnlyFromWhatWasRead) {
  Throttle one{.failures_ms = {1000}};
  ASSERT_TRUE(store_->PutThrottle("u", std::nullopt, one).ok());
  EXPECT_EQ(store_->PutThrottle("u", std::nullopt, one).code(), absl::StatusCode::kAborted);
  Throttle two{.failures_ms = {1000, 2000}};
  ASSERT_TRUE(store_->PutThrottle("u", one, two).ok());
  EXPECT_EQ(store_->PutThrottle("u", one, two).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(**store_->GetThrottle("u"), two);
}

TEST_P(StoreContractTest, ARefreshTokenRotatesOnce) {
  const absl::Time expires = absl::Now() + absl::Hours(1);
  RefreshRecord r{.username = "u", .family = "fam_1", .generation = 3, .expires = expires};
  ASSERT_TRUE(store_->AddRefresh("h1", r).ok());
  ASSERT_TRUE(store_->RotateRefresh("h1", "h2", r).ok());
  EXPECT_EQ(store_->RotateRefresh("h1", "h3", r).code(), absl::StatusCode::kAborted);
  auto used = store_->GetRefresh("h1");
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_TRUE((*used)->used);
  EXPECT_EQ((*used)->generation, 3);
  EXPECT_EQ(absl::ToUnixMillis((*used)->expires), absl::ToUnixMillis(expires));
  EXPECT_FALSE((*store_->GetRefresh("h2"))->used);
  EXPECT_FALSE(store_->GetRefresh("h3")->has_value());
  ASSERT_TRUE(store_->MarkRefreshUsed("h2").ok());
  EXPECT_TRUE((*store_->GetRefresh("h2"))->used);
  EXPECT_FALSE(*store_->FamilyRevoked("fam_1"));
  ASSERT_TRUE(store_->RevokeFamily("fam_1", expires).ok());
  EXPECT_TRUE(*store_->FamilyRevoked("fam_1"));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Redis" : "Memory";
                         });

TEST(AccountsOnRedis, SignInWithTotpAndRefreshReuseDetection) {
  auto pool = firegrid::testing::NewSharedRedisPool();
  RedisStore store(pool.get(), absl::StrCat("test:accounts:", next_prefix++));
  auto key = *SigningKey::FromPem(testing::TestRsaPrivatePem());
  FakeClock clock(absl::Now());
  RandomIdGenerator ids;
  AccountsOptions o;
  o.password_params = {.memory_kib = 64, .passes = 1};
  auto api = *AccountsApi::Create(&store, key.get(), &clock, &ids, o);
  const auth::Principal loader{.subject = "service:loader", .role = auth::Role::kInternalService};
  v1::CreateUserRequest c;
  c.set_username("street.001");
  c.set_display_name("Street office");
  c.set_role("street_officer");
  c.set_org_unit("500109001");
  c.set_initial_password("initial-password-1");
  c.set_require_totp(true);
  ASSERT_TRUE(api->CreateUser(loader, c).ok());

  v1::SignInRequest si;
  si.set_username("street.001");
  si.set_password("initial-password-1");
  auto first = api->SignIn(si, "ipv4:127.0.0.1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto self = *api->enrolment_verifier().Verify(first->enrolment_token(), clock.Now());
  v1::ChangePasswordRequest cp;
  cp.set_current_password("initial-password-1");
  cp.set_new_password("a-better-password-2");
  ASSERT_TRUE(api->ChangePassword(self, cp).ok());
  auto enrolment = api->BeginTotpEnrolment(self, {});
  ASSERT_TRUE(enrolment.ok());
  const std::string secret = *Base32Decode(enrolment->secret_base32());
  v1::ConfirmTotpEnrolmentRequest confirm;
  confirm.set_totp_code(Hotp(secret, TotpStep(clock.Now())));
  ASSERT_TRUE(api->ConfirmTotpEnrolment(self, confirm).ok());

  clock.Advance(absl::Seconds(30));
  si.set_password("a-better-password-2");
  si.set_totp_code(Hotp(secret, TotpStep(clock.Now())));
  auto signed_in = api->SignIn(si, "ipv4:127.0.0.1");
  ASSERT_TRUE(signed_in.ok()) << signed_in.status();
  ASSERT_NE(signed_in->access_token(), "");
  EXPECT_EQ(api->SignIn(si, "ipv4:127.0.0.1").status().code(),
            absl::StatusCode::kUnauthenticated);  // the same code again

  v1::RefreshRequest r;
  r.set_refresh_token(signed_in->refresh_token());
  auto rotated = api->Refresh(r, "ipv4:127.0.0.1");
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(api->Refresh(r, "ipv4:127.0.0.1").status().code(), absl::StatusCode::kUnauthenticated);
  r.set_refresh_token(rotated->refresh_token());
  EXPECT_EQ(api->Refresh(r, "ipv4:127.0.0.1").status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace firegrid::accounts
