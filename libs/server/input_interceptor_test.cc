#include "libs/server/input_interceptor.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "gtest/gtest.h"

namespace firegrid::server {
namespace {

using ::google::protobuf::StringValue;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEcho[] = "/firegrid.test.v1.Text/Echo";      // unary: echoes the text
constexpr char kFail[] = "/firegrid.test.v1.Text/Fail";      // unary: INTERNAL, no message
constexpr char kStream[] = "/firegrid.test.v1.Text/Stream";  // server streaming: one echo
constexpr char kCallbackEcho[] = "/firegrid.test.v1.Text/CallbackEcho";  // callback API: echoes

// A hand-written sync service over google.protobuf.StringValue (a proto3 string field, so its
// parse checks UTF-8), as generated services are.
class TextService final : public grpc::Service {
 public:
  TextService() {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kEcho, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<TextService, StringValue, StringValue>(
            [](TextService*, grpc::ServerContext*, const StringValue* req, StringValue* resp) {
              resp->set_value(req->value());
              return grpc::Status::OK;
            },
            this)));
    AddMethod(new grpc::internal::RpcServiceMethod(
        kFail, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<TextService, StringValue, StringValue>(
            [](TextService*, grpc::ServerContext*, const StringValue*, StringValue*) {
              return grpc::Status(grpc::StatusCode::INTERNAL, "");
            },
            this)));
    AddMethod(new grpc::internal::RpcServiceMethod(
        kStream, grpc::internal::RpcMethod::SERVER_STREAMING,
        new grpc::internal::ServerStreamingHandler<TextService, StringValue, StringValue>(
            [](TextService*, grpc::ServerContext*, const StringValue* req,
               grpc::ServerWriter<StringValue>* writer) {
              StringValue out;
              out.set_value(req->value());
              writer->Write(out);
              return grpc::Status::OK;
            },
            this)));
    // A method of the callback API (libs/server/callback_unary.h), as hot reads are.
    AddMethod(new grpc::internal::RpcServiceMethod(kCallbackEcho,
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(
        3, new grpc::internal::CallbackUnaryHandler<StringValue, StringValue>(
               [](grpc::CallbackServerContext* ctx, const StringValue* req, StringValue* resp) {
                 resp->set_value(req->value());
                 grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
                 reactor->Finish(grpc::Status::OK);
                 return reactor;
               }));
  }
};

// StringValue{value: <text>} on the wire, with any bytes as the text.
std::string StringValueBytes(const std::string& text) {
  return absl::StrCat(std::string(1, '\x0a'), std::string(1, static_cast<char>(text.size())), text);
}

const std::string kInvalidUtf8 = StringValueBytes("caf\xc3\x28");  // 0xC3 needs a continuation

class InputInterceptorTest : public ::testing::Test {
 protected:
  void Start(bool with_interceptor) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    if (with_interceptor) {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> c;
      c.push_back(std::make_unique<InputInterceptorFactory>());
      builder.experimental().SetInterceptorCreators(std::move(c));
    }
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Sends `bytes` as the request of `method` and returns the status.
  grpc::Status Call(const char* method, const std::string& bytes, std::string* reply = nullptr) {
    grpc::GenericStub stub(channel_);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer req(&slice, 1);
    grpc::ByteBuffer resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    if (status.ok() && reply != nullptr) {
      StringValue v;
      std::vector<grpc::Slice> slices;
      std::string raw;
      if (resp.Dump(&slices).ok()) {
        for (const auto& s : slices) raw.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      if (v.ParseFromString(raw)) *reply = v.value();
    }
    return status;
  }

  TextService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The premise: without the interceptor, gRPC answers INTERNAL with an empty message.
TEST_F(InputInterceptorTest, WithoutItInvalidUtf8IsAnInternalErrorWithoutAMessage) {
  Start(/*with_interceptor=*/false);
  grpc::Status s = Call(kEcho, kInvalidUtf8);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "");
}

TEST_F(InputInterceptorTest, InvalidUtf8InAStringFieldIsInvalidArgumentNamingTheProblem) {
  Start(/*with_interceptor=*/true);
  grpc::Status s = Call(kEcho, kInvalidUtf8);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not valid UTF-8"));
}

// A callback method answers a request that does not parse with UNIMPLEMENTED and no message;
// the interceptor makes it the same INVALID_ARGUMENT.
TEST_F(InputInterceptorTest, InvalidUtf8ToACallbackMethodIsInvalidArgumentNamingTheProblem) {
  Start(/*with_interceptor=*/false);
  grpc::Status bare = Call(kCallbackEcho, kInvalidUtf8);
  EXPECT_EQ(bare.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(bare.error_message(), "");
  server_->Shutdown();
  Start(/*with_interceptor=*/true);
  grpc::Status s = Call(kCallbackEcho, kInvalidUtf8);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not valid UTF-8"));
  std::string reply;
  ASSERT_TRUE(Call(kCallbackEcho, StringValueBytes("café"), &reply).ok());
  EXPECT_EQ(reply, "café");
}

TEST_F(InputInterceptorTest, InvalidUtf8InAServerStreamingRequestIsInvalidArgument) {
  Start(/*with_interceptor=*/true);
  grpc::Status s = Call(kStream, kInvalidUtf8);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not valid UTF-8"));
}

TEST_F(InputInterceptorTest, BytesThatAreNotTheMessageAreInvalidArgument) {
  Start(/*with_interceptor=*/true);
  grpc::Status s = Call(kEcho, std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("cannot be parsed"));
}

TEST_F(InputInterceptorTest, ValidUtf8TextPassesThrough) {
  Start(/*with_interceptor=*/true);
  std::string reply;
  grpc::Status s = Call(kEcho, StringValueBytes("北碚 café"), &reply);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reply, "北碚 café");
}

TEST_F(InputInterceptorTest, AnInternalErrorOfAHandlerThatRanStaysInternal) {
  Start(/*with_interceptor=*/true);
  grpc::Status s = Call(kFail, StringValueBytes("fine"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(s.error_message(), Not(HasSubstr("UTF-8")));
}

TEST(UnparsableRequestMessage, FallsBackToTheRequestMessageForAnUnknownMethod) {
  // The services' methods are named by their request type (tests/security proves it); a
  // method outside the generated pool is not.
  EXPECT_THAT(UnparsableRequestMessage("/no.such.Service/Method"),
              HasSubstr("the request message"));
  EXPECT_THAT(UnparsableRequestMessage(""), HasSubstr("the request message"));
}

}  // namespace
}  // namespace firegrid::server
