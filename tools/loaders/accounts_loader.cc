#include "tools/loaders/accounts_loader.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/accounts/totp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"

namespace firegrid::loaders {
namespace {

namespace av1 = ::firegrid::accounts::v1;

// The password a demo user is created (or reset) with, changed to the demo password at once.
std::string InitialPassword(const std::string& password) { return password + "-initial"; }

}  // namespace

std::vector<DemoUser> DemoUsers(const std::string& community) {
  const std::string street = community.substr(0, 9);
  return {
      {"district", "北碚区管理员", "district_admin", "500109"},
      {absl::StrCat("worker.", community), absl::StrCat("网格员 ", community), "community_worker",
       community},
      {"dept.urban_management", "城市管理局", "department_officer", "500109.urban_management"},
      {absl::StrCat("street.", street), absl::StrCat("街道 ", street), "street_officer", street},
  };
}

void AccountsLoader::Deadline(grpc::ClientContext* ctx) const {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
}

absl::StatusOr<std::vector<LoadedUser>> AccountsLoader::Load(const std::vector<DemoUser>& users,
                                                             const std::string& password) {
  std::vector<LoadedUser> loaded;
  for (const DemoUser& u : users) {
    FG_ASSIGN_OR_RETURN(LoadedUser l, LoadOne(u, password));
    loaded.push_back(std::move(l));
  }
  return loaded;
}

absl::StatusOr<LoadedUser> AccountsLoader::LoadOne(const DemoUser& user,
                                                   const std::string& password) {
  {
    av1::CreateUserRequest req;
    req.set_username(user.username);
    req.set_display_name(user.display_name);
    req.set_role(user.role);
    req.set_org_unit(user.org_unit);
    req.set_initial_password(InitialPassword(password));
    req.set_require_totp(true);
    grpc::ClientContext ctx;
    Deadline(&ctx);
    authorize_(&ctx);
    av1::User created;
    absl::Status s = FromGrpcStatus(stub_->CreateUser(&ctx, req, &created));
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      // A re-run: new credentials, so that the secrets written now are the ones that work.
      av1::ResetCredentialsRequest reset;
      reset.set_username(user.username);
      reset.set_new_initial_password(InitialPassword(password));
      reset.set_reset_totp(true);
      grpc::ClientContext reset_ctx;
      Deadline(&reset_ctx);
      authorize_(&reset_ctx);
      av1::ResetCredentialsResponse r;
      s = FromGrpcStatus(stub_->ResetCredentials(&reset_ctx, reset, &r));
      if (s.ok() && r.user().state() != av1::USER_STATE_ACTIVE) {
        av1::EnableUserRequest enable;
        enable.set_username(user.username);
        grpc::ClientContext enable_ctx;
        Deadline(&enable_ctx);
        authorize_(&enable_ctx);
        av1::User enabled;
        s = FromGrpcStatus(stub_->EnableUser(&enable_ctx, enable, &enabled));
      }
    }
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat(user.username, ": ", s.message()));
  }
  av1::SignInRequest sign_in;
  sign_in.set_username(user.username);
  sign_in.set_password(InitialPassword(password));
  av1::SignInResponse first;
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    FG_RETURN_IF_ERROR(FromGrpcStatus(stub_->SignIn(&ctx, sign_in, &first)));
  }
  if (first.enrolment_token().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(user.username, ": the first sign-in gave no enrolment token"));
  }
  auto as_user = [&](grpc::ClientContext* ctx) {
    Deadline(ctx);
    auth::AttachToken(ctx, first.enrolment_token());
  };
  {
    av1::ChangePasswordRequest req;
    req.set_current_password(InitialPassword(password));
    req.set_new_password(password);
    grpc::ClientContext ctx;
    as_user(&ctx);
    av1::ChangePasswordResponse r;
    FG_RETURN_IF_ERROR(FromGrpcStatus(stub_->ChangePassword(&ctx, req, &r)));
  }
  av1::TotpEnrolment enrolment;
  {
    grpc::ClientContext ctx;
    as_user(&ctx);
    FG_RETURN_IF_ERROR(FromGrpcStatus(stub_->BeginTotpEnrolment(&ctx, {}, &enrolment)));
  }
  FG_ASSIGN_OR_RETURN(std::string secret, accounts::Base32Decode(enrolment.secret_base32()));
  {
    av1::ConfirmTotpEnrolmentRequest req;
    // The previous step's code (one step of drift is accepted): the current code stays unused,
    // so a person can sign in with it right after the run.
    req.set_totp_code(accounts::Hotp(secret, accounts::TotpStep(absl::Now()) - 1));
    grpc::ClientContext ctx;
    as_user(&ctx);
    av1::User u;
    FG_RETURN_IF_ERROR(FromGrpcStatus(stub_->ConfirmTotpEnrolment(&ctx, req, &u)));
  }
  return LoadedUser{user, enrolment.secret_base32()};
}

std::string DemoUsersText(const std::vector<LoadedUser>& users, const std::string& password) {
  std::string out = absl::StrCat(
      "# firegrid demo console users (deploy/run-local.sh). Password: ", password, "\n",
      "# The current TOTP code of a user: firegridctl accounts totp-code --secret <secret>\n",
      "# (or add the secret to an authenticator app). A code works once.\n",
      "# username role org_unit totp_secret\n");
  for (const LoadedUser& l : users) {
    absl::StrAppend(&out, l.user.username, " ", l.user.role, " ", l.user.org_unit, " ",
                    l.totp_secret_base32, "\n");
  }
  return out;
}

}  // namespace firegrid::loaders
