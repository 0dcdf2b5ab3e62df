#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "grpcpp/client_context.h"

namespace firegrid::loaders {

// A demo console user: one per role of the demo org units, with the jurisdictions of the
// development tokens run-local writes (dev-token, dev-token-community,
// dev-token-urban_management) and a street office.
struct DemoUser {
  std::string username;
  std::string display_name;
  std::string role;
  std::string org_unit;
};

// `district` (district_admin 500109), `worker.<community>` (community_worker),
// `dept.urban_management` (department_officer 500109.urban_management), `street.<street>`
// (street_officer of the community's street).
std::vector<DemoUser> DemoUsers(const std::string& community);

struct LoadedUser {
  DemoUser user;
  std::string totp_secret_base32;
};

// Creates the demo users through the accounts service's public API and readies them for
// sign-in: CreateUser (as an internal service; a user that exists has its credentials reset
// instead, so that a re-run yields known secrets), the first SignIn, ChangePassword to
// `password`, and a TOTP enrolment confirmed with the previous time step's code. Afterwards each
// user signs in with `password` and the current code of their secret, at once.
class AccountsLoader {
 public:
  // `authorize` attaches the internal service's token to a call.
  AccountsLoader(accounts::v1::AccountsService::StubInterface* stub,
                 std::function<void(grpc::ClientContext*)> authorize, absl::Duration timeout)
      : stub_(stub), authorize_(std::move(authorize)), timeout_(timeout) {}

  absl::StatusOr<std::vector<LoadedUser>> Load(const std::vector<DemoUser>& users,
                                               const std::string& password);

 private:
  absl::StatusOr<LoadedUser> LoadOne(const DemoUser& user, const std::string& password);
  void Deadline(grpc::ClientContext* ctx) const;

  accounts::v1::AccountsService::StubInterface* stub_;
  std::function<void(grpc::ClientContext*)> authorize_;
  absl::Duration timeout_;
};

// The contents of $STATE/demo-users.txt: the password, how to get a code, one line per user.
std::string DemoUsersText(const std::vector<LoadedUser>& users, const std::string& password);

}  // namespace firegrid::loaders
