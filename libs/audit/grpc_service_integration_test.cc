// The AuditService on a real gRPC server over a real Redis: district admins read an object's
// records and verify the chain; anyone else is refused; bad requests name the field.
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/audit/grpc_service.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "tests/support/shared_redis.h"

namespace firegrid::audit {
namespace {

constexpr char kKey[] = "audit-test-key-0123456789abcdef0123";

class AuditServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewSharedRedisPool();
    RandomIdGenerator ids;
    log_ = std::make_unique<AuditLog>(
        pool_.get(), RealClock::Get(),
        AuditLogOptions{.key_prefix = "audit-svc:" + ids.NewId("t"), .service = "hazards"});
    auth::VerifierOptions vo;
    vo.hs256_key = kKey;
    verifier_ = *auth::TokenVerifier::Create(vo);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), RealClock::Get());
    service_ = std::make_unique<AuditGrpcService>(log_.get(), authenticator_.get());
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AuditService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                          grpc::InsecureChannelCredentials()));
    signer_ = *auth::TokenSigner::Hs256(kKey);
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Token(auth::Role role, const std::string& tier) {
    auth::Principal p;
    p.subject = "u-" + tier;
    p.role = role;
    p.tier_path = tier;
    return *signer_->Sign(p, absl::Now(), absl::Hours(1));
  }
  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    auth::AttachToken(ctx.get(), token);
    return ctx;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<AuditGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AuditService::Stub> stub_;
  std::unique_ptr<auth::TokenSigner> signer_;
};

TEST_F(AuditServiceTest, DistrictAdminReadsAnObjectsRecordsPageByPage) {
  for (int i = 0; i < 3; ++i) {
    AuditRecord r;
    r.set_method("/firegrid.hazards.v1.HazardService/VerifyHazard");
    r.set_object_id("hzd_1");
    r.set_result_code("OK");
    ASSERT_TRUE(log_->Append(r).ok());
  }
  v1::ListAuditRecordsRequest req;
  req.set_object_id("hzd_1");
  req.set_page_size(2);
  v1::ListAuditRecordsResponse first, second;
  const std::string admin = Token(auth::Role::kDistrictAdmin, "500109");
  ASSERT_TRUE(stub_->ListAuditRecords(Ctx(admin).get(), req, &first).ok());
  ASSERT_EQ(first.records_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  EXPECT_EQ(first.next_page_token().find('|'), std::string::npos);
  req.set_page_token(first.next_page_token());
  ASSERT_TRUE(stub_->ListAuditRecords(Ctx(admin).get(), req, &second).ok());
  ASSERT_EQ(second.records_size(), 1);
  EXPECT_EQ(second.records(0).sequence(), 3);
  EXPECT_TRUE(second.next_page_token().empty());

  v1::VerifyAuditChainResponse v;
  ASSERT_TRUE(stub_->VerifyAuditChain(Ctx(admin).get(), v1::VerifyAuditChainRequest(), &v).ok());
  EXPECT_TRUE(v.intact());
  EXPECT_EQ(v.checked(), 3);
}

TEST_F(AuditServiceTest, AnyoneButADistrictAdminIsRefused) {
  v1::ListAuditRecordsRequest req;
  req.set_object_id("hzd_1");
  v1::ListAuditRecordsResponse resp;
  for (auto [role, tier] : std::vector<std::pair<auth::Role, std::string>>{
           {auth::Role::kStreetOfficer, "500109001"},
           {auth::Role::kCommunityWorker, "500109001002"}}) {
    EXPECT_EQ(stub_->ListAuditRecords(Ctx(Token(role, tier)).get(), req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    v1::VerifyAuditChainResponse v;
    EXPECT_EQ(
        stub_->VerifyAuditChain(Ctx(Token(role, tier)).get(), v1::VerifyAuditChainRequest(), &v)
            .error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->ListAuditRecords(&anonymous, req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuditServiceTest, MissingObjectIdOrBadTokenIsInvalidArgumentNamingTheField) {
  const std::string admin = Token(auth::Role::kDistrictAdmin, "500109");
  v1::ListAuditRecordsResponse resp;
  grpc::Status s = stub_->ListAuditRecords(Ctx(admin).get(), v1::ListAuditRecordsRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("object_id"), std::string::npos);
  v1::ListAuditRecordsRequest req;
  req.set_object_id("hzd_1");
  req.set_page_token("not-a-token");
  s = stub_->ListAuditRecords(Ctx(admin).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("page_token"), std::string::npos);
}

}  // namespace
}  // namespace firegrid::audit
