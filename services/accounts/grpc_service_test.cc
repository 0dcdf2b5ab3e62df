// The gRPC adapter in process (127.0.0.1, port 0) on the in-memory store: which methods need a
// bearer token, enrolment tokens, and whose client address the sign-in limit charges.
#include "services/accounts/grpc_service.h"

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/accounts/memory_store.h"
#include "services/accounts/test_keys.h"

namespace firegrid::accounts {
namespace {

constexpr char kHsKey[] = "accounts-grpc-test-key-of-at-least-32-bytes";
constexpr char kPassword[] = "initial-password-1";

class AccountsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *SigningKey::FromPem(testing::TestRsaPrivatePem());
    auth::VerifierOptions vo;
    vo.hs256_key = kHsKey;
    vo.rs256_public_key_pem = key_->public_pem();
    verifier_ = *auth::TokenVerifier::Create(vo);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), &clock_);
    AccountsOptions o;
    o.password_params = {.memory_kib = 64, .passes = 1};
    api_ =
        *AccountsApi::Create(&store_, key_.get(), &clock_, &ids_, o, [this](const SignInEvent& e) {
          absl::MutexLock l(&mu_);
          addresses_.push_back(e.client_address);
        });
    service_ = std::make_unique<AccountsGrpcService>(api_.get(), authenticator_.get(),
                                                     verifier_.get(), &clock_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = v1::AccountsService::NewStub(channel_);
    hs_ = *auth::TokenSigner::Hs256(kHsKey);
  }
  void TearDown() override { server_->Shutdown(); }

  std::string Token(const auth::Principal& p) {
    return *hs_->Sign(p, clock_.Now(), absl::Hours(1));
  }
  std::string AdminToken() {
    return Token(
        {.subject = "user:admin", .role = auth::Role::kDistrictAdmin, .tier_path = "500109"});
  }
  std::string ServiceToken() {
    return Token({.subject = "service:gateway", .role = auth::Role::kInternalService});
  }

  // Calls `method` with an empty request and no metadata; the status.
  grpc::Status CallEmpty(const std::string& method) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    grpc::Slice empty;
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  void CreateWorker() {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, AdminToken());
    v1::CreateUserRequest r;
    r.set_username("worker.1");
    r.set_display_name("Worker");
    r.set_role("community_worker");
    r.set_org_unit("500109001002");
    r.set_initial_password(kPassword);
    v1::User u;
    grpc::Status s = stub_->CreateUser(&ctx, r, &u);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::string LastAddress() {
    absl::MutexLock l(&mu_);
    return addresses_.empty() ? "" : addresses_.back();
  }

  FakeClock clock_{absl::Now()};
  SequentialIdGenerator ids_;
  MemoryStore store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<AccountsApi> api_;
  std::unique_ptr<AccountsGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AccountsService::Stub> stub_;
  std::unique_ptr<auth::TokenSigner> hs_;
  absl::Mutex mu_;
  std::vector<std::string> addresses_;
};

TEST_F(AccountsGrpcTest, EveryMethodOutsideTheAllowlistRefusesACallWithoutAToken) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::AccountsService::service_full_name());
  ASSERT_NE(service, nullptr);
  int unauthenticated = 0;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    grpc::Status s = CallEmpty(absl::StrCat("/", service->full_name(), "/", name));
    if (IsUnauthenticatedMethod(name)) {
      ++unauthenticated;
      EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << name << ": " << s.error_message();
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name;
    }
  }
  EXPECT_EQ(unauthenticated, 4);  // SignIn, Refresh, SignOut, GetJwks, and nothing else
}

TEST_F(AccountsGrpcTest, GetJwksAnswersWithoutAToken) {
  grpc::ClientContext ctx;
  v1::Jwks jwks;
  ASSERT_TRUE(stub_->GetJwks(&ctx, {}, &jwks).ok());
  EXPECT_EQ(jwks.json(), key_->jwks_json());
}

TEST_F(AccountsGrpcTest, AnEnrolmentTokenReachesChangePasswordOnly) {
  CreateWorker();
  grpc::ClientContext sign_in_ctx;
  v1::SignInRequest si;
  si.set_username("worker.1");
  si.set_password(kPassword);
  v1::SignInResponse first;
  ASSERT_TRUE(stub_->SignIn(&sign_in_ctx, si, &first).ok());
  ASSERT_NE(first.enrolment_token(), "");

  grpc::ClientContext list_ctx;
  auth::AttachToken(&list_ctx, first.enrolment_token());
  v1::ListUsersResponse listed;
  EXPECT_EQ(stub_->ListUsers(&list_ctx, {}, &listed).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  grpc::ClientContext change_ctx;
  auth::AttachToken(&change_ctx, first.enrolment_token());
  v1::ChangePasswordRequest cp;
  cp.set_current_password(kPassword);
  cp.set_new_password("a-better-password-2");
  v1::ChangePasswordResponse changed;
  grpc::Status s = stub_->ChangePassword(&change_ctx, cp, &changed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(changed.user().must_change_password());

  // The RS256 access token of the next sign-in authenticates like any other token.
  grpc::ClientContext again_ctx;
  si.set_password("a-better-password-2");
  v1::SignInResponse signed_in;
  ASSERT_TRUE(stub_->SignIn(&again_ctx, si, &signed_in).ok());
  grpc::ClientContext list2_ctx;
  auth::AttachToken(&list2_ctx, signed_in.access_token());
  EXPECT_EQ(stub_->ListUsers(&list2_ctx, {}, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // authenticated; a worker manages no one
}

TEST_F(AccountsGrpcTest, AForwardedClientAddressCountsOnlyWithAnInternalServiceToken) {
  auto sign_in = [&](const std::string& service_token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(kClientAddressMetadata, "ipv4:10.20.30.40");
    if (!service_token.empty()) ctx.AddMetadata(kServiceTokenMetadata, service_token);
    v1::SignInRequest si;
    si.set_username("nobody");
    si.set_password("wrong-password-x");
    v1::SignInResponse r;
    EXPECT_EQ(stub_->SignIn(&ctx, si, &r).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    return LastAddress();
  };
  EXPECT_EQ(sign_in(""), "ipv4:127.0.0.1");
  EXPECT_EQ(sign_in(AdminToken()), "ipv4:127.0.0.1");
  EXPECT_EQ(sign_in("not-a-token"), "ipv4:127.0.0.1");
  EXPECT_EQ(sign_in(ServiceToken()), "ipv4:10.20.30.40");
}

}  // namespace
}  // namespace firegrid::accounts
