// firegrid-buildings: the registry and ledger service. Thin: flags, wiring, serve.
#include <cstdio>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/server/runtime.h"
#include "services/buildings/grpc_service.h"
#include "services/buildings/redis_store.h"
#include "services/buildings/registry.h"
#include "services/buildings/rules.h"

int main(int argc, char** argv) {
  using namespace firegrid;
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string rules_file;
  std::string key_prefix;
  ConfigBinder binder("firegrid-buildings");
  server::BindRuntimeConfig(binder, &rc, 50051, 9464);
  binder.String("rules-file", &rules_file, "config/buildings_rules.textproto",
                "building class, fire-access and filing rules (text proto)");
  binder.String("redis-key-prefix", &key_prefix, "fg:buildings", "prefix of this service's keys");
  server::ParseConfigOrExit(binder, argc, argv);

  auto rules = buildings::LoadRulesFile(rules_file);
  if (!rules.ok()) {
    log::Init("buildings");
    log::Error("invalid rules", {{"error", std::string(rules.status().message())}});
    return 2;
  }
  auto runtime = server::Runtime::Create("buildings", rc, key_prefix);
  if (!runtime.ok()) {
    log::Error("invalid configuration", {{"error", std::string(runtime.status().message())}});
    return 2;
  }
  server::Runtime& rt = **runtime;
  // The keyspace layout this release reads and writes (docs/upgrades.md).
  if (absl::Status s = rt.PrepareKeyspace(redis::Schema{}); !s.ok()) {
    log::Error("keyspace not ready", {{"error", std::string(s.message())}});
    return 1;
  }
  buildings::RedisStore store(&rt.redis(), key_prefix, *rules);
  // Buildings stored before their GEO index existed are indexed once (idempotent; see
  // redis_store.h). Without it FindNearby would not find them: refuse to start instead.
  if (auto indexed = store.IndexBuildingLocations(); !indexed.ok()) {
    log::Error("indexing building locations failed", {{"error", indexed.status().ToString()}});
    return 2;
  } else if (*indexed > 0) {
    log::Info("indexed building locations", {{"buildings", *indexed}});
  }
  RandomIdGenerator ids;
  buildings::Registry registry(&store, *rules, RealClock::Get(), &ids);
  registry.set_personal_data_audit(audit::AppendTo(&rt.audit_log()));
  buildings::BuildingGrpcService service(&registry, &rt.authenticator());
  rt.host().AddService(&service);
  // Ledger counters for buildings stored before they were kept: built once, on a thread of its
  // own so that start-up does not wait for a recount (GetLedger counts by a scan until they are
  // built); afterwards each run is one EXISTS.
  rt.AddPeriodic("ledger-counters", absl::Seconds(10), [&]() -> absl::Status {
    FG_ASSIGN_OR_RETURN(int counted, store.ledger_counters().Build(store));
    if (counted >= 0) log::Info("ledger counters built", {{"buildings", counted}});
    return absl::OkStatus();
  });
  return rt.Serve();
}
