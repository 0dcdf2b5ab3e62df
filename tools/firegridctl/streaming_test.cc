// `call` of a server-streaming method: every message arrives, in order, and the final status
// is the server's.
#include <sstream>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "testdata/streaming.grpc.pb.h"
#include "tools/firegridctl/rpc.h"

namespace firegrid::ctl {
namespace {

using ::testing::ElementsAre;
namespace tpb = ::firegrid::ctl::testing;

class CountServiceImpl final : public tpb::CountService::Service {
 public:
  grpc::Status Count(grpc::ServerContext* ctx, const tpb::CountRequest* req,
                     grpc::ServerWriter<tpb::CountReply>* writer) override {
    deadline = ctx->deadline();
    for (int i = 1; i <= req->up_to(); ++i) {
      tpb::CountReply r;
      r.set_n(i);
      writer->Write(r);
    }
    return grpc::Status::OK;
  }
  grpc::Status Fail(grpc::ServerContext*, const tpb::CountRequest*,
                    grpc::ServerWriter<tpb::CountReply>* writer) override {
    tpb::CountReply r;
    r.set_n(1);
    writer->Write(r);
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "stopped after one");
  }

  // The deadline the last Count call arrived with (time_point::max() when it had none).
  std::chrono::system_clock::time_point deadline;
};

// True when the server saw no deadline at all (not merely a far one).
bool NoDeadline(std::chrono::system_clock::time_point deadline) {
  return deadline == std::chrono::system_clock::time_point::max();
}

class StreamingCallTest : public ::testing::Test {
 protected:
  StreamingCallTest() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~StreamingCallTest() override { server_->Shutdown(); }

  absl::Status Call(const std::string& method, const std::string& json, std::vector<int>* got,
                    std::optional<absl::Duration> timeout = std::nullopt) {
    GlobalOptions o;
    o.timeout = timeout;
    o.addr = "127.0.0.1:" + std::to_string(port_);
    std::ostringstream out, err;
    Context ctx(o, {}, out, err);
    auto m = FindMethod(method);
    if (!m.ok()) return m.status();
    auto req = RequestFromJson(*m, json);
    if (!req.ok()) return req.status();
    return CallGeneric(ctx, *m, **req, [&](const google::protobuf::Message& r) {
      got->push_back(static_cast<const tpb::CountReply&>(r).n());
    });
  }

  CountServiceImpl service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(StreamingCallTest, DeliversEveryStreamedMessageInOrder) {
  std::vector<int> got;
  absl::Status s = Call("firegrid.ctl.testing.CountService/Count", R"({"up_to": 4})", &got);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(got, ElementsAre(1, 2, 3, 4));
}

TEST_F(StreamingCallTest, EmptyStreamIsOk) {
  std::vector<int> got;
  EXPECT_TRUE(Call("firegrid.ctl.testing.CountService/Count", "{}", &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST_F(StreamingCallTest, ServerErrorAfterMessagesIsReturned) {
  std::vector<int> got;
  absl::Status s = Call("firegrid.ctl.testing.CountService/Fail", "{}", &got);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "stopped after one");
  EXPECT_THAT(got, ElementsAre(1));
}

TEST_F(StreamingCallTest, StreamingCallHasNoDeadlineByDefault) {
  std::vector<int> got;
  ASSERT_TRUE(Call("firegrid.ctl.testing.CountService/Count", R"({"up_to": 1})", &got).ok());
  EXPECT_TRUE(NoDeadline(service_.deadline));
}

TEST_F(StreamingCallTest, TimeoutZeroMeansNoDeadline) {
  std::vector<int> got;
  ASSERT_TRUE(Call("firegrid.ctl.testing.CountService/Count", R"({"up_to": 1})", &got,
                   absl::InfiniteDuration())
                  .ok());
  EXPECT_TRUE(NoDeadline(service_.deadline));
}

TEST_F(StreamingCallTest, ExplicitTimeoutSetsTheStreamsDeadline) {
  std::vector<int> got;
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(
      Call("firegrid.ctl.testing.CountService/Count", R"({"up_to": 1})", &got, absl::Minutes(5))
          .ok());
  EXPECT_FALSE(NoDeadline(service_.deadline));
  EXPECT_LT(service_.deadline, before + std::chrono::minutes(6));
  EXPECT_GT(service_.deadline, before + std::chrono::minutes(4));
}

}  // namespace
}  // namespace firegrid::ctl
