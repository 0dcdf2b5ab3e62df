// Accounts end to end: the firegrid-accounts and firegrid-buildings binaries with a real
// redis-server and the dev broker. A district admin (development HS256 token) creates a user;
// the user signs in with password + TOTP (changing the initial password and enrolling the
// second factor on the way, with the enrolment token); the RS256 access token then works on
// buildings, which verifies both kinds of token.
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/accounts/totp.h"
#include "nlohmann/json.hpp"
#include "services/accounts/keys.h"
#include "services/accounts/test_keys.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace av1 = ::firegrid::accounts::v1;

TEST(AccountsE2E, AUserSignsInWithPasswordAndTotpAndCallsBuildingsWithTheRs256Token) {
  testing::TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker;
  ASSERT_TRUE(redis.Start().ok());
  ASSERT_TRUE(broker.Start().ok());
  const std::string hs_key = testing::WriteKeyFile(dir.path());
  const std::string private_pem = accounts::testing::NewRsaPrivatePem();
  const std::string private_file = dir.path() + "/accounts-signing-key.pem";
  const std::string public_file = dir.path() + "/accounts-signing-key.pub.pem";
  std::ofstream(private_file) << private_pem;
  std::ofstream(public_file) << (*accounts::SigningKey::FromPem(private_pem))->public_pem();

  auto accounts_svc = testing::PollingService(
      FIREGRID_ACCOUNTS_BIN, "accounts",
      {"--signing-key-file=" + private_file, "--jwt-rs256-public-key-file=" + public_file},
      redis.address(), broker.bootstrap(), hs_key, dir.path());
  auto buildings_svc = testing::PollingService(
      FIREGRID_BUILDINGS_BIN, "buildings",
      {std::string("--rules-file=") + FIREGRID_CONFIG_DIR + "/buildings_rules.textproto",
       "--jwt-rs256-public-key-file=" + public_file},
      redis.address(), broker.bootstrap(), hs_key, dir.path());
  ASSERT_TRUE(accounts_svc->Start().ok());
  ASSERT_TRUE(buildings_svc->Start().ok());
  auto accounts_stub = av1::AccountsService::NewStub(
      grpc::CreateChannel(accounts_svc->grpc_address(), grpc::InsecureChannelCredentials()));
  auto buildings_stub = buildings::v1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_svc->grpc_address(), grpc::InsecureChannelCredentials()));

  // A district admin with a development token creates the user.
  testing::DevTokens dev;
  const std::string admin = dev.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  av1::CreateUserRequest create;
  create.set_username("district.ops");
  create.set_display_name("District operations");
  create.set_role("district_admin");
  create.set_org_unit("500109");
  create.set_initial_password("initial-password-1");
  create.set_require_totp(true);
  av1::User user;
  grpc::Status s = accounts_stub->CreateUser(testing::CallContext(admin).get(), create, &user);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // First sign-in: only an enrolment token.
  av1::SignInRequest sign_in;
  sign_in.set_username("district.ops");
  sign_in.set_password("initial-password-1");
  av1::SignInResponse first;
  s = accounts_stub->SignIn(testing::CallContext("").get(), sign_in, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(first.password_change_required());
  ASSERT_TRUE(first.totp_enrolment_required());
  EXPECT_EQ(first.access_token(), "");
  // Buildings refuses the enrolment token.
  buildings::v1::ListOrgUnitsRequest list_units;
  buildings::v1::ListOrgUnitsResponse units;
  EXPECT_EQ(
      buildings_stub
          ->ListOrgUnits(testing::CallContext(first.enrolment_token()).get(), list_units, &units)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);

  av1::ChangePasswordRequest change;
  change.set_current_password("initial-password-1");
  change.set_new_password("a-better-password-2");
  av1::ChangePasswordResponse changed;
  s = accounts_stub->ChangePassword(testing::CallContext(first.enrolment_token()).get(), change,
                                    &changed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  av1::TotpEnrolment enrolment;
  s = accounts_stub->BeginTotpEnrolment(testing::CallContext(first.enrolment_token()).get(), {},
                                        &enrolment);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string secret = *accounts::Base32Decode(enrolment.secret_base32());
  const uint64_t step = accounts::TotpStep(absl::Now());
  av1::ConfirmTotpEnrolmentRequest confirm;
  confirm.set_totp_code(accounts::Hotp(secret, step));
  s = accounts_stub->ConfirmTotpEnrolment(testing::CallContext(first.enrolment_token()).get(),
                                          confirm, &user);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Signing in: password + the next step's code (one step of drift is allowed; the step
  // used to confirm is spent).
  sign_in.set_password("a-better-password-2");
  sign_in.set_totp_code(accounts::Hotp(secret, step + 1));
  av1::SignInResponse signed_in;
  s = accounts_stub->SignIn(testing::CallContext("").get(), sign_in, &signed_in);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_NE(signed_in.access_token(), "");
  std::vector<std::string> parts = absl::StrSplit(signed_in.access_token(), '.');
  std::string header;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header));
  EXPECT_EQ(nlohmann::json::parse(header)["alg"], "RS256");

  // The RS256 token works on buildings: the org units and a building of the district.
  buildings::v1::Building b =
      testing::RegisterCommunityBuilding(*buildings_stub, signed_in.access_token());
  EXPECT_FALSE(b.building_id().empty());
  // ... and the development token still does.
  s = buildings_stub->ListOrgUnits(testing::CallContext(admin).get(), list_units, &units);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GE(units.org_units_size(), 3);

  // The JWKS names the key of the token.
  av1::Jwks jwks;
  ASSERT_TRUE(accounts_stub->GetJwks(testing::CallContext("").get(), {}, &jwks).ok());
  EXPECT_EQ(nlohmann::json::parse(jwks.json())["keys"][0]["kid"],
            nlohmann::json::parse(header)["kid"]);

  auto code = accounts_svc->Stop();
  EXPECT_TRUE(code.ok() && *code == 0);
  code = buildings_svc->Stop();
  EXPECT_TRUE(code.ok() && *code == 0);
}

}  // namespace
}  // namespace firegrid
