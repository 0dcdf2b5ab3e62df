#include "services/gateway/http_server.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "services/gateway/test_support.h"

namespace firegrid::gateway {
namespace {

using testing::Connect;
using testing::Eventually;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadUntil;
using testing::SendAll;
using testing::WaitClosed;

// Answers with the request's method, path and body; counts its calls.
class EchoHandler : public Handler {
 public:
  explicit EchoHandler(std::string tag = "echo") : tag_(std::move(tag)) {}
  HttpResponse Handle(const HttpRequest& r) override {
    ++calls;
    last_client_address = r.client_address;
    return HttpResponse::Make(200, "text/plain",
                              absl::StrCat(tag_, " ", r.method, " ", r.path, " ", r.body));
  }
  std::atomic<int> calls{0};
  std::string last_client_address;

 private:
  std::string tag_;
};

class GatewayHttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions o = {}) {
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<HttpServer>(o, &metrics_);
    server_->AddRoute("api", "/api/", &api_);
    server_->AddRoute("files", "/", &files_);
    server_->AddRoute("big", "/api/big", &api_, 4 * 1024 * 1024);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  server::MetricsRegistry metrics_;
  EchoHandler api_{"api"};
  EchoHandler files_{"files"};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

void ExpectSecurityHeaders(const httplib::Result& r) {
  EXPECT_EQ(r->get_header_value("Content-Security-Policy"),
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(r->get_header_value("X-Request-Id").size(), 32u);
}

TEST_F(GatewayHttpServerTest, EveryResponseCarriesSecurityHeadersAndARequestId) {
  StartServer();
  auto ok = client_->Get("/index.html");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "files GET /index.html ");
  ExpectSecurityHeaders(ok);
  auto refused = client_->Get("/api/x?access_token=abc");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  ExpectSecurityHeaders(refused);
}

TEST_F(GatewayHttpServerTest, TileOriginJoinsImgSrcOfThePolicy) {
  EXPECT_THAT(ContentSecurityPolicy({"https://tiles.example.org"}),
              HasSubstr("img-src 'self' data: blob: https://tiles.example.org;"));
}

TEST_F(GatewayHttpServerTest, AValidRequestIdIsEchoedAnInvalidOneReplaced) {
  StartServer();
  auto given = client_->Get("/a", {{"X-Request-Id", "abc-123_x.y"}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->get_header_value("X-Request-Id"), "abc-123_x.y");
  auto bad = client_->Get("/a", {{"X-Request-Id", "no spaces <allowed>"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->get_header_value("X-Request-Id").size(), 32u);
}

TEST_F(GatewayHttpServerTest, TokenInTheUrlIsRefusedBeforeAnyHandler) {
  StartServer();
  auto r = client_->Get("/api/v1/x?a=1&access_token=eyJhbGciOi");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("\"code\":\"INVALID_ARGUMENT\""));
  EXPECT_THAT(r->body, HasSubstr("access_token"));
  EXPECT_EQ(api_.calls.load(), 0);
}

TEST_F(GatewayHttpServerTest, LongestPrefixRouteWinsAndPathsArePercentDecoded) {
  StartServer();
  auto api = client_->Post("/api/v1/some%20thing", "x", "text/plain");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->body, "api POST /api/v1/some thing x");
  auto file = client_->Get("/apifoo");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->body, "files GET /apifoo ");
  EXPECT_EQ(api_.last_client_address, "127.0.0.1");
}

TEST_F(GatewayHttpServerTest, PreflightIsAnsweredForConfiguredOriginsOnly) {
  HttpServerOptions o;
  o.allowed_origins = {"https://ops.example.org"};
  StartServer(o);
  auto ok = client_->Options("/api/v1/x", {{"Origin", "https://ops.example.org"},
                                           {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204);
  EXPECT_EQ(ok->get_header_value("Access-Control-Allow-Origin"), "https://ops.example.org");
  EXPECT_THAT(ok->get_header_value("Access-Control-Allow-Headers"), HasSubstr("Authorization"));
  EXPECT_FALSE(ok->has_header("Access-Control-Allow-Credentials"));
  auto other = client_->Options("/api/v1/x", {{"Origin", "https://evil.example.com"},
                                              {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(api_.calls.load(), 0);
}

TEST_F(GatewayHttpServerTest, CorsHeadersOnlyForConfiguredOriginsAndForeignPostsRefused) {
  HttpServerOptions o;
  o.allowed_origins = {"https://ops.example.org"};
  StartServer(o);
  auto allowed =
      client_->Post("/api/v1/x", {{"Origin", "https://ops.example.org"}}, "b", "text/plain");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "https://ops.example.org");
  auto foreign_get = client_->Get("/x", {{"Origin", "https://evil.example.com"}});
  ASSERT_TRUE(foreign_get);
  EXPECT_EQ(foreign_get->status, 200);
  EXPECT_FALSE(foreign_get->has_header("Access-Control-Allow-Origin"));
  auto foreign_post =
      client_->Post("/api/v1/x", {{"Origin", "https://evil.example.com"}}, "b", "text/plain");
  ASSERT_TRUE(foreign_post);
  EXPECT_EQ(foreign_post->status, 403);
  const int before = api_.calls.load();
  auto same_origin =
      client_->Post("/api/v1/x", {{"Origin", absl::StrCat("http://127.0.0.1:", server_->port())}},
                    "b", "text/plain");
  ASSERT_TRUE(same_origin);
  EXPECT_EQ(same_origin->status, 200);
  EXPECT_EQ(api_.calls.load(), before + 1);
}

TEST_F(GatewayHttpServerTest, BodyOverTheRouteLimitIs413AndABiggerRouteTakesIt) {
  HttpServerOptions o;
  o.body_limit = 1024;
  StartServer(o);
  auto big = client_->Post("/api/v1/x", std::string(2048, 'a'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto fits = client_->Post("/api/big", std::string(2048, 'a'), "text/plain");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

TEST_F(GatewayHttpServerTest, HeadersOverTheLimitAre431) {
  StartServer();
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, absl::StrCat("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(20000, 'a'),
                           "\r\n\r\n"));
  std::string got;
  ReadUntil(fd, &got, "\r\n\r\n");
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 431"));
  ::close(fd);
}

TEST_F(GatewayHttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  EXPECT_TRUE(ReadUntil(fd, &got, "files GET /two"));
  EXPECT_THAT(got, HasSubstr("files GET /one"));
  ::close(fd);
}

TEST_F(GatewayHttpServerTest, ASilentConnectionIsClosedAfterTheReadTimeout) {
  HttpServerOptions o;
  o.read_timeout = absl::Milliseconds(200);
  StartServer(o);
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n");  // never finished
  std::string got;
  EXPECT_TRUE(WaitClosed(fd, &got, absl::Seconds(10)));
  ::close(fd);
}

// Blocks every call until released.
class BlockingHandler : public Handler {
 public:
  HttpResponse Handle(const HttpRequest&) override {
    ++entered;
    release.WaitForNotification();
    return HttpResponse::Make(200, "text/plain", "done");
  }
  std::atomic<int> entered{0};
  absl::Notification release;
};

TEST_F(GatewayHttpServerTest, AFullWorkerQueueAnswers503) {
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.worker_threads = 1;
  o.worker_queue = 1;
  BlockingHandler blocking;
  HttpServer server(o, nullptr);
  server.AddRoute("block", "/", &blocking);
  ASSERT_TRUE(server.Start().ok());
  int first = Connect(server.port()), second = Connect(server.port()),
      third = Connect(server.port());
  SendAll(first, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(Eventually([&] { return blocking.entered.load() == 1; }));
  SendAll(second, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(Eventually([&] { return server.worker_queue_depth() == 1; }));
  SendAll(third, "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  EXPECT_TRUE(ReadUntil(third, &got, "\r\n\r\n"));
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 503"));
  blocking.release.Notify();
  std::string a, b;
  EXPECT_TRUE(ReadUntil(first, &a, "done"));
  EXPECT_TRUE(ReadUntil(second, &b, "done"));
  for (int fd : {first, second, third}) ::close(fd);
}

// A request that waited in the queue longer than max_queue_wait (on the injected clock) is
// answered 503 with Retry-After, and its handler never runs; one that waited less runs.
TEST_F(GatewayHttpServerTest, ARequestThatWaitedTooLongForAWorkerIs503AndNotRun) {
  FakeClock clock;
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.worker_threads = 1;
  o.worker_queue = 4;
  o.max_queue_wait = absl::Seconds(1);
  o.clock = &clock;
  BlockingHandler blocking;
  HttpServer server(o, nullptr);
  server.AddRoute("block", "/", &blocking);
  ASSERT_TRUE(server.Start().ok());
  int first = Connect(server.port()), stale = Connect(server.port()),
      fresh = Connect(server.port());
  SendAll(first, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(Eventually([&] { return blocking.entered.load() == 1; }));
  SendAll(stale, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(Eventually([&] { return server.worker_queue_depth() == 1; }));
  clock.Advance(absl::Milliseconds(1001));
  SendAll(fresh, "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(Eventually([&] { return server.worker_queue_depth() == 2; }));
  blocking.release.Notify();
  std::string a, b, c;
  EXPECT_TRUE(ReadUntil(first, &a, "done"));
  EXPECT_TRUE(ReadUntil(stale, &b, "waited too long"));
  EXPECT_THAT(b, HasSubstr("HTTP/1.1 503"));
  EXPECT_THAT(b, HasSubstr("Retry-After: 1"));
  EXPECT_TRUE(ReadUntil(fresh, &c, "done"));
  EXPECT_THAT(c, HasSubstr("HTTP/1.1 200"));
  EXPECT_EQ(blocking.entered.load(), 2);  // the first and the fresh one; the stale one never ran
  for (int fd : {first, stale, fresh}) ::close(fd);
}

// A stream that writes what the test tells it, and records its cancellation.
class TestStream : public ResponseStream {
 public:
  void Start(std::shared_ptr<StreamWriter> writer) override {
    writer->Write("data: hello\n\n");
    absl::MutexLock lock(&mu);
    this->writer = std::move(writer);
  }
  void Cancel() override { cancelled = true; }
  absl::Mutex mu;
  std::shared_ptr<StreamWriter> writer;
  std::atomic<bool> cancelled{false};
};

class StreamHandler : public Handler {
 public:
  HttpResponse Handle(const HttpRequest&) override {
    HttpResponse r = HttpResponse::Make(200, "text/event-stream", "");
    r.stream = stream;
    r.keepalive_interval = absl::Milliseconds(50);
    r.keepalive_chunk = ": heartbeat\n\n";
    return r;
  }
  std::shared_ptr<TestStream> stream = std::make_shared<TestStream>();
};

TEST_F(GatewayHttpServerTest, StreamedResponseWritesChunksHeartbeatsAndEndsWhenTheClientGoes) {
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  StreamHandler handler;
  HttpServer server(o, &metrics_);
  server.AddRoute("events", "/events", &handler);
  ASSERT_TRUE(server.Start().ok());
  int fd = Connect(server.port());
  SendAll(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "data: hello\n\n"));
  EXPECT_THAT(got, HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(got, HasSubstr("X-Content-Type-Options: nosniff"));
  EXPECT_THAT(got, Not(HasSubstr("Content-Length")));
  ASSERT_TRUE(ReadUntil(fd, &got, ": heartbeat\n\n"));
  EXPECT_EQ(server.open_streams(), 1);
  EXPECT_THAT(metrics_.Render(), HasSubstr("firegrid_gateway_sse_streams_open 1"));
  {
    absl::MutexLock lock(&handler.stream->mu);
    handler.stream->writer->Write("data: second\n\n");
  }
  ASSERT_TRUE(ReadUntil(fd, &got, "data: second\n\n"));
  ::close(fd);
  EXPECT_TRUE(Eventually([&] { return handler.stream->cancelled.load(); }));
  EXPECT_TRUE(Eventually([&] { return server.open_streams() == 0; }));
}

TEST_F(GatewayHttpServerTest, AFinishedStreamClosesTheConnection) {
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  StreamHandler handler;
  HttpServer server(o, nullptr);
  server.AddRoute("events", "/events", &handler);
  ASSERT_TRUE(server.Start().ok());
  int fd = Connect(server.port());
  SendAll(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, &got, "data: hello\n\n"));
  {
    absl::MutexLock lock(&handler.stream->mu);
    handler.stream->writer->Write("data: last\n\n");
    handler.stream->writer->Finish();
  }
  EXPECT_TRUE(WaitClosed(fd, &got, absl::Seconds(10)));
  EXPECT_THAT(got, HasSubstr("data: last\n\n"));
  ::close(fd);
}

TEST_F(GatewayHttpServerTest, MetricsCountRequestsByRouteAndCode) {
  StartServer();
  ASSERT_TRUE(client_->Get("/x"));
  ASSERT_TRUE(client_->Get("/api/y?access_token=1"));
  const std::string m = metrics_.Render();
  EXPECT_THAT(m, HasSubstr("firegrid_gateway_http_requests_total{code=\"200\",route=\"files\"} 1"));
  EXPECT_THAT(m, HasSubstr("firegrid_gateway_http_requests_total{code=\"400\",route=\"api\"} 1"));
}

}  // namespace
}  // namespace firegrid::gateway

namespace firegrid::gateway {
namespace {

// Remembers the client address of the last request.
class AddressHandler : public Handler {
 public:
  HttpResponse Handle(const HttpRequest& r) override {
    return HttpResponse::Make(200, "text/plain", r.client_address);
  }
};

std::string AddressSeen(const std::vector<std::string>& trusted, const std::string& xff) {
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.trusted_proxies = trusted;
  AddressHandler h;
  HttpServer server(o, nullptr);
  server.AddRoute("a", "/", &h);
  if (!server.Start().ok()) return "(not started)";
  httplib::Client c("127.0.0.1", server.port());
  httplib::Headers headers;
  if (!xff.empty()) headers.emplace("X-Forwarded-For", xff);
  auto r = c.Get("/", headers);
  return r ? r->body : "(no answer)";
}

TEST(GatewayClientAddressTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  EXPECT_EQ(AddressSeen({}, "203.0.113.9"), "127.0.0.1");
  EXPECT_EQ(AddressSeen({"10.0.0.0/8"}, "203.0.113.9"), "127.0.0.1");
  EXPECT_EQ(AddressSeen({"127.0.0.0/8"}, "198.51.100.1, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(AddressSeen({"127.0.0.1"}, "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(AddressSeen({"127.0.0.1"}, "not-an-address"), "127.0.0.1");
}

TEST(GatewayClientAddressTest, AMalformedTrustedProxyIsRefusedAtStart) {
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.trusted_proxies = {"10.0.0.0/33"};
  HttpServer server(o, nullptr);
  absl::Status s = server.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("10.0.0.0/33"));
}

}  // namespace
}  // namespace firegrid::gateway
