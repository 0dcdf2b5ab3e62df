// The demo accounts loader against the real accounts gRPC service in process (127.0.0.1,
// port 0; in-memory store, real clock).
#include "tools/loaders/accounts_loader.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/accounts/totp.h"
#include "libs/auth/grpc_auth.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/memory_store.h"
#include "services/accounts/test_keys.h"

namespace firegrid::loaders {
namespace {

using ::testing::HasSubstr;
namespace av1 = ::firegrid::accounts::v1;

constexpr char kKey[] = "demo-accounts-loader-test-key-0123456789";
constexpr char kPassword[] = "firegrid-demo-password";

class AccountsLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *accounts::SigningKey::FromPem(accounts::testing::TestRsaPrivatePem());
    auth::VerifierOptions vo{.hs256_key = kKey, .rs256_public_key_pem = key_->public_pem()};
    verifier_ = *auth::TokenVerifier::Create(vo);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), RealClock::Get());
    accounts::AccountsOptions o;
    o.password_params = {.memory_kib = 64, .passes = 1};
    api_ = *accounts::AccountsApi::Create(&store_, key_.get(), RealClock::Get(), &ids_, o);
    service_ = std::make_unique<accounts::AccountsGrpcService>(api_.get(), authenticator_.get(),
                                                               verifier_.get(), RealClock::Get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = av1::AccountsService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    auth::Principal loader{.subject = "service:demo-loader", .role = auth::Role::kInternalService};
    token_ = *(*auth::TokenSigner::Hs256(kKey))->Sign(loader, absl::Now(), absl::Hours(1));
  }
  void TearDown() override { server_->Shutdown(); }

  std::vector<LoadedUser> LoadAll() {
    AccountsLoader loader(
        stub_.get(), [this](grpc::ClientContext* ctx) { auth::AttachToken(ctx, token_); },
        absl::Seconds(10));
    auto loaded = loader.Load(DemoUsers("500109001002"), kPassword);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? *loaded : std::vector<LoadedUser>{};
  }

  // Signs in with the demo password and the current code, as a person right after the run.
  void ExpectSignsIn(const LoadedUser& l) {
    av1::SignInRequest req;
    req.set_username(l.user.username);
    req.set_password(kPassword);
    req.set_totp_code(accounts::Hotp(*accounts::Base32Decode(l.totp_secret_base32),
                                     accounts::TotpStep(absl::Now())));
    grpc::ClientContext ctx;
    av1::SignInResponse r;
    grpc::Status s = stub_->SignIn(&ctx, req, &r);
    ASSERT_TRUE(s.ok()) << l.user.username << ": " << s.error_message();
    EXPECT_NE(r.access_token(), "") << l.user.username;
    auto p = verifier_->Verify(r.access_token(), absl::Now());
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(auth::RoleName(p->role), l.user.role);
  }

  SequentialIdGenerator ids_;
  accounts::MemoryStore store_;
  std::unique_ptr<accounts::SigningKey> key_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<accounts::AccountsApi> api_;
  std::unique_ptr<accounts::AccountsGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<av1::AccountsService::Stub> stub_;
  std::string token_;
};

TEST(DemoUsers, OnePerDemoRoleWithTheDevTokensJurisdictions) {
  std::vector<DemoUser> users = DemoUsers("500109001002");
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users[0].username, "district");
  EXPECT_EQ(users[1].username, "worker.500109001002");
  EXPECT_EQ(users[2].org_unit, "500109.urban_management");
  EXPECT_EQ(users[3].username, "street.500109001");
  EXPECT_EQ(users[3].org_unit, "500109001");
}

TEST_F(AccountsLoaderTest, EveryDemoUserSignsInWithThePasswordAndTheirCodeAlsoAfterARerun) {
  std::vector<LoadedUser> first = LoadAll();
  ASSERT_EQ(first.size(), 4u);
  for (const LoadedUser& l : first) ExpectSignsIn(l);
  std::vector<LoadedUser> second = LoadAll();
  ASSERT_EQ(second.size(), 4u);
  EXPECT_NE(first[0].totp_secret_base32, second[0].totp_secret_base32);
  for (const LoadedUser& l : second) ExpectSignsIn(l);
  const std::string text = DemoUsersText(second, kPassword);
  EXPECT_THAT(text, HasSubstr("Password: firegrid-demo-password"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("district district_admin 500109 ",
                                           second[0].totp_secret_base32, "\n")));
  EXPECT_THAT(text, HasSubstr("firegridctl accounts totp-code --secret"));
}

}  // namespace
}  // namespace firegrid::loaders
