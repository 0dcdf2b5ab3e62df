#include "libs/server/service_host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "grpc/support/cpu.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/logging.h"
#include "libs/common/trace.h"

namespace firegrid::server {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEchoService[] = "firegrid.test.v1.Echo";
constexpr char kEchoMethod[] = "/firegrid.test.v1.Echo/Echo";
constexpr char kStreamMethod[] = "/firegrid.test.v1.Echo/Stream";
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// Polls `cond` until it holds or `timeout` passes; the only place tests sleep.
bool WaitUntil(const std::function<bool()>& cond, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

grpc::ByteBuffer ToBuffer(const std::string& s) {
  grpc::Slice slice(s);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& bb) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!bb.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A sync service registered without generated code (a grpc::Service with a ByteBuffer
// handler, the way generated code does it). Request "fail:<code>" answers with that status
// code, "hold" blocks until released or cancelled, "shutdown" calls ServiceHost::Shutdown()
// from the handler; anything else is echoed.
class EchoService final : public grpc::Service {
 public:
  EchoService() {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kEchoMethod, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<EchoService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](EchoService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer* req,
               grpc::ByteBuffer* resp) { return self->Echo(ctx, *req, resp); },
            this)));
    AddMethod(new grpc::internal::RpcServiceMethod(
        kStreamMethod, grpc::internal::RpcMethod::SERVER_STREAMING,
        new grpc::internal::ServerStreamingHandler<EchoService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](EchoService*, grpc::ServerContext*, const grpc::ByteBuffer*,
               grpc::ServerWriter<grpc::ByteBuffer>* writer) {
              // The context current on the handler's thread, before and after each write.
              for (int i = 0; i < 3; ++i) writer->Write(ToBuffer(trace::CurrentTraceparent()));
              return grpc::Status::OK;
            },
            this)));
  }

  void set_host(ServiceHost* host) { host_ = host; }
  absl::Notification& held() { return held_; }
  absl::Notification& release() { return release_; }
  std::atomic<bool>& saw_cancellation() { return saw_cancellation_; }
  int calls() const { return calls_.load(); }  // of the Echo method

 private:
  grpc::Status Echo(grpc::ServerContext* ctx, const grpc::ByteBuffer& req, grpc::ByteBuffer* resp) {
    calls_.fetch_add(1);
    const std::string text = FromBuffer(req);
    int code = 0;
    if (text.rfind("fail:", 0) == 0 && absl::SimpleAtoi(text.substr(5), &code)) {
      return grpc::Status(static_cast<grpc::StatusCode>(code), "failing on request");
    }
    if (text == "hold") {
      held_.Notify();
      // Bounded: a test that forgets to release must not hang the suite.
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (!release_.HasBeenNotified() && absl::Now() < deadline) {
        if (ctx->IsCancelled()) {
          saw_cancellation_ = true;
          return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
        }
        release_.WaitForNotificationWithTimeout(absl::Milliseconds(5));
      }
    }
    if (text == "shutdown") host_->Shutdown();
    if (text == "trace") {  // the context current on the handler's thread
      log::Info("echoing the trace");
      *resp = ToBuffer(trace::CurrentTraceparent());
      return grpc::Status::OK;
    }
    *resp = ToBuffer(text);
    return grpc::Status::OK;
  }

  ServiceHost* host_ = nullptr;
  absl::Notification held_;
  absl::Notification release_;
  std::atomic<bool> saw_cancellation_{false};
  std::atomic<int> calls_{0};
};

// A service with one callback method, Hold, that blocks the gRPC thread running it (no read
// thread: the point is to occupy gRPC's callback threads) until released, at most 30 s.
class HoldService final : public grpc::Service {
 public:
  static constexpr char kHoldMethod[] = "/firegrid.test.v1.Hold/Hold";
  HoldService() {
    AddMethod(new grpc::internal::RpcServiceMethod(kHoldMethod,
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(0,
                       new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                           [this](grpc::CallbackServerContext* ctx, const grpc::ByteBuffer*,
                                  grpc::ByteBuffer* resp) {
                             ++holding_;
                             release_.WaitForNotificationWithTimeout(absl::Seconds(30));
                             *resp = ToBuffer("released");
                             grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
                             reactor->Finish(grpc::Status::OK);
                             return reactor;
                           }));
  }
  int holding() const { return holding_.load(); }
  void Release() { release_.Notify(); }

 private:
  std::atomic<int> holding_{0};
  absl::Notification release_;
};

// A bare HTTP/2 (h2c) client on a socket of its own, so that no gRPC client thread in this
// process polls while waiting (any thread waiting in gRPC may do the server's I/O). It sends
// unary gRPC calls with literal (unindexed, not Huffman-coded) headers and watches for answers.
class RawH2Client {
 public:
  explicit RawH2Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    out += Frame(4, 0, 0, "");  // SETTINGS, empty
    connected_ = connected_ && Send(out);
  }
  ~RawH2Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  // A unary call on `stream` (odd, increasing) with `message` as its request.
  bool Call(uint32_t stream, const std::string& path, const std::string& message) {
    std::string block;
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{":method", "POST"},
                                                          {":scheme", "http"},
                                                          {":path", path},
                                                          {":authority", "localhost"},
                                                          {"content-type", "application/grpc"},
                                                          {"te", "trailers"}}) {
      block += '\0';  // literal header field without indexing, new name
      block += static_cast<char>(name.size());
      block += name;
      block += static_cast<char>(value.size());
      block += value;
    }
    std::string body(1, '\0');  // not compressed
    const uint32_t len = static_cast<uint32_t>(message.size());
    for (int shift = 24; shift >= 0; shift -= 8) body += static_cast<char>((len >> shift) & 0xff);
    body += message;
    return Send(Frame(1, 0x4, stream, block) + Frame(0, 0x1, stream, body));  // END_HEADERS;
                                                                              // END_STREAM
  }

  // Whether the server answered on `stream` (a DATA frame, or HEADERS ending the stream) within
  // `timeout`.
  bool AnsweredWithin(uint32_t stream, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      while (in_.size() >= 9) {
        const size_t len = (static_cast<uint8_t>(in_[0]) << 16) |
                           (static_cast<uint8_t>(in_[1]) << 8) | static_cast<uint8_t>(in_[2]);
        if (in_.size() < 9 + len) break;
        const uint8_t type = static_cast<uint8_t>(in_[3]);
        const uint8_t flags = static_cast<uint8_t>(in_[4]);
        const uint32_t id = ((static_cast<uint8_t>(in_[5]) & 0x7f) << 24) |
                            (static_cast<uint8_t>(in_[6]) << 16) |
                            (static_cast<uint8_t>(in_[7]) << 8) | static_cast<uint8_t>(in_[8]);
        in_.erase(0, 9 + len);
        if (id == stream && (type == 0 || (type == 1 && (flags & 0x1) != 0))) return true;
      }
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n <= 0) return false;
      in_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  static std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& body) {
    std::string f;
    const uint32_t len = static_cast<uint32_t>(body.size());
    f += static_cast<char>((len >> 16) & 0xff);
    f += static_cast<char>((len >> 8) & 0xff);
    f += static_cast<char>(len & 0xff);
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    for (int shift = 24; shift >= 0; shift -= 8) f += static_cast<char>((stream >> shift) & 0xff);
    return f + body;
  }
  bool Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
};

HostOptions TestOptions() {
  HostOptions o;
  o.service_name = "echo-test";
  o.grpc_address = "127.0.0.1:0";
  o.metrics_address = "127.0.0.1:0";
  o.readiness_interval = absl::Milliseconds(10);
  o.drain_timeout = absl::Seconds(5);
  return o;
}

std::shared_ptr<grpc::Channel> Connect(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

grpc::Status Unary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                   const std::string& request, std::string* response = nullptr,
                   const std::vector<std::pair<std::string, std::string>>& metadata = {},
                   bool inject_trace = false) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  if (inject_trace) trace::InjectInto(ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  grpc::ByteBuffer req = ToBuffer(request);
  grpc::ByteBuffer resp;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (status.ok() && response != nullptr) *response = FromBuffer(resp);
  return status;
}

// grpc.health.v1.Health/Check without generated stubs: HealthCheckRequest{string service = 1},
// HealthCheckResponse{ServingStatus status = 1}. Returns the status number, or the RPC error.
absl::StatusOr<int> HealthCheck(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service) {
  std::string request;
  {
    google::protobuf::io::StringOutputStream raw(&request);
    google::protobuf::io::CodedOutputStream out(&raw);
    if (!service.empty()) {
      out.WriteTag(10);  // field 1, length-delimited
      out.WriteVarint32(static_cast<uint32_t>(service.size()));
      out.WriteString(service);
    }
  }
  std::string response;
  grpc::Status s = Unary(channel, "/grpc.health.v1.Health/Check", request, &response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(response.data()),
                                            static_cast<int>(response.size()));
  int status = 0;  // UNKNOWN when the field is absent
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    uint32_t v = 0;
    if (tag == 8 && in.ReadVarint32(&v)) status = static_cast<int>(v);
  }
  return status;
}

bool HealthIs(const std::shared_ptr<grpc::Channel>& channel, const std::string& service, int want) {
  absl::StatusOr<int> got = HealthCheck(channel, service);
  return got.ok() && *got == want;
}

// grpc.reflection.v1alpha list_services, with the message types the reflection library
// registered in the generated descriptor pool.
std::vector<std::string> ReflectionListServices(const std::shared_ptr<grpc::Channel>& channel) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* req_desc =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionRequest");
  const auto* resp_desc =
      pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionResponse");
  EXPECT_NE(req_desc, nullptr);
  EXPECT_NE(resp_desc, nullptr);
  if (req_desc == nullptr || resp_desc == nullptr) return {};
  google::protobuf::DynamicMessageFactory factory(pool);
  std::unique_ptr<google::protobuf::Message> req(factory.GetPrototype(req_desc)->New());
  req->GetReflection()->SetString(req.get(), req_desc->FindFieldByName("list_services"), "*");

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod(
              "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              grpc::internal::RpcMethod::BIDI_STREAMING),
          &ctx));
  EXPECT_TRUE(stream->Write(ToBuffer(req->SerializeAsString())));
  stream->WritesDone();
  grpc::ByteBuffer raw;
  std::vector<std::string> names;
  while (stream->Read(&raw)) {
    std::unique_ptr<google::protobuf::Message> resp(factory.GetPrototype(resp_desc)->New());
    EXPECT_TRUE(resp->ParseFromString(FromBuffer(raw)));
    const auto* refl = resp->GetReflection();
    const auto& list =
        refl->GetMessage(*resp, resp_desc->FindFieldByName("list_services_response"));
    const auto* list_desc = list.GetDescriptor();
    const auto* service_field = list_desc->FindFieldByName("service");
    for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field); ++i) {
      const auto& svc = list.GetReflection()->GetRepeatedMessage(list, service_field, i);
      names.push_back(
          svc.GetReflection()->GetString(svc, svc.GetDescriptor()->FindFieldByName("name")));
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  return names;
}

std::string Scrape(int port, const std::string& path = "/metrics", int* status = nullptr,
                   std::string* content_type = nullptr) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto res = client.Get(path.c_str());
  if (!res) {
    if (status) *status = -1;
    return "";
  }
  if (status) *status = res->status;
  if (content_type) *content_type = res->get_header_value("Content-Type");
  return res->body;
}

class ServiceHostTest : public ::testing::Test {
 protected:
  void StartHost(HostOptions options = TestOptions()) {
    host_ = std::make_unique<ServiceHost>(std::move(options));
    echo_.set_host(host_.get());
    host_->AddService(&echo_);
    host_->AddReadinessCheck("dependency", [this]() -> absl::Status {
      if (dependency_up_) return absl::OkStatus();
      return absl::UnavailableError("dependency down");
    });
    absl::Status s = host_->Start();
    ASSERT_TRUE(s.ok()) << s;
    channel_ = Connect(host_->grpc_port());
  }

  EchoService echo_;
  std::atomic<bool> dependency_up_{true};
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
};

// On shutdown with a drain grace the server first reports NOT_SERVING (health and /readyz) and
// still answers every call for the grace, so that clients move away; only then does it stop
// taking calls.
TEST_F(ServiceHostTest, DrainGraceReportsNotServingWhileStillAnsweringThenStopsTakingCalls) {
  HostOptions o = TestOptions();
  o.drain_grace = absl::Seconds(5);
  StartHost(o);
  ASSERT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kServing); }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    host_->Shutdown();
    host_->Wait();
    stopped = true;
  });
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kNotServing); }));
  int status = 0;
  Scrape(host_->metrics_port(), "/readyz", &status);
  EXPECT_EQ(status, 503);
  std::string answer;
  EXPECT_TRUE(Unary(channel_, kEchoMethod, "still here", &answer).ok());
  EXPECT_EQ(answer, "still here");
  EXPECT_FALSE(stopped.load()) << "the grace (5 s) ended before a call in it was answered";
  stopper.join();
  EXPECT_FALSE(Unary(channel_, kEchoMethod, "gone").ok());
}

// With a maximum connection age the server ends a connection (GOAWAY) once it is that old, so
// that a round-robin client re-resolves: the channel goes idle, and the next call reconnects.
TEST_F(ServiceHostTest, ConnectionsOlderThanTheMaximumAgeAreClosedAndClientsReconnect) {
  HostOptions o = TestOptions();
  o.max_connection_age = absl::Milliseconds(500);
  o.max_connection_age_grace = absl::Milliseconds(100);
  StartHost(o);
  ASSERT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kServing); }));
  EXPECT_EQ(channel_->GetState(false), GRPC_CHANNEL_READY);
  EXPECT_TRUE(WaitUntil([&] { return channel_->GetState(false) != GRPC_CHANNEL_READY; }))
      << "the connection outlived its maximum age";
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kServing); }));
}

TEST_F(ServiceHostTest, StartBindsFreePortsAndLogsTheListeningLineAsJsonWithNothingOnStdout) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  log::SetSink([&](std::string_view l) {
    absl::MutexLock lock(&mu);
    lines.emplace_back(l);
  });
  testing::internal::CaptureStdout();
  StartHost();
  const std::string out = testing::internal::GetCapturedStdout();
  log::SetSink(nullptr);
  EXPECT_EQ(out, "") << "every line a service writes is a JSON log line (stderr)";
  EXPECT_GT(host_->grpc_port(), 0);
  EXPECT_GT(host_->metrics_port(), 0);
  nlohmann::json listening;
  for (const auto& l : lines) {
    nlohmann::json j = nlohmann::json::parse(l);
    if (j["msg"] == "listening") listening = j;
  }
  ASSERT_FALSE(listening.is_null());
  EXPECT_EQ(listening["grpc"], "127.0.0.1:" + std::to_string(host_->grpc_port()));
  EXPECT_EQ(listening["metrics"], "127.0.0.1:" + std::to_string(host_->metrics_port()));
  std::string answer;
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "hello", &answer).ok());
  EXPECT_EQ(answer, "hello");
}

TEST_F(ServiceHostTest, HealthFollowsTheReadinessChecks) {
  dependency_up_ = false;
  StartHost();
  // The first round runs inside Start(): no SERVING window before the checks ran.
  EXPECT_FALSE(host_->ready());
  EXPECT_TRUE(HealthIs(channel_, "", kNotServing));
  EXPECT_TRUE(HealthIs(channel_, kEchoService, kNotServing));

  dependency_up_ = true;
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kServing); }));
  EXPECT_TRUE(HealthIs(channel_, kEchoService, kServing));
  EXPECT_TRUE(host_->ready());

  dependency_up_ = false;
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kNotServing); }));
  EXPECT_TRUE(HealthIs(channel_, kEchoService, kNotServing));
  EXPECT_FALSE(host_->ready());
}

TEST_F(ServiceHostTest, ReadyzOnTheMetricsPortFollowsTheReadinessChecksAndHealthzDoesNot) {
  dependency_up_ = false;
  StartHost();
  int status = 0;
  EXPECT_EQ(Scrape(host_->metrics_port(), "/readyz", &status), "not ready\n");
  EXPECT_EQ(status, 503);
  EXPECT_EQ(Scrape(host_->metrics_port(), "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);

  dependency_up_ = true;
  EXPECT_TRUE(WaitUntil([&] {
    Scrape(host_->metrics_port(), "/readyz", &status);
    return status == 200;
  }));
  EXPECT_TRUE(HealthIs(channel_, "", kServing));

  dependency_up_ = false;
  EXPECT_TRUE(WaitUntil([&] {
    Scrape(host_->metrics_port(), "/readyz", &status);
    return status == 503;
  }));
  EXPECT_EQ(Scrape(host_->metrics_port(), "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
}

TEST_F(ServiceHostTest, LivenessStaysServingWhileADependencyIsDown) {
  dependency_up_ = false;
  StartHost();
  EXPECT_TRUE(HealthIs(channel_, "", kNotServing));
  EXPECT_TRUE(HealthIs(channel_, std::string(kLivenessName), kServing));
}

TEST_F(ServiceHostTest, ChecksAddedAfterStartTakePart) {
  StartHost();
  EXPECT_TRUE(HealthIs(channel_, "", kServing));
  std::atomic<bool> kafka_up{false};
  host_->AddReadinessCheck("kafka", [&]() -> absl::Status {
    return kafka_up ? absl::OkStatus() : absl::UnavailableError("no broker");
  });
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kNotServing); }));
  kafka_up = true;
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kServing); }));
}

TEST_F(ServiceHostTest, BrokerDownKeepsOverallHealthServingAndSetsItsOwnHealthNotServing) {
  std::atomic<bool> kafka_up{false};
  StartHost();
  host_->AddDependencyCheck("kafka", "firegrid.kafka", [&]() -> absl::Status {
    return kafka_up ? absl::OkStatus() : absl::UnavailableError("no broker");
  });
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "firegrid.kafka", kNotServing); }));
  // Calls are still answered, so readiness (what probes and load balancers use) holds.
  EXPECT_TRUE(HealthIs(channel_, "", kServing));
  EXPECT_TRUE(HealthIs(channel_, kEchoService, kServing));
  EXPECT_TRUE(host_->ready());
  EXPECT_TRUE(WaitUntil([&] {
    return Scrape(host_->metrics_port()).find("firegrid_dependency_up{dependency=\"kafka\"} 0") !=
           std::string::npos;
  }));
  EXPECT_THAT(Scrape(host_->metrics_port()), HasSubstr("firegrid_ready 1"));

  kafka_up = true;
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "firegrid.kafka", kServing); }));
  EXPECT_TRUE(WaitUntil([&] {
    return Scrape(host_->metrics_port()).find("firegrid_dependency_up{dependency=\"kafka\"} 1") !=
           std::string::npos;
  }));
}

TEST_F(ServiceHostTest, ReadinessCheckDownDoesNotTouchADependencysHealth) {
  StartHost();
  host_->AddDependencyCheck("kafka", "firegrid.kafka", [] { return absl::OkStatus(); });
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "firegrid.kafka", kServing); }));
  dependency_up_ = false;
  EXPECT_TRUE(WaitUntil([&] { return HealthIs(channel_, "", kNotServing); }));
  EXPECT_TRUE(HealthIs(channel_, "firegrid.kafka", kServing));
}

constexpr char kParent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST_F(ServiceHostTest, HandlerRunsInAChildSpanOfTheIncomingTraceparent) {
  StartHost();
  std::string seen;
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "trace", &seen,
                    {{"traceparent", kParent}, {"tracestate", "congo=t61rcWkgMzE"}})
                  .ok());
  std::optional<trace::Context> c = trace::ParseTraceparent(seen);
  ASSERT_TRUE(c.has_value()) << seen;
  EXPECT_EQ(c->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(c->span_id, "00f067aa0ba902b7");
}

TEST_F(ServiceHostTest, StreamingHandlerRunsInAChildSpanOfTheIncomingTraceparent) {
  StartHost();
  grpc::ClientContext ctx;
  ctx.AddMetadata("traceparent", kParent);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          channel_.get(),
          grpc::internal::RpcMethod(kStreamMethod, grpc::internal::RpcMethod::SERVER_STREAMING),
          &ctx, ToBuffer("")));
  std::vector<std::string> seen;
  grpc::ByteBuffer raw;
  while (reader->Read(&raw)) seen.push_back(FromBuffer(raw));
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(seen.size(), 3u);
  for (const std::string& tp : seen) {
    std::optional<trace::Context> c = trace::ParseTraceparent(tp);
    ASSERT_TRUE(c.has_value()) << tp;
    EXPECT_EQ(c->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(tp, seen[0]);  // one span for the whole stream
  }
}

TEST_F(ServiceHostTest, HandlerStartsATraceWhenTheTraceparentIsAbsentOrInvalid) {
  StartHost();
  std::string first, second;
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "trace", &first).ok());
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "trace", &second,
                    {{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}})
                  .ok());
  ASSERT_TRUE(trace::ParseTraceparent(first).has_value()) << first;
  ASSERT_TRUE(trace::ParseTraceparent(second).has_value()) << second;
  EXPECT_NE(trace::ParseTraceparent(first)->trace_id, trace::ParseTraceparent(second)->trace_id);
  EXPECT_NE(trace::ParseTraceparent(second)->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_F(ServiceHostTest, ClientInjectsTheCurrentContextAndTheServerContinuesIt) {
  StartHost();
  trace::Context mine = trace::NewRoot();
  std::string seen;
  {
    trace::Scope scope(mine);
    ASSERT_TRUE(Unary(channel_, kEchoMethod, "trace", &seen, {}, /*inject_trace=*/true).ok());
  }
  std::optional<trace::Context> c = trace::ParseTraceparent(seen);
  ASSERT_TRUE(c.has_value()) << seen;
  EXPECT_EQ(c->trace_id, mine.trace_id);
  EXPECT_NE(c->span_id, mine.span_id);
}

TEST_F(ServiceHostTest, HandlerLogLinesAndTheRpcDebugLineCarryTheTraceId) {
  std::vector<std::string> lines;
  absl::Mutex mu;
  log::Init("echo-test", log::Level::kDebug);
  log::SetSink([&](std::string_view l) {
    absl::MutexLock lock(&mu);
    lines.emplace_back(l);
  });
  StartHost();
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "trace", nullptr, {{"traceparent", kParent}}).ok());
  auto find = [&](const std::string& msg) -> nlohmann::json {
    absl::MutexLock lock(&mu);
    for (const auto& l : lines) {
      nlohmann::json j = nlohmann::json::parse(l);
      if (j["msg"] == msg) return j;
    }
    return nlohmann::json();
  };
  // The status (and its debug line) may be sent just after the client sees it: wait for it.
  EXPECT_TRUE(WaitUntil([&] { return !find("rpc finished").is_null(); }));
  nlohmann::json in_handler = find("echoing the trace");
  nlohmann::json finished = find("rpc finished");
  log::SetSink(nullptr);
  log::Init("echo-test", log::Level::kInfo);
  ASSERT_FALSE(in_handler.is_null());
  EXPECT_EQ(in_handler["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_FALSE(finished.is_null());
  EXPECT_EQ(finished["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(finished["method"], kEchoMethod);
}

TEST_F(ServiceHostTest, HealthOfAnUnservedServiceIsNotFound) {
  StartHost();
  EXPECT_EQ(HealthCheck(channel_, "firegrid.nope.v1.Nothing").status().code(),
            absl::StatusCode::kNotFound);
}

// A server with callback methods among synchronous ones: gRPC's builder would make it "hybrid",
// leaving all I/O to its few callback threads, so that synchronous calls waited whenever those
// threads were busy (bench/README.md: ReportHazard p99 4 -> 90 ms with GetHazard on the callback
// API). Here every callback thread is held by a blocking callback, and a synchronous call must
// still be answered: the synchronous server's own threads read it.
TEST_F(ServiceHostTest, SynchronousCallsAreAnsweredWhileEveryCallbackThreadIsBusy) {
  HoldService hold;
  HostOptions options = TestOptions();
  options.register_after_threading_choice = true;
  host_ = std::make_unique<ServiceHost>(options);
  host_->AddService(&echo_);
  host_->AddService(&hold);
  ASSERT_TRUE(host_->Start().ok());
  // gRPC's callback queue has this many threads (CallbackAlternativeCQ in grpc 1.51).
  const int callback_threads = std::clamp<int>(static_cast<int>(gpr_cpu_num_cores()) / 2, 2, 16);

  auto holder = std::make_unique<RawH2Client>(host_->grpc_port());
  ASSERT_TRUE(holder->connected());
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(holder->Call(2 * i + 1, HoldService::kHoldMethod, "hold"));
  }
  ASSERT_TRUE(WaitUntil([&] { return hold.holding() >= callback_threads; }))
      << hold.holding() << " of " << callback_threads << " callback threads held";

  auto client = std::make_unique<RawH2Client>(host_->grpc_port());
  ASSERT_TRUE(client->connected());
  ASSERT_TRUE(client->Call(1, kEchoMethod, "ping"));
  EXPECT_TRUE(client->AnsweredWithin(1, absl::Seconds(5)));
  client.reset();

  hold.Release();
  EXPECT_TRUE(holder->AnsweredWithin(1, absl::Seconds(10)));
  holder.reset();
  host_->Shutdown();
  host_->Wait();
}

TEST_F(ServiceHostTest, ReflectionListsTheServedServices) {
  StartHost();
  std::vector<std::string> names = ReflectionListServices(channel_);
  EXPECT_THAT(names, Contains(kEchoService));
  EXPECT_THAT(names, Contains("grpc.health.v1.Health"));
  EXPECT_THAT(names, Contains("grpc.reflection.v1alpha.ServerReflection"));
}

TEST_F(ServiceHostTest, ARequestLargerThanTheMaximumIsRefusedNamingTheLimitBeforeTheHandlerRuns) {
  HostOptions o = TestOptions();
  o.max_receive_message_bytes = 64 << 10;
  StartHost(o);
  std::string answer;
  ASSERT_TRUE(Unary(channel_, kEchoMethod, std::string(60 << 10, 'a'), &answer).ok());
  EXPECT_EQ(answer.size(), 60u << 10);
  ASSERT_EQ(echo_.calls(), 1);
  grpc::Status s = Unary(channel_, kEchoMethod, std::string(65 << 10, 'a'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat(64 << 10))) << s.error_message();
  EXPECT_EQ(echo_.calls(), 1) << "the handler ran for the oversized request";
  // The connection stays usable.
  EXPECT_TRUE(Unary(channel_, kEchoMethod, "small").ok());
}

TEST_F(ServiceHostTest, MetricsCountRequestsByMethodAndCode) {
  StartHost();
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "a").ok());
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "b").ok());
  EXPECT_EQ(Unary(channel_, kEchoMethod, "fail:5").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Unary(channel_, "/firegrid.nope.v1.Ghost/Boo", "x").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Unary(channel_, "/firegrid.test.v1.Echo/NoSuchMethod", "x").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  std::string content_type;
  int status = 0;
  std::string text = Scrape(host_->metrics_port(), "/metrics", &status, &content_type);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(text, HasSubstr("# TYPE firegrid_grpc_requests_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "firegrid_grpc_requests_total{code=\"OK\",method=\"/firegrid.test.v1.Echo/Echo\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("firegrid_grpc_requests_total{code=\"NOT_FOUND\",method=\"/"
                              "firegrid.test.v1.Echo/Echo\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE firegrid_grpc_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("firegrid_grpc_request_duration_seconds_count{method=\"/"
                              "firegrid.test.v1.Echo/Echo\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("firegrid_grpc_request_duration_seconds_bucket{method=\"/"
                              "firegrid.test.v1.Echo/Echo\",le=\"+Inf\"} 3\n"));
  // Paths the server does not implement never become label values.
  EXPECT_THAT(
      text,
      HasSubstr("firegrid_grpc_requests_total{code=\"UNIMPLEMENTED\",method=\"unknown\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("Ghost")));
  EXPECT_THAT(text, Not(HasSubstr("NoSuchMethod")));
  EXPECT_THAT(text, HasSubstr("firegrid_ready 1\n"));
  EXPECT_THAT(text, HasSubstr("firegrid_readiness_check_ok{check=\"dependency\"} 1\n"));
}

TEST_F(ServiceHostTest, MetricsEndpointServesCallbackGaugesAndHealthz) {
  StartHost();
  std::atomic<int> lag{7};
  ASSERT_TRUE(host_->metrics()
                  .AddGaugeCallback("firegrid_consumer_lag", "Messages behind.",
                                    [&] {
                                      return std::vector<std::pair<Labels, double>>{
                                          {{{"group", "notify"}}, static_cast<double>(lag.load())}};
                                    })
                  .ok());
  EXPECT_THAT(Scrape(host_->metrics_port()),
              HasSubstr("firegrid_consumer_lag{group=\"notify\"} 7\n"));
  lag = 9;
  EXPECT_THAT(Scrape(host_->metrics_port()),
              HasSubstr("firegrid_consumer_lag{group=\"notify\"} 9\n"));
  host_->metrics().RemoveGaugeCallback("firegrid_consumer_lag");
  int status = 0;
  EXPECT_EQ(Scrape(host_->metrics_port(), "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
}

TEST_F(ServiceHostTest, ShutdownDrainsInFlightCallsThenWaitReturns) {
  StartHost();
  const int grpc_port = host_->grpc_port();
  const int metrics_port = host_->metrics_port();
  grpc::Status held_status;
  std::thread caller([&] { held_status = Unary(channel_, kEchoMethod, "hold"); });
  ASSERT_TRUE(echo_.held().WaitForNotificationWithTimeout(absl::Seconds(10)));

  absl::Notification wait_returned;
  std::thread waiter([&] {
    host_->Wait();
    wait_returned.Notify();
  });
  host_->Shutdown();
  // Draining: the readiness gauge drops, the in-flight call keeps Wait() from returning.
  EXPECT_TRUE(WaitUntil([&] { return !host_->ready(); }));
  EXPECT_FALSE(wait_returned.HasBeenNotified());
  echo_.release().Notify();
  caller.join();
  EXPECT_TRUE(held_status.ok()) << held_status.error_message();
  EXPECT_FALSE(echo_.saw_cancellation());
  EXPECT_TRUE(wait_returned.WaitForNotificationWithTimeout(absl::Seconds(10)));
  waiter.join();

  // Both listeners are closed.
  int status = 0;
  Scrape(metrics_port, "/healthz", &status);
  EXPECT_EQ(status, -1);
  auto fresh = Connect(grpc_port);
  EXPECT_EQ(Unary(fresh, kEchoMethod, "late").error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServiceHostTest, DrainTimeoutCancelsCallsThatDoNotFinish) {
  HostOptions o = TestOptions();
  o.drain_timeout = absl::Milliseconds(100);
  StartHost(o);
  grpc::Status held_status;
  std::thread caller([&] { held_status = Unary(channel_, kEchoMethod, "hold"); });
  ASSERT_TRUE(echo_.held().WaitForNotificationWithTimeout(absl::Seconds(10)));
  host_->Shutdown();
  host_->Wait();  // returns although the handler was never released
  caller.join();
  EXPECT_TRUE(echo_.saw_cancellation());
  EXPECT_FALSE(held_status.ok());
}

TEST_F(ServiceHostTest, ShutdownFromAnRpcHandlerEndsWait) {
  StartHost();
  std::string answer;
  ASSERT_TRUE(Unary(channel_, kEchoMethod, "shutdown", &answer).ok());
  EXPECT_EQ(answer, "shutdown");
  host_->Wait();
  EXPECT_FALSE(host_->ready());
}

TEST_F(ServiceHostTest, WaitReturnsWhenShutdownCameFirstAndWaitCanBeRepeated) {
  StartHost();
  host_->Shutdown();
  host_->Wait();
  host_->Wait();
  host_.reset();  // the destructor after a finished drain is a no-op
}

TEST_F(ServiceHostTest, DestroyingARunningHostDrainsIt) {
  StartHost();
  const int port = host_->metrics_port();
  host_.reset();
  int status = 0;
  Scrape(port, "/healthz", &status);
  EXPECT_EQ(status, -1);
}

TEST(ServiceHostStart, RejectsASecondStartAndBadOptions) {
  ServiceHost ok(TestOptions());
  ASSERT_TRUE(ok.Start().ok());
  EXPECT_EQ(ok.Start().code(), absl::StatusCode::kFailedPrecondition);

  HostOptions no_name = TestOptions();
  no_name.service_name = "";
  EXPECT_EQ(ServiceHost(no_name).Start().code(), absl::StatusCode::kInvalidArgument);
  HostOptions bad_grpc = TestOptions();
  bad_grpc.grpc_address = "127.0.0.1";
  EXPECT_EQ(ServiceHost(bad_grpc).Start().code(), absl::StatusCode::kInvalidArgument);
  HostOptions bad_metrics = TestOptions();
  bad_metrics.metrics_address = "127.0.0.1:99999";
  EXPECT_EQ(ServiceHost(bad_metrics).Start().code(), absl::StatusCode::kInvalidArgument);
  HostOptions no_pollers = TestOptions();
  no_pollers.sync_min_pollers = 0;
  EXPECT_EQ(ServiceHost(no_pollers).Start().code(), absl::StatusCode::kInvalidArgument);
  HostOptions max_below_min = TestOptions();
  max_below_min.sync_min_pollers = 4;
  max_below_min.sync_max_pollers = 3;
  EXPECT_EQ(ServiceHost(max_below_min).Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ServiceHostStart, BusyPortsAreUnavailable) {
  ServiceHost first(TestOptions());
  ASSERT_TRUE(first.Start().ok());

  HostOptions same_grpc = TestOptions();
  same_grpc.grpc_address = absl::StrCat("127.0.0.1:", first.grpc_port());
  EXPECT_EQ(ServiceHost(same_grpc).Start().code(), absl::StatusCode::kUnavailable);

  HostOptions same_metrics = TestOptions();
  same_metrics.metrics_address = absl::StrCat("127.0.0.1:", first.metrics_port());
  EXPECT_EQ(ServiceHost(same_metrics).Start().code(), absl::StatusCode::kUnavailable);
}

// Runs in a fresh child process (threadsafe death-test style re-executes the binary), so the
// signal mask is installed before any thread exists, as in main().
TEST(ServiceHostSignalDeathTest, SigtermDrainsAndWaitReturns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (!ServiceHost::InstallSignalHandlers().ok()) std::_Exit(3);
        ServiceHost host(TestOptions());
        if (!host.Start().ok()) std::_Exit(4);
        ::kill(::getpid(), SIGTERM);
        host.Wait();
        std::fprintf(stderr, "wait returned after SIGTERM\n");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "wait returned after SIGTERM");
}

TEST(ServiceHostSignalDeathTest, SignalBeforeStartShutsTheHostDownOnStart) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (!ServiceHost::InstallSignalHandlers().ok()) std::_Exit(3);
        ::kill(::getpid(), SIGINT);
        ServiceHost host(TestOptions());
        // The sigwait thread may take the signal after Start(); either way Wait() must return.
        if (!host.Start().ok()) std::_Exit(4);
        host.Wait();
        std::fprintf(stderr, "wait returned after SIGINT\n");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "wait returned after SIGINT");
}

}  // namespace
}  // namespace firegrid::server
