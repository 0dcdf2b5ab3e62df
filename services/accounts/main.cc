// firegrid-accounts: console users (roles, jurisdictions), password + TOTP sign-in, RS256
// access tokens with rotating refresh tokens, and the JWKS the services verify with. Thin:
// flags, wiring, serve.
#include <cstdio>
#include <memory>
#include <string>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/server/runtime.h"
#include "services/accounts/grpc_service.h"
#include "services/accounts/keys.h"
#include "services/accounts/observer.h"
#include "services/accounts/service.h"
#include "services/accounts/store.h"

namespace {

using namespace firegrid;

int Fail(std::string_view what, const absl::Status& s) {
  log::Error(what, {{"error", std::string(s.message())}});
  std::fprintf(stderr, "%s: %s\n", std::string(what).c_str(), std::string(s.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string key_prefix, signing_key_file;
  accounts::AccountsOptions options;
  ConfigBinder binder("firegrid-accounts");
  server::BindRuntimeConfig(binder, &rc, 50056, 9469);
  binder.String("redis-key-prefix", &key_prefix, "fg:accounts", "prefix of this service's keys");
  binder.String("signing-key-file", &signing_key_file, "",
                "PEM RSA private key (>= 2048 bits) that signs access tokens (required); its "
                "public half goes to every service's --jwt-rs256-public-key-file");
  binder.Duration("access-token-ttl", &options.access_token_ttl, absl::Minutes(15),
                  "lifetime of access tokens", absl::Minutes(1), absl::Hours(24));
  binder.Duration("refresh-token-ttl", &options.refresh_token_ttl, absl::Hours(12),
                  "how long a sign-in lasts (its refresh tokens rotate within it)",
                  absl::Minutes(5), absl::Hours(24 * 30));
  binder.Int("sign-in-attempts-per-address", &options.attempts_per_address_per_minute, 30,
             "sign-in and refresh attempts one client address may make a minute on one replica "
             "(0: no limit)",
             0, 100000);
  server::ParseConfigOrExit(binder, argc, argv);
  log::Init("accounts");
  options.issuer = rc.jwt_issuer;
  options.audience = rc.jwt_audience;

  if (signing_key_file.empty()) {
    return Fail("invalid configuration",
                absl::InvalidArgumentError("--signing-key-file: required"));
  }
  absl::StatusOr<std::string> pem = server::ReadFlagFile(signing_key_file, "signing-key-file");
  if (!pem.ok()) return Fail("invalid configuration", pem.status());
  auto key = accounts::SigningKey::FromPem(*pem + "\n");
  if (!key.ok()) return Fail("invalid configuration", key.status());

  auto runtime = server::Runtime::Create("accounts", rc, key_prefix);
  if (!runtime.ok()) return Fail("invalid configuration", runtime.status());
  server::Runtime& rt = **runtime;
  // The keyspace layout this release reads and writes (docs/upgrades.md).
  if (absl::Status s = rt.PrepareKeyspace(redis::Schema{}); !s.ok()) {
    return Fail("keyspace not ready", s);
  }
  Clock* clock = RealClock::Get();
  RandomIdGenerator ids;
  accounts::RedisStore store(&rt.redis(), key_prefix);
  auto api = accounts::AccountsApi::Create(
      &store, key->get(), clock, &ids, options,
      accounts::AuditingObserver(&rt.audit_log(), &rt.host().metrics()));
  if (!api.ok()) return Fail("invalid configuration", api.status());
  audit::AuditLog* audit_log = &rt.audit_log();
  accounts::AccountsGrpcService service(
      api->get(), &rt.authenticator(), &rt.verifier(), clock,
      [audit_log](absl::string_view method, const auth::Principal& who, absl::StatusCode code) {
        absl::StatusOr<audit::AuditRecord> r =
            audit_log->Append(accounts::EnrolmentAuditRecord(method, who, code));
        if (!r.ok()) {
          log::Error("audit record not appended", {{"method", std::string(method)},
                                                   {"error", std::string(r.status().message())}});
        }
      });
  rt.host().AddService(&service);
  log::Info("signing access tokens", {{"kid", (*key)->kid()}});
  return rt.Serve();
}
