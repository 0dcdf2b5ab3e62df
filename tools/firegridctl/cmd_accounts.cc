// `firegridctl accounts`: console users of the accounts service (district admins, internal
// services) and the current TOTP code of a secret (for people and tests without an
// authenticator app).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "libs/accounts/totp.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace av1 = ::firegrid::accounts::v1;

std::string StateName(av1::UserState s) {
  switch (s) {
    case av1::USER_STATE_ACTIVE:
      return "active";
    case av1::USER_STATE_DISABLED:
      return "disabled";
    default:
      return "unspecified";
  }
}

absl::StatusOr<av1::UserState> ParseState(const std::string& s) {
  if (s.empty()) return av1::USER_STATE_UNSPECIFIED;
  if (s == "active") return av1::USER_STATE_ACTIVE;
  if (s == "disabled") return av1::USER_STATE_DISABLED;
  return UsageError("--state: active or disabled");
}

void PrintUsers(Context& ctx, const std::vector<av1::User>& users) {
  Table t({"USERNAME", "ROLE", "ORG UNIT", "STATE", "TOTP", "NAME"});
  t.Elastic(5);
  for (const av1::User& u : users) {
    t.AddRow({u.username(), u.role(), u.org_unit(), StateName(u.state()),
              u.totp_enrolled() ? "yes" : "no", u.display_name()});
  }
  ctx.out() << t.Render();
}

absl::Status RunTotpCode(Context& ctx, const ParsedArgs& args) {
  absl::StatusOr<std::string> secret = args.Require("secret");
  if (!secret.ok()) return secret.status();
  absl::StatusOr<std::string> bytes = accounts::Base32Decode(*secret);
  if (!bytes.ok()) return UsageError(absl::StrCat("--secret: ", bytes.status().message()));
  const absl::Time now = absl::Now();
  ctx.out() << accounts::Hotp(*bytes, accounts::TotpStep(now)) << "\n";
  return absl::OkStatus();
}

absl::Status RunCreate(Context& ctx, const ParsedArgs& args) {
  av1::CreateUserRequest req;
  req.set_username(args.positionals()[0]);
  absl::StatusOr<std::string> role = args.Require("role");
  if (!role.ok()) return role.status();
  req.set_role(*role);
  absl::StatusOr<std::string> org_unit = args.Require("org-unit");
  if (!org_unit.ok()) return org_unit.status();
  req.set_org_unit(*org_unit);
  req.set_display_name(args.GetOr("display-name", req.username()));
  req.set_department(args.GetOr("department", ""));
  absl::StatusOr<std::string> password_file = args.Require("initial-password-file");
  if (!password_file.ok()) return password_file.status();
  absl::StatusOr<std::string> password = ReadFile(*password_file);
  if (!password.ok()) return password.status();
  std::string pw = *password;
  while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  req.set_initial_password(pw);
  absl::StatusOr<bool> totp = args.GetBool("require-totp", true);
  if (!totp.ok()) return totp.status();
  req.set_require_totp(*totp);
  auto stub = av1::AccountsService::NewStub(ctx.channel());
  FG_ASSIGN_OR_RETURN(av1::User u, Unary(ctx, *stub, &av1::AccountsService::Stub::CreateUser, req));
  if (ctx.json()) {
    ctx.PrintJson(u);
  } else {
    PrintUsers(ctx, {u});
  }
  return absl::OkStatus();
}

absl::Status RunList(Context& ctx, const ParsedArgs& args) {
  av1::ListUsersRequest req;
  req.set_org_unit(args.GetOr("org-unit", ""));
  req.set_role(args.GetOr("role", ""));
  FG_ASSIGN_OR_RETURN(av1::UserState state, ParseState(args.GetOr("state", "")));
  req.set_state(state);
  req.set_page_size(200);
  auto stub = av1::AccountsService::NewStub(ctx.channel());
  av1::ListUsersResponse all;
  while (true) {
    FG_ASSIGN_OR_RETURN(av1::ListUsersResponse page,
                        Unary(ctx, *stub, &av1::AccountsService::Stub::ListUsers, req));
    for (const auto& u : page.users()) *all.add_users() = u;
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  if (ctx.json()) {
    ctx.PrintJson(all);
  } else {
    PrintUsers(ctx, {all.users().begin(), all.users().end()});
  }
  return absl::OkStatus();
}

absl::Status RunDisable(Context& ctx, const ParsedArgs& args) {
  av1::DisableUserRequest req;
  req.set_username(args.positionals()[0]);
  absl::StatusOr<std::string> reason = args.Require("reason");
  if (!reason.ok()) return reason.status();
  req.set_reason(*reason);
  auto stub = av1::AccountsService::NewStub(ctx.channel());
  FG_ASSIGN_OR_RETURN(av1::User u,
                      Unary(ctx, *stub, &av1::AccountsService::Stub::DisableUser, req));
  if (ctx.json()) {
    ctx.PrintJson(u);
  } else {
    PrintUsers(ctx, {u});
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterAccountsCommands(Registry* registry) {
  registry->Add(Command{
      .path = {"accounts", "totp-code"},
      .synopsis = "--secret BASE32",
      .summary = "print the current TOTP code of a secret (as an authenticator app shows it)",
      .flags = {ValueFlag("secret", "BASE32  the TOTP secret (e.g. from .state/demo-users.txt)")},
      .run = RunTotpCode});
  registry->Add(Command{
      .path = {"accounts", "create"},
      .synopsis = "USERNAME --role R --org-unit U --initial-password-file F [--department D] "
                  "[--display-name N] [--require-totp=false]",
      .summary = "create a console user (district admins, in their district)",
      .flags = {ValueFlag("role", "R  community_worker, street_officer, district_admin, ..."),
                ValueFlag("org-unit", "U  the jurisdiction (services/accounts/README.md)"),
                ValueFlag("department", "D  a department officer's department"),
                ValueFlag("display-name", "N  the name shown (default: the user name)"),
                ValueFlag("initial-password-file", "F  file with the initial password"),
                BoolFlag("require-totp", "a second factor before any token (default true)")},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = RunCreate,
      .endpoint = FixedEndpoint(kAccountsEndpoint)});
  registry->Add(Command{.path = {"accounts", "list"},
                        .synopsis = "[--org-unit U] [--role R] [--state active|disabled]",
                        .summary = "list the console users you manage",
                        .flags = {ValueFlag("org-unit", "U  users within this org unit"),
                                  ValueFlag("role", "R  users of this role"),
                                  ValueFlag("state", "S  active or disabled")},
                        .run = RunList,
                        .endpoint = FixedEndpoint(kAccountsEndpoint)});
  registry->Add(Command{.path = {"accounts", "disable"},
                        .synopsis = "USERNAME --reason TEXT",
                        .summary = "disable a console user (their sign-ins end at once)",
                        .flags = {ValueFlag("reason", "TEXT  why (audited)")},
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = RunDisable,
                        .endpoint = FixedEndpoint(kAccountsEndpoint)});
}

}  // namespace firegrid::ctl
