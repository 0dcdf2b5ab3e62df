// Subscribe on the fan-out hub, in process (127.0.0.1, port 0) against a real redis-server: two
// replicas sharing the inboxes (a notification written through one reaches a subscriber of the
// other), and many idle streams costing no thread and no Redis connection each.
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "services/notify/grpc_service.h"
#include "services/notify/recipients.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

constexpr char kKey[] = "notify-fanout-test-key-of-at-least-32-bytes!!";

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// Threads of this process (/proc/self/status).
int ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "Threads:")) {
      int n = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(8)), &n)) return n;
    }
  }
  return -1;
}

// One Subscribe call through the callback client API (no thread of its own either).
class ClientStream final : public grpc::ClientReadReactor<v1::SubscribeResponse> {
 public:
  ClientStream(v1::NotifyService::Stub* stub, const std::string& token,
               v1::SubscribeRequest request = {}, bool pause_after_caught_up = false)
      : request_(std::move(request)), pause_after_caught_up_(pause_after_caught_up) {
    auth::AttachToken(&ctx_, token);
    stub->async()->Subscribe(&ctx_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    {
      absl::MutexLock lock(&mu_);
      if (response_.caught_up()) caught_up_ = true;
      if (response_.has_notification()) notifications_.push_back(response_.notification());
      if (response_.caught_up() && pause_after_caught_up_ && !resumed_) {
        paused_ = true;
        return;  // reads nothing more until Resume()
      }
    }
    response_.Clear();
    StartRead(&response_);
  }
  // Reads on after a pause.
  void Resume() {
    {
      absl::MutexLock lock(&mu_);
      resumed_ = true;
      if (!paused_) return;
      paused_ = false;
    }
    response_.Clear();
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& s) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
    status_ = s;
  }
  bool caught_up() {
    absl::MutexLock lock(&mu_);
    return caught_up_;
  }
  std::vector<v1::Notification> notifications() {
    absl::MutexLock lock(&mu_);
    return notifications_;
  }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  void Cancel() { ctx_.TryCancel(); }

 private:
  grpc::ClientContext ctx_;
  v1::SubscribeRequest request_;
  const bool pause_after_caught_up_;
  v1::SubscribeResponse response_;
  absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool resumed_ ABSL_GUARDED_BY(mu_) = false;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Notification> notifications_ ABSL_GUARDED_BY(mu_);
};

class FanoutIntegrationTest : public ::testing::Test {
 protected:
  // One notify replica: its own pool, inbox, service and server over the shared keys.
  struct Replica {
    std::unique_ptr<redis::Pool> pool;
    std::unique_ptr<Inbox> inbox;
    std::unique_ptr<NotifyGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::NotifyService::Stub> stub;
    std::string address;
  };

  void SetUp() override {
    static int n = 0;
    prefix_ = "nf" + std::to_string(++n) + "_" + std::to_string(getpid());
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    signer_ = *auth::TokenSigner::Hs256(kKey);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), &clock_);
  }
  Replica& AddReplica(SubscribeOptions options = {}) {
    auto r = std::make_unique<Replica>();
    r->pool = testing::NewSharedRedisPool(8);
    r->inbox = std::make_unique<Inbox>(r->pool.get(), prefix_, &clock_, &ids_);
    options.poll = absl::Milliseconds(100);
    r->service = std::make_unique<NotifyGrpcService>(r->inbox.get(), r->pool.get(), nullptr,
                                                     nullptr, authenticator_.get(), options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(r->service.get());
    r->server = builder.BuildAndStart();
    EXPECT_NE(r->server, nullptr);
    r->address = "127.0.0.1:" + std::to_string(port);
    r->stub = v1::NotifyService::NewStub(
        grpc::CreateChannel(r->address, grpc::InsecureChannelCredentials()));
    EXPECT_TRUE(WaitUntil([&] { return r->service->hub().reading(); }, absl::Seconds(10)));
    replicas_.push_back(std::move(r));
    return *replicas_.back();
  }
  void TearDown() override {
    for (auto& s : streams_) s->Cancel();
    for (auto& s : streams_) EXPECT_TRUE(WaitUntil([&] { return s->done(); }, absl::Seconds(30)));
    for (auto& r : replicas_) {
      r->service->Close();
      r->server->Shutdown();
    }
  }
  std::string Token(const std::string& subject, const std::string& tier = "500109001002") {
    auth::Principal p;
    p.subject = subject;
    p.role = auth::Role::kCommunityWorker;
    p.tier_path = tier;
    return *signer_->Sign(p, clock_.Now(), absl::Hours(1));
  }
  ClientStream* Open(Replica& r, const std::string& token, v1::SubscribeRequest req = {}) {
    streams_.push_back(std::make_unique<ClientStream>(r.stub.get(), token, std::move(req)));
    return streams_.back().get();
  }
  v1::Notification Task(const std::string& title) {
    v1::Notification n;
    n.set_kind(v1::KIND_HAZARD_TASK);
    n.set_title(title);
    return n;
  }

  FakeClock clock_{absl::Now()};
  RandomIdGenerator ids_;
  std::string prefix_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<std::unique_ptr<ClientStream>> streams_;
};

TEST_F(FanoutIntegrationTest, NotificationWrittenThroughOneReplicaReachesASubscriberOfTheOther) {
  Replica& a = AddReplica();
  Replica& b = AddReplica();
  ClientStream* on_b = Open(b, Token("cw-1"));
  ClientStream* on_a = Open(a, Token("cw-2"));
  ASSERT_TRUE(WaitUntil([&] { return on_b->caught_up() && on_a->caught_up(); }, absl::Seconds(10)));
  const std::string org = OrgRecipient("500109001002");
  ASSERT_TRUE(a.inbox->Notify({org}, Task("via a"), "once-a").ok());
  ASSERT_TRUE(b.inbox->Notify({org}, Task("via b"), "once-b").ok());
  ASSERT_TRUE(WaitUntil(
      [&] { return on_b->notifications().size() == 2 && on_a->notifications().size() == 2; },
      absl::Seconds(10)));
  for (ClientStream* s : {on_a, on_b}) {
    EXPECT_EQ(s->notifications()[0].title(), "via a");
    EXPECT_EQ(s->notifications()[1].title(), "via b");
    EXPECT_EQ(s->notifications()[0].recipient(), org);
  }
}

TEST_F(FanoutIntegrationTest, ReplayAfterTheCursorThenLiveWithoutGapOrDuplicate) {
  Replica& a = AddReplica();
  const std::string org = OrgRecipient("500109001002");
  for (int i = 0; i < 450; ++i) {
    ASSERT_TRUE(a.inbox->Notify({org}, Task("old"), "old-" + std::to_string(i)).ok());
  }
  auto before = a.inbox->ReadAfter(org, "", 1000);
  ASSERT_TRUE(before.ok());
  v1::SubscribeRequest req;
  (*req.mutable_cursors())[org] = (*before)[9].cursor();
  ClientStream* s = Open(a, Token("cw-1"), req);
  for (int i = 0; i < 50; ++i) {  // while the replay runs
    ASSERT_TRUE(a.inbox->Notify({org}, Task("new"), "new-" + std::to_string(i)).ok());
  }
  auto all = a.inbox->ReadAfter(org, (*before)[9].cursor(), 1000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 490u);
  ASSERT_TRUE(WaitUntil([&] { return s->notifications().size() >= 490; }, absl::Seconds(20)))
      << s->notifications().size();
  absl::SleepFor(absl::Milliseconds(200));  // a duplicate would come right behind
  std::vector<std::string> got, want;
  for (const auto& n : s->notifications()) got.push_back(n.cursor());
  for (const auto& n : *all) want.push_back(n.cursor());
  EXPECT_EQ(got, want);
  EXPECT_TRUE(s->caught_up());
}

// A client that stops reading (on a connection with a 1 KiB HTTP/2 window) falls behind: its
// stream is ended ABORTED "fell behind ... resume from your cursor", which it reads once it reads
// again; a client reading on the same replica meanwhile gets every notification.
TEST_F(FanoutIntegrationTest, SlowClientIsEndedAbortedFellBehindWhileAFastOneGetsEverything) {
  SubscribeOptions o;
  o.max_buffer = 8;
  Replica& a = AddReplica(o);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto slow_stub = v1::NotifyService::NewStub(
      grpc::CreateCustomChannel(a.address, grpc::InsecureChannelCredentials(), args));
  streams_.push_back(std::make_unique<ClientStream>(slow_stub.get(), Token("cw-slow"),
                                                    v1::SubscribeRequest{},
                                                    /*pause_after_caught_up=*/true));
  ClientStream* slow = streams_.back().get();
  ClientStream* fast = Open(a, Token("cw-fast"));
  ASSERT_TRUE(WaitUntil([&] { return slow->caught_up() && fast->caught_up(); }, absl::Seconds(10)));
  const std::string org = OrgRecipient("500109001002");
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(a.inbox->Notify({org}, Task("burst"), "burst-" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return fast->notifications().size() == 300; }, absl::Seconds(20)))
      << fast->notifications().size();
  EXPECT_FALSE(fast->done());
  slow->Resume();
  ASSERT_TRUE(WaitUntil([&] { return slow->done(); }, absl::Seconds(20)));
  EXPECT_EQ(slow->status().error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(slow->status().error_message(), kFellBehindMessage);
  EXPECT_LT(slow->notifications().size(), 300u);
}

TEST_F(FanoutIntegrationTest, CursorOfAnotherInboxIsInvalidArgumentNamingCursors) {
  Replica& a = AddReplica();
  v1::SubscribeRequest req;
  (*req.mutable_cursors())["org:elsewhere"] = "1-0";
  ClientStream* s = Open(a, Token("cw-1"), req);
  ASSERT_TRUE(WaitUntil([&] { return s->done(); }, absl::Seconds(10)));
  EXPECT_EQ(s->status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s->status().error_message(), ::testing::HasSubstr("cursors"));
}

TEST_F(FanoutIntegrationTest, CloseEndsOpenStreamsWithOk) {
  Replica& a = AddReplica();
  ClientStream* s = Open(a, Token("cw-1"));
  ASSERT_TRUE(WaitUntil([&] { return s->caught_up(); }, absl::Seconds(10)));
  a.service->Close();
  ASSERT_TRUE(WaitUntil([&] { return s->done(); }, absl::Seconds(10)));
  EXPECT_TRUE(s->status().ok()) << s->status().error_message();
  EXPECT_TRUE(WaitUntil([&] { return a.service->open_streams() == 0; }, absl::Seconds(10)));
}

// The thread count and Redis's client count do not grow with the streams; a notification to
// their shared org inbox still reaches every one of them.
TEST_F(FanoutIntegrationTest, TwoThousandIdleStreamsAddNoThreadsAndNoRedisConnections) {
  constexpr int kStreams = 2000;
  SubscribeOptions o;
  o.limits = {.per_principal = 8, .per_replica = kStreams + 10};
  Replica& a = AddReplica(o);
  auto clients = [&]() -> int64_t {
    auto info = a.pool->Command({"INFO", "clients"});
    if (!info.ok()) return -1;
    for (absl::string_view line : absl::StrSplit(info->str, '\n')) {
      if (absl::ConsumePrefix(&line, "connected_clients:")) {
        int64_t n = 0;
        if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &n)) return n;
      }
    }
    return -1;
  };
  // Warm up: the first streams start gRPC's and the pool's threads and connections.
  for (int i = 0; i < 20; ++i) Open(a, Token("warm-" + std::to_string(i)));
  ASSERT_TRUE(WaitUntil([&] { return a.service->open_streams() == 20; }, absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (auto& s : streams_) {
          if (!s->caught_up()) return false;
        }
        return true;
      },
      absl::Seconds(10)));
  const int threads_before = ThreadCount();
  const int64_t clients_before = clients();
  ASSERT_GT(threads_before, 0);
  ASSERT_GT(clients_before, 0);

  for (int i = 0; i < kStreams - 20; ++i) Open(a, Token("cw-" + std::to_string(i)));
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (auto& s : streams_) {
          if (!s->caught_up()) return false;
        }
        return true;
      },
      absl::Seconds(60)));
  EXPECT_EQ(a.service->open_streams(), kStreams);
  const int threads_after = ThreadCount();
  const int64_t clients_after = clients();
  // Generous: gRPC's pools may add a few threads under load; a thread per stream would be 1980.
  EXPECT_LT(threads_after - threads_before, 50) << threads_before << " -> " << threads_after;
  EXPECT_LT(clients_after - clients_before, 10) << clients_before << " -> " << clients_after;

  ASSERT_TRUE(a.inbox->Notify({OrgRecipient("500109001002")}, Task("to all"), "all").ok());
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (auto& s : streams_) {
          if (s->notifications().size() != 1) return false;
        }
        return true;
      },
      absl::Seconds(30)));
}

}  // namespace
}  // namespace firegrid::notify
