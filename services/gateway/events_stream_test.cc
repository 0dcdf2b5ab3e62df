#include "services/gateway/events_stream.h"

#include <dirent.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "services/gateway/fake_notify.h"
#include "services/gateway/http_server.h"
#include "services/gateway/test_support.h"

namespace firegrid::gateway {
namespace {

using testing::Connect;
using testing::Eventually;
using testing::FakeGrpcServer;
using testing::FakeNotify;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadUntil;
using testing::SendAll;
using testing::WaitClosed;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-test-key";
constexpr char kOrg[] = "org:500109001002";

// The process's threads by name (/proc/self/task/*/comm).
std::map<std::string, int> Threads() {
  std::map<std::string, int> names;
  DIR* d = ::opendir("/proc/self/task");
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(absl::StrCat("/proc/self/task/", e->d_name, "/comm"));
    std::string n;
    std::getline(in, n);
    ++names[n];
  }
  ::closedir(d);
  return names;
}

std::string Describe(const std::map<std::string, int>& threads) {
  std::string out;
  for (auto& [n, c] : threads) absl::StrAppend(&out, n, "=", c, " ");
  return out;
}

// The value of the last "id: " line in `text`.
std::string LastId(const std::string& text) {
  size_t at = text.rfind("\nid: ");
  if (at == std::string::npos) return "";
  at += 5;
  return text.substr(at, text.find('\n', at) - at);
}

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth::VerifierOptions vo;
    vo.hs256_key = kKey;
    verifier_ = *auth::TokenVerifier::Create(vo);
    auto signer = *auth::TokenSigner::Hs256(kKey);
    auth::Principal p;
    p.subject = "user:worker.001002";
    p.role = auth::Role::kCommunityWorker;
    p.org_unit = "500109001002";
    p.tier_path = "500109001002";
    token_ = *signer->Sign(p, absl::Now(), absl::Minutes(15));
    gate_ = std::make_unique<BearerGate>(verifier_.get(), RealClock::Get(), nullptr);
  }
  void StartGateway(EventsOptions eo = {}) {
    events_ = std::make_unique<EventsHandler>(gate_.get(), grpc_.Channel(), eo);
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, &metrics_);
    server_->AddRoute("events", "/api/v1/events", events_.get());
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    events_.reset();
  }
  // Opens a stream; returns the socket.
  int Open(const std::string& last_event_id = "", const std::string& token = "") {
    int fd = Connect(server_->port());
    std::string req =
        absl::StrCat("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
                     token.empty() ? token_ : token, "\r\n");
    if (!last_event_id.empty()) absl::StrAppend(&req, "Last-Event-ID: ", last_event_id, "\r\n");
    absl::StrAppend(&req, "\r\n");
    SendAll(fd, req);
    return fd;
  }

  FakeNotify notify_;
  FakeGrpcServer grpc_{{&notify_}};
  server::MetricsRegistry metrics_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<BearerGate> gate_;
  std::unique_ptr<EventsHandler> events_;
  std::unique_ptr<HttpServer> server_;
  std::string token_;
};

TEST(EventIdTest, RoundTripsCursorMapsWithReservedCharacters) {
  std::map<std::string, std::string> m = {{"org:500109001002", "01J=a,b"},
                                          {"person:user:w 1", "x%y"}};
  const std::string id = FormatEventId(m);
  EXPECT_THAT(id, Not(HasSubstr(":")));
  EXPECT_EQ(id.find(','), id.rfind(','));  // one separator for two pairs
  EXPECT_EQ(*ParseEventId(id), m);
  EXPECT_TRUE(ParseEventId("")->empty());
}

TEST(EventIdTest, MalformedIdsNameLastEventId) {
  for (const char* bad : {"nocursor", "=x", "a=", "a=%zz", "a=b,,c=d"}) {
    auto r = ParseEventId(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("Last-Event-ID")) << bad;
  }
}

TEST_F(EventsTest, ReplayCaughtUpThenLiveNotificationsWithCursorIdsAndTheTokenForwarded) {
  StartGateway();
  notify_.Push(kOrg, "first");
  int fd = Open();
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "event: caught_up"));
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(got, HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(got, HasSubstr("event: notification\ndata: {"));
  EXPECT_THAT(got, HasSubstr("\"title\":\"first\""));
  EXPECT_THAT(got, HasSubstr("id: org%3A500109001002=00000001\n"));
  notify_.Push(kOrg, "second");
  ASSERT_TRUE(ReadUntil(fd, &got, "\"title\":\"second\""));
  EXPECT_EQ(LastId(got), "org%3A500109001002=00000002");
  EXPECT_EQ(notify_.tokens().back(), token_);
  EXPECT_EQ(server_->open_streams(), 1);
  EXPECT_THAT(metrics_.Render(), HasSubstr("firegrid_gateway_sse_streams_open 1"));
  ::close(fd);
}

TEST_F(EventsTest, LastEventIdResumesAfterWhatWasSeen) {
  StartGateway();
  notify_.Push(kOrg, "one");
  notify_.Push(kOrg, "two");
  int fd = Open();
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "event: caught_up"));
  const size_t first_end = got.find("\"title\":\"one\"");
  ASSERT_NE(first_end, std::string::npos);
  const std::string seen_id = LastId(got.substr(0, first_end));
  EXPECT_EQ(seen_id, "org%3A500109001002=00000001");
  ::close(fd);

  int again = Open(seen_id);
  std::string resumed;
  ASSERT_TRUE(ReadUntil(again, &resumed, "event: caught_up"));
  EXPECT_THAT(resumed, Not(HasSubstr("\"title\":\"one\"")));
  EXPECT_THAT(resumed, HasSubstr("\"title\":\"two\""));
  EXPECT_EQ(notify_.requests().back().cursors().at(kOrg), "00000001");
  ::close(again);
}

TEST_F(EventsTest, MissingTokenAndMalformedLastEventIdAreRefusedBeforeNotify) {
  StartGateway();
  int fd = Connect(server_->port());
  SendAll(fd, "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "}"));
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 401"));
  ::close(fd);
  int bad = Open("garbage");
  std::string b;
  ASSERT_TRUE(ReadUntil(bad, &b, "}"));
  EXPECT_THAT(b, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(b, HasSubstr("Last-Event-ID"));
  ::close(bad);
  EXPECT_TRUE(notify_.requests().empty());
}

TEST_F(EventsTest, NotifyRefusingTheSubscriptionIsAnHttpError) {
  StartGateway();
  notify_.FailWith(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many streams"));
  int fd = Open();
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "}"));
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 429"));
  EXPECT_THAT(got, HasSubstr("too many streams"));
  ::close(fd);
}

TEST_F(EventsTest, TheClientLeavingCancelsTheSubscription) {
  StartGateway();
  int fd = Open();
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "event: caught_up"));
  ASSERT_TRUE(Eventually([&] { return notify_.open() == 1; }));
  ::close(fd);
  EXPECT_TRUE(Eventually([&] { return notify_.open() == 0; }));
  EXPECT_TRUE(Eventually([&] { return events_->open_calls() == 0; }));
  EXPECT_TRUE(Eventually([&] { return server_->open_streams() == 0; }));
}

TEST_F(EventsTest, NotifyEndingTheStreamClosesTheConnection) {
  StartGateway();
  int fd = Open();
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "event: caught_up"));
  ASSERT_TRUE(Eventually([&] { return notify_.open() == 1; }));
  notify_.EndAll();
  EXPECT_TRUE(WaitClosed(fd, &got, absl::Seconds(10)));
  EXPECT_TRUE(Eventually([&] { return server_->open_streams() == 0; }));
  ::close(fd);
}

TEST_F(EventsTest, AnIdleStreamGetsHeartbeatComments) {
  EventsOptions eo;
  eo.heartbeat = absl::Milliseconds(50);
  StartGateway(eo);
  int fd = Open();
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "event: caught_up"));
  EXPECT_TRUE(ReadUntil(fd, &got, ": heartbeat\n\n"));
  ::close(fd);
}

// Tens of thousands of idle SSE clients must not cost a thread each: 2,000 open streams leave
// the process's threads as they were with a few open (the fake notify is callback-based too).
TEST_F(EventsTest, TwoThousandIdleStreamsHoldNoThreadEach) {
  StartGateway();
  std::vector<int> warm;
  for (int i = 0; i < 20; ++i) {
    warm.push_back(Open());
    std::string got;
    ASSERT_TRUE(ReadUntil(warm.back(), &got, "event: caught_up"));
  }
  std::map<std::string, int> before = Threads();
  // In rounds of 200 (a burst beyond the worker queue would be answered 503, as it should).
  std::vector<int> fds;
  for (int round = 0; round < 10; ++round) {
    const size_t first = fds.size();
    for (int i = 0; i < 200; ++i) {
      int fd = Open();
      ASSERT_GE(fd, 0) << fds.size();
      fds.push_back(fd);
    }
    for (size_t i = first; i < fds.size(); ++i) {
      std::string got;
      ASSERT_TRUE(ReadUntil(fds[i], &got, "event: caught_up", absl::Seconds(30))) << i << got;
    }
  }
  EXPECT_EQ(server_->open_streams(), 2020);
  EXPECT_EQ(events_->open_calls(), 2020);
  std::map<std::string, int> after = Threads();
  // gRPC's own executor and timer pools may add a thread or two under load (bounded by gRPC's
  // configuration, whatever the number of streams); every other thread (the gateway's network
  // threads and workers, gRPC's pollers) stays as it was.
  int grpc_growth = 0;
  for (const std::string pool : {"grpc_global_tim", "default-executo"}) {
    grpc_growth += after[pool] - before[pool];
    after.erase(pool);
    before.erase(pool);
  }
  EXPECT_LE(grpc_growth, 4);
  EXPECT_EQ(after, before) << "before: " << Describe(before) << "after: " << Describe(after);
  for (int fd : fds) ::close(fd);
  for (int fd : warm) ::close(fd);
  EXPECT_TRUE(Eventually([&] { return server_->open_streams() == 0; }, absl::Seconds(30)));
  EXPECT_TRUE(Eventually([&] { return notify_.open() == 0; }, absl::Seconds(30)));
}

}  // namespace
}  // namespace firegrid::gateway
