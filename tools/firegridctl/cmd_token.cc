// `firegridctl token`: mints a development HS256 token from the local key.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/auth/claims.h"
#include "libs/auth/principal.h"
#include "libs/auth/token.h"
#include "tools/firegridctl/commands.h"

namespace firegrid::ctl {
namespace {

constexpr char kDefaultKeyFile[] = ".state/dev-jwt.key";
// The services' default --jwt-max-lifetime: a longer token would be refused by them.
constexpr absl::Duration kMaxTtl = absl::Hours(24);

absl::Status RunToken(Context& ctx, const ParsedArgs& args) {
  auth::Principal p;
  absl::StatusOr<std::string> role = args.Require("role");
  if (!role.ok()) return role.status();
  absl::StatusOr<auth::Role> parsed_role = auth::ParseRole(*role);
  if (!parsed_role.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--role: \"", *role,
                     "\" is not a role; one of district_admin, department_officer, street_officer, "
                     "community_worker, building_manager, service_agency, internal_service"));
  }
  p.role = *parsed_role;
  absl::StatusOr<std::string> tier = args.Require("tier-path");
  if (!tier.ok()) return tier.status();
  p.tier_path = *tier;
  absl::StatusOr<std::string> subject = args.Require("subject");
  if (!subject.ok()) return subject.status();
  p.subject = *subject;
  p.org_unit = args.GetOr("org-unit", "");
  p.department = args.GetOr("department", "");
  absl::StatusOr<absl::Duration> ttl = args.GetDuration("ttl", absl::Hours(12));
  if (!ttl.ok()) return ttl.status();
  if (*ttl > kMaxTtl) {
    return absl::InvalidArgumentError(
        "--ttl: at most 24h (the services refuse longer-lived tokens: --jwt-max-lifetime)");
  }
  // The services accept only claims that fit the role; say so here rather than at the first call.
  if (absl::Status s = auth::ResolveCaller(p).status(); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.message(), " (see --role, --tier-path, --org-unit, --department)"));
  }

  std::string key_file =
      args.Get("key-file").value_or(ctx.GetEnv("FIREGRID_DEV_KEY_FILE").value_or(kDefaultKeyFile));
  absl::StatusOr<std::string> key = ReadFile(key_file);
  if (!key.ok()) {
    return absl::Status(key.status().code(),
                        absl::StrCat(key.status().message(),
                                     " (the development key; deploy/run-local.sh creates it)"));
  }
  // Trailing line breaks are not part of the key (the services read key files the same way).
  std::string secret = *key;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  absl::StatusOr<std::unique_ptr<auth::TokenSigner>> signer = auth::TokenSigner::Hs256(secret);
  if (!signer.ok()) return signer.status();
  const absl::Time now = absl::Now();
  p.expiry = now + *ttl;
  absl::StatusOr<std::string> token = (*signer)->Sign(p, now, *ttl);
  if (!token.ok()) return token.status();
  ctx.out() << *token << "\n";
  return absl::OkStatus();
}

}  // namespace

void RegisterTokenCommands(Registry* registry) {
  registry->Add(Command{
      .path = {"token"},
      .synopsis = "--role R --tier-path P --subject S [--org-unit U] [--department D] [--ttl 12h] "
                  "[--key-file F]",
      .summary = "mint a development HS256 token from the local key and print it",
      .flags = {ValueFlag("role", "R  district_admin, street_officer, community_worker, ..."),
                ValueFlag("tier-path", "P  division-code prefix of the jurisdiction"),
                ValueFlag("subject", "S  principal id"), ValueFlag("org-unit", "U  org unit code"),
                ValueFlag("department", "D  department code (department officers)"),
                ValueFlag("ttl", "D  lifetime (default 12h, at most 24h)"),
                ValueFlag("key-file",
                          "F  HS256 key (env FIREGRID_DEV_KEY_FILE; default .state/dev-jwt.key)")},
      .run = RunToken});
}

}  // namespace firegrid::ctl
