// The notify gRPC service in process (127.0.0.1, port 0) against a real redis-server: the caps
// on live Subscribe streams.
#include <memory>
#include <string>
#include <vector>

#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/events/envelope.h"
#include "services/notify/grpc_service.h"
#include "services/notify/recipients.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

constexpr char kKey[] = "notify-test-key-of-at-least-32-bytes!!";

// Polls `condition` every few ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class NotifyGrpcTest : public ::testing::Test {
 protected:
  void Start(SubscribeOptions options = {}) {
    static int n = 0;
    prefix_ = "ng" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool(16);
    inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, inbox_options_);
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    signer_ = *auth::TokenSigner::Hs256(kKey);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), &clock_);
    options.poll = absl::Milliseconds(50);
    service_ = std::make_unique<NotifyGrpcService>(inbox_.get(), pool_.get(), nullptr, nullptr,
                                                   authenticator_.get(), options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::NotifyService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                           grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (service_) service_->Close();
    if (server_) server_->Shutdown();
  }

  std::string Token(const std::string& subject, auth::Role role = auth::Role::kCommunityWorker,
                    const std::string& tier = "500109001002") {
    auth::Principal p;
    p.subject = subject;
    p.role = role;
    p.tier_path = tier;
    return *signer_->Sign(p, clock_.Now(), absl::Hours(1));
  }

  // A Subscribe stream; open() when the server sent caught_up (it holds a slot then).
  struct Stream {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader;
    bool open = false;
    grpc::Status Finish() { return reader->Finish(); }
  };
  Stream Subscribe(const std::string& token) {
    Stream s;
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auth::AttachToken(s.ctx.get(), token);
    v1::SubscribeRequest req;
    s.reader = stub_->Subscribe(s.ctx.get(), req);
    v1::SubscribeResponse resp;
    while (s.reader->Read(&resp)) {
      if (resp.caught_up()) {
        s.open = true;
        break;
      }
    }
    return s;
  }

  FakeClock clock_{absl::Now()};
  RandomIdGenerator ids_;
  InboxOptions inbox_options_;
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<NotifyGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::NotifyService::Stub> stub_;
};

TEST_F(NotifyGrpcTest, SubscribeBeyondThePerPrincipalCapIsResourceExhaustedUntilAStreamEnds) {
  SubscribeOptions o;
  o.limits = {.per_principal = 2, .per_replica = 10};
  Start(o);
  const std::string cw1 = Token("cw-1");
  Stream a = Subscribe(cw1);
  Stream b = Subscribe(cw1);
  ASSERT_TRUE(a.open);
  ASSERT_TRUE(b.open);
  Stream c = Subscribe(cw1);
  EXPECT_FALSE(c.open);
  const grpc::Status refused = c.Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("per user"));
  // Another principal is not affected.
  Stream other = Subscribe(Token("cw-2"));
  EXPECT_TRUE(other.open);
  EXPECT_EQ(service_->open_streams(), 3);

  // A stream that ends gives its slot back.
  a.ctx->TryCancel();
  a.Finish();
  ASSERT_TRUE(WaitUntil([&] { return service_->open_streams() == 2; }, absl::Seconds(10)));
  Stream d = Subscribe(cw1);
  EXPECT_TRUE(d.open);
  for (Stream* s : {&b, &other, &d}) {
    s->ctx->TryCancel();
    s->Finish();
  }
  EXPECT_TRUE(WaitUntil([&] { return service_->open_streams() == 0; }, absl::Seconds(10)));
}

TEST_F(NotifyGrpcTest, PushedNotificationCarriesTheTraceIdOfTheEventsRequest) {
  Start();
  hazards::v1::HazardReported reported;
  reported.mutable_hazard()->set_hazard_id("hzd_1");
  reported.mutable_hazard()->set_duplicate_of("hzd_0");
  reported.mutable_hazard()->mutable_reporter()->set_subject("cw-1");
  SequentialIdGenerator ids;
  const events::Envelope env =
      events::NewEnvelope(reported, "hazards", "bld_1", "500109001002", clock_.Now(), ids,
                          "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_FALSE(PlanNotifications(env).empty());
  ASSERT_TRUE(NotifyEvent(env, inbox_.get()).ok());  // as the consumer delivers it
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auth::AttachToken(&ctx, Token("cw-1"));
  auto reader = stub_->Subscribe(&ctx, v1::SubscribeRequest());
  v1::SubscribeResponse resp;
  std::vector<v1::Notification> got;
  while (reader->Read(&resp) && !resp.caught_up()) {
    if (resp.has_notification()) got.push_back(resp.notification());
  }
  ctx.TryCancel();
  reader->Finish();
  ASSERT_FALSE(got.empty());
  for (const auto& n : got) EXPECT_EQ(n.trace_id(), "0af7651916cd43dd8448eb211c80319c");
}

TEST_F(NotifyGrpcTest, SubscribeBeyondThePerReplicaCapIsResourceExhaustedForEveryone) {
  SubscribeOptions o;
  o.limits = {.per_principal = 5, .per_replica = 2};
  Start(o);
  Stream a = Subscribe(Token("cw-1"));
  Stream b = Subscribe(Token("cw-2"));
  ASSERT_TRUE(a.open && b.open);
  Stream c = Subscribe(Token("cw-3"));
  EXPECT_FALSE(c.open);
  const grpc::Status refused = c.Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("replica"));
  for (Stream* s : {&a, &b}) {
    s->ctx->TryCancel();
    s->Finish();
  }
}

}  // namespace
}  // namespace firegrid::notify
