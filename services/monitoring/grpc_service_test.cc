// The gRPC adapter in process (127.0.0.1, port 0): the Ingest stream's authentication, sources,
// limits and sums, with the ingest pipeline replaced by a recording fake.
#include "services/monitoring/grpc_service.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"

namespace firegrid::monitoring {
namespace {

constexpr char kKey[] = "monitoring-test-key-of-at-least-32-bytes";

struct Call {
  SignalSource source;
  std::vector<v1::Signal> signals;
};

class IngestRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    signer_ = *auth::TokenSigner::Hs256(kKey);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), &clock_);
    service_ = std::make_unique<MonitoringGrpcService>(
        nullptr, nullptr,
        [this](const SignalSource& source,
               std::vector<v1::Signal> signals) -> absl::StatusOr<IngestResult> {
          std::lock_guard<std::mutex> l(mu_);
          if (!fail_with_.ok()) return fail_with_;
          IngestResult r;
          for (const auto& s : signals) {
            if (s.device_id() == "unknown") {
              ++r.rejected;
              v1::RejectedSignal rej;
              rej.set_device_id(s.device_id());
              rej.set_sequence(s.sequence());
              rej.set_reason("unknown_device");
              if (r.rejections.size() < 100) r.rejections.push_back(rej);
            } else if (s.sequence() == 0) {
              ++r.duplicates;
            } else {
              ++r.accepted;
            }
          }
          calls_.push_back({source, std::move(signals)});
          return r;
        },
        authenticator_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::MonitoringService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                               grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Token(const std::string& subject, auth::Role role) {
    auth::Principal p;
    p.subject = subject;
    p.role = role;
    if (role != auth::Role::kIotGateway && role != auth::Role::kInternalService) {
      p.tier_path = role == auth::Role::kDistrictAdmin || role == auth::Role::kDepartmentOfficer
                        ? "500109"
                    : role == auth::Role::kStreetOfficer ? "500109001"
                                                         : "500109001002";
    }
    if (role == auth::Role::kMicroStation) p.org_unit = "mfs_1";
    if (role == auth::Role::kDepartmentOfficer) p.department = "fire_rescue";
    auto t = signer_->Sign(p, clock_.Now(), absl::Hours(1));
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : "";
  }

  static v1::IngestRequest Batch(int n, const std::string& gateway = "", int first_seq = 1) {
    v1::IngestRequest r;
    r.set_gateway_id(gateway);
    for (int i = 0; i < n; ++i) {
      auto* s = r.add_signals();
      s->set_device_id("dev-" + std::to_string(i % 7));
      s->set_sequence(first_seq + i);
    }
    return r;
  }

  // Sends `requests` on one stream with `token`; returns the final status.
  grpc::Status Send(const std::string& token, const std::vector<v1::IngestRequest>& requests,
                    v1::IngestResponse* resp) {
    grpc::ClientContext ctx;
    if (!token.empty()) auth::AttachToken(&ctx, token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto writer = stub_->Ingest(&ctx, resp);
    for (const auto& r : requests) {
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::vector<Call> calls() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

  FakeClock clock_{absl::Now()};
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<MonitoringGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::MonitoringService::Stub> stub_;
  std::mutex mu_;
  absl::Status fail_with_;
  std::vector<Call> calls_;
};

TEST_F(IngestRpcTest, AGatewaysBatchesComeFromItsOwnGatewayAndTheResponseSumsThem) {
  v1::IngestRequest second = Batch(3, "gw-7", 100);
  second.mutable_signals(0)->set_sequence(0);           // a duplicate
  second.mutable_signals(1)->set_device_id("unknown");  // rejected
  v1::IngestResponse resp;
  grpc::Status s = Send(Token("gw-7", auth::Role::kIotGateway), {Batch(5), second}, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto got = calls();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& c : got) {
    EXPECT_EQ(c.source.kind, SignalSource::Kind::kGateway);
    EXPECT_EQ(c.source.id, "gw-7");
  }
  EXPECT_EQ(got[0].signals.size(), 5u);
  EXPECT_EQ(resp.accepted(), 6);
  EXPECT_EQ(resp.duplicates(), 1);
  EXPECT_EQ(resp.rejected_total(), 1);
  ASSERT_EQ(resp.rejected_size(), 1);
  EXPECT_EQ(resp.rejected(0).reason(), "unknown_device");
}

TEST_F(IngestRpcTest, AGatewayNamingAnotherGatewayIsDeniedAndNothingIsHandled) {
  v1::IngestResponse resp;
  grpc::Status s = Send(Token("gw-7", auth::Role::kIotGateway), {Batch(2, "gw-8")}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(calls().empty());
}

TEST_F(IngestRpcTest, AServiceCallerSpeaksForTheGatewayItNamesAsAnInternalSource) {
  v1::IngestResponse resp;
  ASSERT_TRUE(
      Send(Token("service:loader", auth::Role::kInternalService), {Batch(2, "gw-9")}, &resp).ok());
  auto got = calls();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].source.kind, SignalSource::Kind::kInternal);
  EXPECT_EQ(got[0].source.id, "gw-9");
}

TEST_F(IngestRpcTest, AServiceCallerWithoutAGatewayIdIsInvalidArgumentNamingIt) {
  v1::IngestResponse resp;
  grpc::Status s = Send(Token("service:loader", auth::Role::kInternalService), {Batch(2)}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("gateway_id"), std::string::npos) << s.error_message();
  EXPECT_TRUE(calls().empty());
}

class IngestRoleTest : public IngestRpcTest, public ::testing::WithParamInterface<auth::Role> {};

TEST_P(IngestRoleTest, IsPermissionDenied) {
  v1::IngestResponse resp;
  grpc::Status s = Send(Token("someone", GetParam()), {Batch(1, "gw-7")}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_TRUE(calls().empty());
}

INSTANTIATE_TEST_SUITE_P(OtherRoles, IngestRoleTest,
                         ::testing::Values(auth::Role::kDistrictAdmin,
                                           auth::Role::kDepartmentOfficer,
                                           auth::Role::kStreetOfficer, auth::Role::kCommunityWorker,
                                           auth::Role::kBuildingManager, auth::Role::kServiceAgency,
                                           auth::Role::kMicroStation),
                         [](const ::testing::TestParamInfo<auth::Role>& info) {
                           std::string name(auth::RoleName(info.param));
                           std::erase(name, '_');
                           return name;
                         });

TEST_F(IngestRpcTest, WithoutATokenIsUnauthenticated) {
  v1::IngestResponse resp;
  EXPECT_EQ(Send("", {Batch(1)}, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(calls().empty());
}

TEST_F(IngestRpcTest, ARequestOfMoreThanAThousandSignalsIsInvalidArgumentAfterTheEarlierOnes) {
  v1::IngestResponse resp;
  grpc::Status s =
      Send(Token("gw-7", auth::Role::kIotGateway), {Batch(1000), Batch(1001), Batch(3)}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("signals"), std::string::npos) << s.error_message();
  auto got = calls();
  ASSERT_EQ(got.size(), 1u);  // the first batch, which stays handled
  EXPECT_EQ(got[0].signals.size(), 1000u);
}

TEST_F(IngestRpcTest, ABatchThePipelineCannotHandleEndsTheStreamUnavailable) {
  {
    std::lock_guard<std::mutex> l(mu_);
    fail_with_ = absl::UnavailableError("redis down");
  }
  v1::IngestResponse resp;
  grpc::Status s = Send(Token("gw-7", auth::Role::kIotGateway), {Batch(2)}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(IngestRpcTest, TheResponseListsAtMostAHundredRejections) {
  v1::IngestRequest r;
  for (int i = 0; i < 150; ++i) {
    auto* s = r.add_signals();
    s->set_device_id("unknown");
    s->set_sequence(i + 1);
  }
  v1::IngestResponse resp;
  ASSERT_TRUE(Send(Token("gw-7", auth::Role::kIotGateway), {r, r}, &resp).ok());
  EXPECT_EQ(resp.rejected_total(), 300);
  EXPECT_EQ(resp.rejected_size(), 100);
}

}  // namespace
}  // namespace firegrid::monitoring
