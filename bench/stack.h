// What every benchmark shares: its private stack (a temporary directory, redis-server, the dev
// broker and the firegrid service binaries on free loopback ports, their signing key and dev
// tokens, stopped by PID when the benchmark ends), how a benchmark fails, reports progress,
// reads its flags and prints latencies, and the org units and categories the benchmarks that
// report hazards use. The processes themselves are tests/support's
// (RedisServer, DevBroker, ServiceProcess); the flags every service gets and the dev tokens are
// tests/e2e's (CommonServiceFlags, DevTokens), so benchmarks and e2e tests start services alike.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/config.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid::bench {

// "<program>: <what>" on stderr, then exit 1: the stack could not be set up or a check failed.
[[noreturn]] void Fail(const std::string& what);
// A progress line on stderr: "[bench] <what>".
void Step(const std::string& what);
// Nearest-rank percentile (q in [0, 1]) of values sorted ascending; NaN when there are none.
double Percentile(const std::vector<double>& sorted, double q);
// Milliseconds for a table: "1.23ms" below 10 ms, "12.3ms" above, "-" for NaN.
std::string Ms(double ms);
// Parses the flags bound to `binder` and returns run()'s exit code; --help prints the flags
// (exit 0), a bad flag prints the error (exit 2).
int ParseFlagsAndRun(ConfigBinder& binder, int argc, char** argv, const std::function<int()>& run);

// The benchmark profiles (bench/README.md), given to every service of a stack.
// One principal sends every call of a throughput run: the per-principal rate limit and the
// failed-authentication throttle are off; the rest is as deployed.
std::vector<std::string> LimitersOff();
// One principal sends every report of a push run, far above the default per-principal limit:
// the limit is raised out of the way; the failed-authentication throttle is as deployed.
std::vector<std::string> RateLimitRaised();

// What the benchmarks that register buildings and report hazards share.
// The hazard categories whose lead department is fire_rescue (config/hazards_rules.textproto).
const std::vector<hazards::v1::HazardCategory>& FireRescueCategories();
// Upserts org unit `code` of `kind` under `parent` (named "bench <code>") as `admin_token`, a
// district admin's; Fail() when refused.
void UpsertOrgUnit(buildings::v1::BuildingService::Stub& stub, const std::string& admin_token,
                   const std::string& code, buildings::v1::OrgUnitKind kind,
                   const std::string& parent);
// Registers `name`, a 60 m residential high-rise of 20 floors in `community` at (`latitude`,
// `longitude`), as `admin_token`; returns its id. Fail() when refused.
std::string CreateBuilding(buildings::v1::BuildingService::Stub& stub,
                           const std::string& admin_token, const std::string& name,
                           const std::string& community, double latitude, double longitude);

// The firegrid service binaries a stack can run (paths and config files fixed at build time).
enum class Service { kBuildings, kHazards, kNotify, kCredit, kMonitoring };

// A benchmark's private stack. Everything it starts runs on 127.0.0.1 with logs in dir() and is
// stopped (SIGTERM, then SIGKILL) when the Stack is destroyed: the services in the reverse of
// the order they were added, then the dev broker and redis-server. Any failure to start is
// Fail().
class Stack {
 public:
  // `name` prefixes the temporary directory; `service_flags` go to every service (a profile
  // above, and flags of the run such as --kafka-fetch-wait).
  explicit Stack(const std::string& name, std::vector<std::string> service_flags = {});
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // redis-server with AOF fsync `everysec`, as deploy/run-local.sh runs it.
  void StartRedis();
  void StartBroker();

  // A service on this stack, not started yet: its binary with its config files
  // (config/*.textproto), the flags every service gets (Redis, the broker, the key file, a 2 s
  // drain), the stack's service flags, then `flags`. Logs are named after `name` (default: the
  // service's). Needs StartRedis() and StartBroker() first.
  testing::ServiceProcess& Add(Service service, std::vector<std::string> flags = {},
                               const std::string& name = "",
                               absl::Duration start_timeout = absl::Seconds(30));
  // Starts `process` (until grpc.health reports SERVING).
  void Start(testing::ServiceProcess& process);
  // Starts every added service that is not running, in the order they were added.
  void StartAll();

  // A token for `principal`, signed with the key the services verify.
  std::string Token(const auth::Principal& principal) const;
  // A token for a principal acting for `org_unit` (its jurisdiction: `tier_path`).
  std::string Token(auth::Role role, const std::string& tier_path, const std::string& org_unit,
                    const std::string& subject, const std::string& department = "") const;

  const testing::TempDir& dir() const { return dir_; }
  testing::RedisServer& redis() { return redis_; }
  testing::DevBroker& broker() { return broker_; }
  const std::string& key_file() const { return key_file_; }

 private:
  testing::TempDir dir_;
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  bool redis_started_ = false, broker_started_ = false;
  std::string key_file_;
  std::vector<std::string> service_flags_;
  testing::DevTokens tokens_;
  std::vector<std::unique_ptr<testing::ServiceProcess>> services_;
};

}  // namespace firegrid::bench
