// `firegridctl accounts ...` against the real accounts gRPC service in process (127.0.0.1,
// port 0; in-memory store).
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/accounts/totp.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/memory_store.h"
#include "services/accounts/test_keys.h"
#include "tests/support/self_signed_certificate.h"
#include "tests/support/temp_dir.h"
#include "tools/firegridctl/cli.h"

namespace firegrid::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "firegridctl-accounts-test-key-0123456789";

class AccountsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterAllCommands(&registry_);
    key_ = *accounts::SigningKey::FromPem(accounts::testing::TestRsaPrivatePem());
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), RealClock::Get());
    accounts::AccountsOptions o;
    o.password_params = {.memory_kib = 64, .passes = 1};
    api_ = *accounts::AccountsApi::Create(&store_, key_.get(), RealClock::Get(), &ids_, o);
    service_ = std::make_unique<accounts::AccountsGrpcService>(api_.get(), authenticator_.get(),
                                                               verifier_.get(), RealClock::Get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", ServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
    auth::Principal admin{
        .subject = "user:admin", .role = auth::Role::kDistrictAdmin, .tier_path = "500109"};
    token_ = *(*auth::TokenSigner::Hs256(kKey))->Sign(admin, absl::Now(), absl::Hours(1));
    password_file_ = dir_.path() + "/password";
    std::ofstream(password_file_) << "initial-password-1\n";
  }
  void TearDown() override { server_->Shutdown(); }
  virtual std::shared_ptr<grpc::ServerCredentials> ServerCredentials() {
    return grpc::InsecureServerCredentials();
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunCli(registry_, args,
                  {{"FIREGRID_ACCOUNTS_ADDR", address_}, {"FIREGRID_TOKEN", token_}}, out_, err_);
  }

  Registry registry_;
  SequentialIdGenerator ids_;
  accounts::MemoryStore store_;
  std::unique_ptr<accounts::SigningKey> key_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<accounts::AccountsApi> api_;
  std::unique_ptr<accounts::AccountsGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_, token_, password_file_;
  std::ostringstream out_, err_;
  firegrid::testing::TempDir dir_{"accounts-cli"};
};

TEST_F(AccountsCliTest, CreatesListsAndDisablesUsers) {
  ASSERT_EQ(
      Run({"accounts", "create", "worker.500109001002", "--role", "community_worker", "--org-unit",
           "500109001002", "--display-name", "网格员", "--initial-password-file", password_file_}),
      0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("worker.500109001002"));
  ASSERT_EQ(
      Run({"accounts", "create", "dept.urban_management", "--role", "department_officer",
           "--org-unit", "500109.urban_management", "--initial-password-file", password_file_}),
      0)
      << err_.str();
  ASSERT_EQ(Run({"accounts", "list"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("dept.urban_management"));
  EXPECT_THAT(out_.str(), HasSubstr("网格员"));
  ASSERT_EQ(Run({"accounts", "list", "--role", "department_officer"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), Not(HasSubstr("worker.500109001002")));

  EXPECT_EQ(Run({"accounts", "disable", "worker.500109001002"}), 2);  // --reason is required
  ASSERT_EQ(Run({"accounts", "disable", "worker.500109001002", "--reason", "left"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("disabled"));
  ASSERT_EQ(Run({"accounts", "list", "--state", "disabled"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("worker.500109001002"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("dept.urban_management")));
}

TEST_F(AccountsCliTest, CreateReportsTheServersFieldError) {
  EXPECT_EQ(Run({"accounts", "create", "worker.1", "--role", "community_worker", "--org-unit",
                 "500109001", "--initial-password-file", password_file_}),
            1);
  EXPECT_THAT(err_.str(), HasSubstr("org_unit:"));
}

TEST_F(AccountsCliTest, TotpCodePrintsTheCurrentCodeOfASecret) {
  const std::string secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";  // RFC 6238's "1234567890..."
  const std::string bytes = *accounts::Base32Decode(secret);
  const std::string before = accounts::Hotp(bytes, accounts::TotpStep(absl::Now()));
  ASSERT_EQ(Run({"accounts", "totp-code", "--secret", secret}), 0) << err_.str();
  const std::string after = accounts::Hotp(bytes, accounts::TotpStep(absl::Now()));
  const std::string printed = out_.str();
  EXPECT_TRUE(printed == before + "\n" || printed == after + "\n") << printed;
  EXPECT_EQ(Run({"accounts", "totp-code", "--secret", "not base32!"}), 2);
}

// The same service behind TLS (a self-signed certificate for 127.0.0.1, its own CA).
class TlsCliTest : public AccountsCliTest {
 protected:
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() override {
    cert_file_ = dir_.path() + "/server.pem";
    key_file_ = dir_.path() + "/server.key";
    EXPECT_TRUE(firegrid::testing::WriteSelfSignedCertificate(cert_file_, key_file_).ok());
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({ReadAll(key_file_), ReadAll(cert_file_)});
    return grpc::SslServerCredentials(ssl);
  }
  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string cert_file_, key_file_;
};

TEST_F(TlsCliTest, CallsATlsServerWithTheCaOfItsCertificateAndFailsWithout) {
  EXPECT_EQ(Run({"accounts", "list", "--tls-ca-file", cert_file_}), 0) << err_.str();
  // Plaintext to a TLS port: the call fails, it does not fall back.
  EXPECT_EQ(Run({"accounts", "list", "--timeout", "2s"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("UNAVAILABLE"));
}

TEST_F(TlsCliTest, TheCaFileMayComeFromTheEnvironment) {
  out_.str("");
  err_.str("");
  EXPECT_EQ(RunCli(registry_, {"accounts", "list"},
                   {{"FIREGRID_ACCOUNTS_ADDR", address_},
                    {"FIREGRID_TOKEN", token_},
                    {"FIREGRID_TLS_CA_FILE", cert_file_}},
                   out_, err_),
            0)
      << err_.str();
}

TEST_F(TlsCliTest, AClientCertificateNeedsItsKeyAndTheCa) {
  EXPECT_EQ(Run({"accounts", "list", "--tls-ca-file", cert_file_, "--tls-cert-file", cert_file_}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--tls-key-file"));
  EXPECT_EQ(Run({"accounts", "list", "--tls-ca-file", dir_.path() + "/missing.pem"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--tls-ca-file"));
}

}  // namespace
}  // namespace firegrid::ctl
