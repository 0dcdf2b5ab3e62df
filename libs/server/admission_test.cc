#include "libs/server/admission.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"
#include "libs/server/callback_unary.h"
#include "libs/server/retry_info.h"
#include "libs/server/service_host.h"

namespace firegrid::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWork[] = "/firegrid.test.v1.Work/Work";
constexpr char kWorkOnReadThread[] = "/firegrid.test.v1.Work/WorkOnReadThread";
constexpr char kWatch[] = "/firegrid.test.v1.Work/Watch";
const std::string kKey = "0123456789abcdef0123456789abcdef-admission-test";

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

// Polls `cond` until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& cond, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

// A service whose every method authenticates first, as the firegrid services do: a sync unary
// method, a callback one served on the read threads (callback_unary.h) and a server stream.
// The request "hold" keeps the call in flight until Release() (at most 30 s); `worked` counts
// the calls that got past the authenticator.
class WorkService final : public grpc::Service {
 public:
  explicit WorkService(const auth::Authenticator* authenticator) : authenticator_(authenticator) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kWork, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<WorkService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](WorkService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer* req,
               grpc::ByteBuffer* resp) { return self->Work(*ctx, *req, resp); },
            this)));
    AddMethod(new grpc::internal::RpcServiceMethod(kWorkOnReadThread,
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(1,
                       new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                           [this](grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* req,
                                  grpc::ByteBuffer* resp) {
                             return ServeUnary(Threads::kRead, ctx,
                                               [=, this] { return Work(*ctx, *req, resp); });
                           }));
    AddMethod(new grpc::internal::RpcServiceMethod(
        kWatch, grpc::internal::RpcMethod::SERVER_STREAMING,
        new grpc::internal::ServerStreamingHandler<WorkService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](WorkService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer* req,
               grpc::ServerWriter<grpc::ByteBuffer>* writer) {
              grpc::ByteBuffer resp;
              grpc::Status s = self->Work(*ctx, *req, &resp);
              if (s.ok()) writer->Write(resp);
              return s;
            },
            this)));
  }

  void Release() {  // from the test's thread only
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  int holding() const { return holding_.load(); }
  int worked() const { return worked_.load(); }

 private:
  grpc::Status Work(grpc::ServerContextBase& ctx, const grpc::ByteBuffer& req,
                    grpc::ByteBuffer* resp) {
    absl::StatusOr<auth::Principal> who = authenticator_->Authenticate(ctx);
    if (!who.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(who.status().code()),
                          std::string(who.status().message()));
    }
    worked_.fetch_add(1);
    if (FromBuffer(req) == "hold") {
      holding_.fetch_add(1);
      release_.WaitForNotificationWithTimeout(absl::Seconds(30));
      holding_.fetch_sub(1);
    }
    *resp = ToBuffer(who->subject);
    return grpc::Status::OK;
  }

  const auth::Authenticator* authenticator_;
  absl::Notification release_;
  std::atomic<int> holding_{0};
  std::atomic<int> worked_{0};
};

// A call started now and finished later (Wait()).
class PendingCall {
 public:
  PendingCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
              const std::string& token, const std::string& request)
      : stub_(channel), req_(ToBuffer(request)) {
    auth::AttachToken(&ctx_, token);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stub_.UnaryCall(&ctx_, method, grpc::StubOptions(), &req_, &resp_, [this](grpc::Status s) {
      status_ = std::move(s);
      done_.Notify();
    });
  }
  ~PendingCall() { done_.WaitForNotificationWithTimeout(absl::Seconds(30)); }
  grpc::Status Wait() {
    done_.WaitForNotification();
    return status_;
  }
  const grpc::ClientContext& context() const { return ctx_; }

 private:
  grpc::GenericStub stub_;
  grpc::ClientContext ctx_;
  grpc::ByteBuffer req_;
  grpc::ByteBuffer resp_;
  grpc::Status status_;
  absl::Notification done_;
};

// grpc.health.v1.Health/Check for the whole server: the status number, or -1 on an RPC error.
int HealthOfServer(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer req = ToBuffer("");
  grpc::ByteBuffer resp;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return -1;
  const std::string bytes = FromBuffer(resp);
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  int serving = 0;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    uint32_t v = 0;
    if (tag == 8 && in.ReadVarint32(&v)) serving = static_cast<int>(v);
  }
  return serving;
}

class AdmissionTest : public ::testing::Test {
 protected:
  void Start(int max_in_flight) {
    auth::VerifierOptions vo;
    vo.hs256_key = kKey;
    auto verifier = auth::TokenVerifier::Create(vo);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
    auto signer = auth::TokenSigner::Hs256(kKey);
    ASSERT_TRUE(signer.ok()) << signer.status();
    auth::Principal p;
    p.subject = "u-1";
    p.role = auth::Role::kCommunityWorker;
    p.tier_path = "500109001002";
    auto token = (*signer)->Sign(p, absl::Now() - absl::Minutes(1), absl::Hours(1));
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;

    HostOptions o;
    o.service_name = "admission-test";
    o.grpc_address = "127.0.0.1:0";
    o.metrics_address = "127.0.0.1:0";
    o.drain_timeout = absl::Seconds(5);
    host_ = std::make_unique<ServiceHost>(o);
    admission_ = std::make_unique<AdmissionControl>(
        AdmissionOptions{.max_in_flight = max_in_flight, .retry_delay = absl::Milliseconds(250)},
        &host_->metrics());
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), RealClock::Get(),
                                                           nullptr, nullptr, admission_.get());
    service_ = std::make_unique<WorkService>(authenticator_.get());
    host_->AddService(service_.get());
    host_->AddInterceptorFactory(admission_->InterceptorFactory());
    host_->AddInterceptorFactory(std::make_unique<RetryInfoInterceptorFactory>(&host_->metrics()));
    absl::Status s = host_->Start();
    ASSERT_TRUE(s.ok()) << s;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (service_ != nullptr) service_->Release();
    held_.clear();
    if (host_ != nullptr) {
      host_->Shutdown();
      host_->Wait();
    }
  }

  // Starts `n` calls of `method` that stay in flight, and waits until all are held.
  void Hold(int n, const char* method = kWork) {
    const int before = service_->holding();
    for (int i = 0; i < n; ++i) {
      held_.push_back(std::make_unique<PendingCall>(channel_, method, token_, "hold"));
    }
    ASSERT_TRUE(WaitUntil([&] { return service_->holding() == before + n; }));
  }

  grpc::Status Call(const char* method = kWork) {
    return PendingCall(channel_, method, token_, "now").Wait();
  }

  std::string Metrics() { return host_->metrics().Render(); }

  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::string token_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<AdmissionControl> admission_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<WorkService> service_;
  std::shared_ptr<grpc::Channel> channel_;
  std::vector<std::unique_ptr<PendingCall>> held_;
};

TEST_F(AdmissionTest, ACallBeyondTheInFlightBoundIsRefusedWithRetryInfoBeforeTheHandlerWorks) {
  Start(/*max_in_flight=*/2);
  Hold(2);
  const int worked = service_->worked();
  PendingCall refused(channel_, kWork, token_, "now");
  grpc::Status s = refused.Wait();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("server overloaded; retry in 250ms"));
  EXPECT_EQ(RetryDelayOf(s), absl::Milliseconds(250));
  auto pushback = refused.context().GetServerTrailingMetadata().find(auth::kRetryPushbackKey);
  ASSERT_NE(pushback, refused.context().GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(pushback->second.data(), pushback->second.size()), "250");
  EXPECT_EQ(service_->worked(), worked);
  // The refused call leaves the count once gRPC has finished with it.
  EXPECT_TRUE(WaitUntil([&] { return admission_->in_flight() == 2; }));
}

TEST_F(AdmissionTest, CallsAreAdmittedAgainOnceTheCallsInFlightFinish) {
  Start(/*max_in_flight=*/2);
  Hold(2);
  ASSERT_EQ(Call().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  service_->Release();
  for (auto& call : held_) EXPECT_TRUE(call->Wait().ok());
  ASSERT_TRUE(WaitUntil([&] { return admission_->in_flight() == 0; }));
  for (int i = 0; i < 5; ++i) {
    grpc::Status s = Call();
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
}

TEST_F(AdmissionTest, CallbackMethodsOnTheReadThreadsCountAndAreRefusedLikeSyncOnes) {
  Start(/*max_in_flight=*/1);
  Hold(1, kWorkOnReadThread);
  EXPECT_EQ(Call(kWork).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  grpc::Status s = Call(kWorkOnReadThread);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(RetryDelayOf(s), absl::Milliseconds(250));
}

TEST_F(AdmissionTest, HealthChecksAreAnsweredServingWhileEveryOtherCallIsRefused) {
  Start(/*max_in_flight=*/1);
  Hold(1);
  ASSERT_EQ(Call().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(HealthOfServer(channel_), 1);  // SERVING
}

TEST_F(AdmissionTest, OpenStreamsDoNotCountButNoStreamOpensWhileTheServerIsFull) {
  Start(/*max_in_flight=*/1);
  // A held stream: the unary bound is untouched.
  grpc::ClientContext stream_ctx;
  auth::AttachToken(&stream_ctx, token_);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          channel_.get(),
          grpc::internal::RpcMethod(kWatch, grpc::internal::RpcMethod::SERVER_STREAMING),
          &stream_ctx, ToBuffer("hold")));
  ASSERT_TRUE(WaitUntil([&] { return service_->holding() == 1; }));
  EXPECT_EQ(admission_->in_flight(), 0);
  grpc::Status s = Call();
  EXPECT_TRUE(s.ok()) << s.error_message();

  // A held unary call fills the server: a new stream is refused.
  Hold(1);
  grpc::ClientContext refused_ctx;
  auth::AttachToken(&refused_ctx, token_);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> refused(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          channel_.get(),
          grpc::internal::RpcMethod(kWatch, grpc::internal::RpcMethod::SERVER_STREAMING),
          &refused_ctx, ToBuffer("now")));
  grpc::ByteBuffer ignored;
  EXPECT_FALSE(refused->Read(&ignored));
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  service_->Release();
  while (stream->Read(&ignored)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(AdmissionTest, RefusalsAreCountedAsOverloadNotAsRateLimitedAndInFlightIsExported) {
  Start(/*max_in_flight=*/1);
  Hold(1);
  ASSERT_EQ(Call().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_EQ(Call().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(WaitUntil([&] { return admission_->in_flight() == 1; }));
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat("firegrid_grpc_overload_refused_total{method=\"",
                                              kWork, "\"} 2")));
  EXPECT_THAT(metrics, Not(HasSubstr("firegrid_grpc_rate_limited_total{")));
  EXPECT_THAT(metrics, HasSubstr("firegrid_grpc_calls_in_flight 1"));
}

TEST_F(AdmissionTest, AnOverloadedServerRefusesBeforeLookingAtTheToken) {
  Start(/*max_in_flight=*/1);
  Hold(1);
  EXPECT_EQ(PendingCall(channel_, kWork, "not-a-token", "now").Wait().error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  service_->Release();
  ASSERT_TRUE(WaitUntil([&] { return admission_->in_flight() == 0; }));
  EXPECT_EQ(PendingCall(channel_, kWork, "not-a-token", "now").Wait().error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdmissionTest, ZeroMeansNoBound) {
  Start(/*max_in_flight=*/0);
  Hold(20);
  grpc::Status s = Call();
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace firegrid::server
