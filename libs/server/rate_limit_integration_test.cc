// The per-principal rate limit shared through Redis (shared_rate_limit.h), against a real
// redis-server: the GCRA script on its own, then two Runtimes ("replicas") sharing one Redis
// and answering real gRPC calls.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "libs/redis/pool.h"
#include "libs/server/retry_info.h"
#include "libs/server/runtime.h"
#include "libs/server/shared_rate_limit.h"
#include "tests/support/ports.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace firegrid::server {
namespace {

using ::testing::HasSubstr;

class SharedRateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    redis::PoolOptions o;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &o).ok());
    pool_ = redis::Pool::Create(o);
  }

  // A "replica": its own limiter object on the same Redis.
  std::unique_ptr<RedisRateLimiter> Replica(double rate, double burst, Clock* clock) {
    return std::make_unique<RedisRateLimiter>(
        pool_.get(), RedisRateLimiterOptions{.key_prefix = "fg:test:ratelimit",
                                             .rate_per_second = rate,
                                             .burst = burst,
                                             .clock = clock});
  }

  // Script runs Redis made since the last CONFIG RESETSTAT (INFO commandstats).
  int64_t ScriptRuns() {
    auto r = pool_->Command({"INFO", "commandstats"});
    if (!r.ok()) return -1;
    int64_t runs = 0;
    for (const char* name : {"cmdstat_evalsha:calls=", "cmdstat_eval:calls="}) {
      const size_t at = r->str.find(name);
      if (at != std::string::npos) runs += std::atoll(r->str.c_str() + at + std::strlen(name));
    }
    return runs;
  }

  // Of `n` requests of `key` to `limiter`, how many were allowed.
  static int Allowed(RedisRateLimiter* limiter, const std::string& key, int n) {
    int allowed = 0;
    for (int i = 0; i < n; ++i) allowed += limiter->Take(key).allowed ? 1 : 0;
    return allowed;
  }

  testing::RedisServer redis_;
  std::unique_ptr<redis::Pool> pool_;
  FakeClock clock_;
};

TEST_F(SharedRateLimitTest, TwoReplicasShareOnePrincipalsBudget) {
  auto a = Replica(/*rate=*/1, /*burst=*/4, &clock_);
  auto b = Replica(1, 4, &clock_);
  EXPECT_TRUE(a->Take("u-1").allowed);
  EXPECT_TRUE(b->Take("u-1").allowed);
  EXPECT_TRUE(a->Take("u-1").allowed);
  EXPECT_TRUE(b->Take("u-1").allowed);
  // Four calls spent the burst of four, whichever replica took them.
  EXPECT_FALSE(a->Take("u-1").allowed);
  EXPECT_FALSE(b->Take("u-1").allowed);
  EXPECT_EQ(a->store_failures() + b->store_failures(), 0);
}

TEST_F(SharedRateLimitTest, PrincipalsHaveBudgetsOfTheirOwn) {
  auto a = Replica(1, 2, &clock_);
  auto b = Replica(1, 2, &clock_);
  EXPECT_TRUE(a->Take("u-1").allowed);
  EXPECT_TRUE(b->Take("u-1").allowed);
  EXPECT_FALSE(a->Take("u-1").allowed);
  EXPECT_TRUE(a->Take("u-2").allowed);
  EXPECT_TRUE(b->Take("u-2").allowed);
  EXPECT_FALSE(b->Take("u-2").allowed);
}

TEST_F(SharedRateLimitTest, TheBudgetRefillsAtTheRateAsTimeAdvances) {
  auto a = Replica(/*rate=*/2, /*burst=*/2, &clock_);
  auto b = Replica(2, 2, &clock_);
  EXPECT_TRUE(a->Take("u-1").allowed);
  EXPECT_TRUE(b->Take("u-1").allowed);
  EXPECT_FALSE(a->Take("u-1").allowed);
  clock_.Advance(absl::Milliseconds(500));  // one request back
  EXPECT_TRUE(b->Take("u-1").allowed);
  EXPECT_FALSE(a->Take("u-1").allowed);
  clock_.Advance(absl::Minutes(5));  // back to the burst, not beyond
  EXPECT_TRUE(a->Take("u-1").allowed);
  EXPECT_TRUE(b->Take("u-1").allowed);
  EXPECT_FALSE(a->Take("u-1").allowed);
}

TEST_F(SharedRateLimitTest, ARefusalSaysHowLongUntilTheNextRequestIsAllowed) {
  // One request per 10 s: the key's expiry (the time to refill, in Redis's real time) stays far
  // beyond any stall of the test between its calls, while the fake clock moves the budget.
  auto a = Replica(/*rate=*/0.1, /*burst=*/1, &clock_);
  auto b = Replica(0.1, 1, &clock_);
  EXPECT_TRUE(a->Take("u-1").allowed);
  auth::LimitDecision d = b->Take("u-1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Seconds(10));
  clock_.Advance(absl::Seconds(4));
  d = a->Take("u-1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Seconds(6));
  // A refused request charges nothing: after the delay the next one passes.
  clock_.Advance(d.retry_after);
  EXPECT_TRUE(b->Take("u-1").allowed);
}

TEST_F(SharedRateLimitTest, AClockThatStepsBackSpendsTheBudgetAtWorstNeverLocksItForTheStep) {
  auto a = Replica(/*rate=*/1, /*burst=*/2, &clock_);
  EXPECT_TRUE(a->Take("u-1").allowed);
  clock_.Advance(-absl::Hours(24));
  // The stored state is a day ahead: clamped to a spent budget, one second from the next call.
  auth::LimitDecision d = a->Take("u-1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(a->Take("u-1").allowed);
}

TEST_F(SharedRateLimitTest, KeysExpireOnceTheirBudgetIsFullAgain) {
  auto a = Replica(/*rate=*/10, /*burst=*/5, &clock_);
  EXPECT_TRUE(a->Take("u-1").allowed);
  absl::StatusOr<redis::Reply> ttl = pool_->Command({"PTTL", "fg:test:ratelimit:u-1"});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  // One request at 10/s is refilled in 100 ms; the key lives about that long.
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 101);
}

TEST_F(SharedRateLimitTest, WithRedisTimeTheBudgetRefillsInRealTime) {
  auto a = Replica(/*rate=*/20, /*burst=*/1, /*clock=*/nullptr);
  auto b = Replica(20, 1, nullptr);
  EXPECT_TRUE(a->Take("u-1").allowed);
  auth::LimitDecision d = b->Take("u-1");
  ASSERT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after, absl::ZeroDuration());
  EXPECT_LE(d.retry_after, absl::Milliseconds(50));
  // Redis's clock moves on: within a generous bound the next request passes.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool allowed = false;
  while (!allowed && absl::Now() < deadline) {
    allowed = b->Take("u-1").allowed;
    if (!allowed) absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(allowed);
  EXPECT_EQ(a->store_failures() + b->store_failures(), 0);
}

TEST_F(SharedRateLimitTest, ABusyPrincipalIsChargedInLeasesWithinTheSharedBudget) {
  // 100/s (one request per 10 ms), burst 20; holds of 50 ms (the default).
  auto a = Replica(/*rate=*/100, /*burst=*/20, &clock_);
  auto b = Replica(100, 20, &clock_);
  ASSERT_TRUE(b->Take("loads-the-script").allowed);  // a first run may also load it
  ASSERT_TRUE(pool_->Command({"CONFIG", "RESETSTAT"}).ok());
  // A principal new to this replica: one script run per request.
  EXPECT_EQ(Allowed(a.get(), "u-1", 10), 10);
  EXPECT_EQ(ScriptRuns(), 10);
  // The next hold: a's first request asks for as many as the last hold had (10), and the nine
  // after it spend the lease without a script run.
  clock_.Advance(absl::Milliseconds(50));  // 5 requests' budget back: 15 left
  EXPECT_EQ(Allowed(a.get(), "u-1", 10), 10);
  EXPECT_EQ(ScriptRuns(), 11);
  // The budget is shared: replica b finds what a's lease left, 5, and no more.
  EXPECT_EQ(Allowed(b.get(), "u-1", 6), 5);
  // a's lease is spent and so is the budget: refused, with the time until the next request.
  auth::LimitDecision d = a->Take("u-1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Milliseconds(10));
  EXPECT_EQ(a->store_failures() + b->store_failures(), 0);
}

TEST_F(SharedRateLimitTest, TokensLeftWhenTheHoldEndsAreDroppedNotSpentLater) {
  auto a = Replica(/*rate=*/100, /*burst=*/40, &clock_);
  EXPECT_EQ(Allowed(a.get(), "u-1", 8), 8);
  clock_.Advance(absl::Milliseconds(50));
  EXPECT_TRUE(a->Take("u-1").allowed);  // a lease of 8: 7 held
  ASSERT_TRUE(pool_->Command({"CONFIG", "RESETSTAT"}).ok());
  clock_.Advance(absl::Milliseconds(50));  // the hold ends
  EXPECT_TRUE(a->Take("u-1").allowed);
  EXPECT_EQ(ScriptRuns(), 1);  // asked Redis again, although 7 tokens were left
  // The dropped tokens stay charged: 8 + 8 + 1 of the 40 (+ 10 refilled) are spent.
  auto b = Replica(100, 40, &clock_);
  EXPECT_EQ(Allowed(b.get(), "u-1", 40), 50 - 17);
}

TEST_F(SharedRateLimitTest, WithLeasesOffEveryRequestRunsTheScript) {
  auto a = std::make_unique<RedisRateLimiter>(
      pool_.get(), RedisRateLimiterOptions{.key_prefix = "fg:test:ratelimit",
                                           .rate_per_second = 100,
                                           .burst = 40,
                                           .clock = &clock_,
                                           .max_lease = 1});
  EXPECT_EQ(Allowed(a.get(), "u-1", 8), 8);
  clock_.Advance(absl::Milliseconds(50));
  ASSERT_TRUE(pool_->Command({"CONFIG", "RESETSTAT"}).ok());
  EXPECT_EQ(Allowed(a.get(), "u-1", 8), 8);
  EXPECT_EQ(ScriptRuns(), 8);
}

TEST_F(SharedRateLimitTest, AnUnreachableStoreFallsBackToTheReplicasOwnBucketAndCountsIt) {
  redis::PoolOptions o;
  o.port = testing::FreeTcpPort();  // nothing listens there
  std::unique_ptr<redis::Pool> dead = redis::Pool::Create(o);
  RedisRateLimiter a(
      dead.get(),
      RedisRateLimiterOptions{
          .key_prefix = "fg:test:ratelimit", .rate_per_second = 1, .burst = 2, .clock = &clock_});
  // Calls are still answered, and still limited: by this replica alone.
  EXPECT_TRUE(a.Take("u-1").allowed);
  EXPECT_TRUE(a.Take("u-1").allowed);
  auth::LimitDecision d = a.Take("u-1");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, absl::Seconds(1));
  EXPECT_EQ(a.store_failures(), 3);
}

// ---- Two Runtimes on one Redis, called over gRPC ----

constexpr char kMethod[] = "/firegrid.test.v1.Limited/Call";

// A service without generated code whose one method authenticates through the runtime. Its
// messages are protobuf's (the audit interceptor reads every request as a message).
class LimitedService final : public grpc::Service {
 public:
  explicit LimitedService(const auth::Authenticator* authenticator)
      : authenticator_(authenticator) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kMethod, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<LimitedService, google::protobuf::Empty,
                                             google::protobuf::StringValue>(
            [](LimitedService* self, grpc::ServerContext* ctx, const google::protobuf::Empty*,
               google::protobuf::StringValue* resp) {
              absl::StatusOr<auth::Principal> who = self->authenticator_->Authenticate(*ctx);
              if (!who.ok()) return ToGrpcStatus(who.status());
              resp->set_value(who->subject);
              return grpc::Status::OK;
            },
            this)));
  }

 private:
  const auth::Authenticator* authenticator_;
};

class TwoReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    key_file_ = dir_.path() + "/jwt.key";
    std::ofstream(key_file_) << "rate-limit-test-key-with-at-least-32-bytes\n";
    for (int i = 0; i < 2; ++i) {
      RuntimeConfig c = Config();
      auto rt = Runtime::Create("limited", c, "fg:limited");
      ASSERT_TRUE(rt.ok()) << rt.status();
      services_.push_back(std::make_unique<LimitedService>(&(*rt)->authenticator()));
      (*rt)->host().AddService(services_.back().get());
      ASSERT_TRUE((*rt)->host().Start().ok());
      channels_.push_back(grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*rt)->host().grpc_port()),
                                              grpc::InsecureChannelCredentials()));
      runtimes_.push_back(*std::move(rt));
    }
  }
  void TearDown() override {
    for (auto& rt : runtimes_) {
      rt->host().Shutdown();
      rt->host().Wait();
    }
  }

  RuntimeConfig Config() {
    RuntimeConfig c;
    ConfigBinder b("test");
    BindRuntimeConfig(b, &c, 0, 0);
    const std::vector<std::string> args = {
        "--grpc-address=127.0.0.1:0", "--metrics-address=127.0.0.1:0",
        "--kafka-bootstrap=127.0.0.1:1", "--jwt-hs256-key-file=" + key_file_, "--jwt-allow-hs256",
        "--redis-addr=" + redis_.address(),
        // A burst of 3, then one request a second (the slowest rate the flag allows; the
        // calls below take milliseconds).
        "--rate-limit=1", "--rate-limit-burst=3"};
    EXPECT_TRUE(b.Parse(args, {}).ok());
    return c;
  }

  std::string Token(const std::string& service) {
    auto token = NewServiceToken(Config(), service, "", RealClock::Get());
    EXPECT_TRUE(token.ok()) << token.status();
    auto current = (*token)->Current();
    EXPECT_TRUE(current.ok()) << current.status();
    return *current;
  }

  grpc::Status Call(int replica, const std::string& token, grpc::ClientContext* ctx) {
    grpc::GenericStub stub(channels_[replica]);
    auth::AttachToken(ctx, token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice empty("");
    grpc::ByteBuffer req(&empty, 1);
    grpc::ByteBuffer resp;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(ctx, kMethod, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    return status;
  }

  // No fsync per write: a disk stall of the busy test machine must not exceed the limiter's
  // store timeout (250 ms) and send a call to the per-replica fallback.
  testing::RedisServer redis_{testing::RedisServerOptions{.appendfsync = "everysec"}};
  testing::TempDir dir_{"rate-limit-test"};
  std::string key_file_;
  std::vector<std::unique_ptr<LimitedService>> services_;
  std::vector<std::unique_ptr<Runtime>> runtimes_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

TEST_F(TwoReplicasTest, CallsBeyondTheSharedBudgetAreRefusedWithTheRetryDelay) {
  const std::string alice = Token("alice");
  const absl::Time burst_start = absl::Now();
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    grpc::Status s = Call(i % 2, alice, &ctx);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  // The burst of three is spent across both replicas: each refuses the fourth.
  for (int replica = 0; replica < 2; ++replica) {
    grpc::ClientContext ctx;
    grpc::Status s = Call(replica, alice, &ctx);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << replica;
    EXPECT_THAT(s.error_message(), HasSubstr("rate limit of this principal exceeded"));
    std::optional<absl::Duration> delay = RetryDelayOf(s);
    ASSERT_TRUE(delay.has_value()) << "no google.rpc.RetryInfo in the status details";
    // One request a second: the budget's first token comes back a second after the burst's
    // first call, less what the calls since took (a few ms, more on a busy machine); the
    // answer is in whole milliseconds.
    EXPECT_GE(*delay, absl::Seconds(1) - (absl::Now() - burst_start) - absl::Milliseconds(1));
    EXPECT_LE(*delay, absl::Seconds(1));
    auto it = ctx.GetServerTrailingMetadata().find(auth::kRetryPushbackKey);
    ASSERT_NE(it, ctx.GetServerTrailingMetadata().end());
    EXPECT_EQ(std::string(it->second.data(), it->second.size()),
              absl::StrCat(absl::ToInt64Milliseconds(*delay)));
    const std::string metrics = runtimes_[replica]->host().metrics().Render();
    EXPECT_THAT(metrics, HasSubstr(absl::StrCat("firegrid_grpc_rate_limited_total{method=\"",
                                                kMethod, "\"} 1")));
    EXPECT_THAT(metrics, HasSubstr("firegrid_rate_limit_store_failures_total 0"));
  }
  // Another principal has a budget of its own.
  grpc::ClientContext ctx;
  EXPECT_TRUE(Call(1, Token("bob"), &ctx).ok());
}

}  // namespace
}  // namespace firegrid::server
