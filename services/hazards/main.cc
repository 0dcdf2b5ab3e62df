// firegrid-hazards: hidden hazards reported, routed, tracked to closure. Thin: flags, wiring,
// serve.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/events/topics.h"
#include "libs/server/runtime.h"
#include "services/hazards/grpc_service.h"
#include "services/hazards/registry.h"
#include "services/hazards/rules.h"
#include "services/hazards/store.h"

int main(int argc, char** argv) {
  using namespace firegrid;
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string rules_file, guidance_file, departments_file, key_prefix, group;
  absl::Duration timer_interval;
  ConfigBinder binder("firegrid-hazards");
  server::BindRuntimeConfig(binder, &rc, 50052, 9465);
  binder.String("rules-file", &rules_file, "config/hazards_rules.textproto",
                "routing, deadline, reminder and reward rules (text proto)");
  binder.String("guidance-file", &guidance_file, "config/hazards_guidance.textproto",
                "process guidance per category (text proto)");
  binder.String("departments-file", &departments_file, "",
                "the departments and utilities (text proto DepartmentBook); empty: the copy of "
                "config/departments.textproto built in. Give notify the same file");
  binder.String("redis-key-prefix", &key_prefix, "fg:hazards", "prefix of this service's keys");
  binder.String("consumer-group", &group, "hazards",
                "Kafka consumer group of the buildings events");
  binder.Duration("timer-interval", &timer_interval, absl::Seconds(1),
                  "how often due reminders and escalations are looked for", absl::Milliseconds(10),
                  absl::Minutes(10));
  server::ParseConfigOrExit(binder, argc, argv);

  auto departments = hazards::Departments::LoadFileOrShipped(departments_file);
  if (!departments.ok()) {
    log::Init("hazards");
    log::Error("invalid departments", {{"error", std::string(departments.status().message())}});
    return 2;
  }
  // Every routing target must resolve to a department's org unit, or the service does not start.
  auto rules = hazards::Rules::LoadFiles(rules_file, guidance_file, *departments);
  if (!rules.ok()) {
    log::Init("hazards");
    log::Error("invalid rules", {{"error", std::string(rules.status().message())}});
    return 2;
  }
  auto runtime = server::Runtime::Create("hazards", rc, key_prefix);
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
  hazards::HazardStore store(&rt.redis(), key_prefix);
  RandomIdGenerator ids;
  hazards::HazardMetrics metrics(&rt.host().metrics());
  hazards::HazardRegistry registry(&store, &*rules, RealClock::Get(), &ids, &metrics);
  registry.set_personal_data_audit(audit::AppendTo(&rt.audit_log()));
  hazards::HazardGrpcService service(&registry, &rt.authenticator());
  rt.host().AddService(&service);
  if (absl::Status s = rt.AddConsumer(
          group, {std::string(events::kBuildingsTopic)},
          [&](const events::Envelope& e) { return registry.HandleBuildingEvent(e); });
      !s.ok()) {
    log::Error("invalid consumer configuration", {{"error", std::string(s.message())}});
    return 2;
  }
  // Statistics counters for hazards stored before they were kept: built once, on a thread of
  // its own so that start-up does not wait for a recount (GetStatistics counts by a scan until
  // they are built); afterwards each run is one EXISTS.
  rt.AddPeriodic("statistics-counters", absl::Seconds(10), [&]() -> absl::Status {
    FG_ASSIGN_OR_RETURN(int counted, store.counters().Build(store));
    if (counted >= 0) log::Info("statistics counters built", {{"hazards", absl::StrCat(counted)}});
    return absl::OkStatus();
  });
  rt.AddPeriodic("deadline-timers", timer_interval,
                 [&]() { return registry.FireDueTimers().status(); });
  // Daily statistics: on the first tick a snapshot of today so far unless today has one (so a
  // fresh stack has one point of trend); on every tick the end-of-day snapshot of yesterday
  // once the day is over in Asia/Shanghai (exactly once across replicas).
  bool today_kept = false;
  rt.AddPeriodic("daily-statistics", timer_interval, [&]() -> absl::Status {
    if (!today_kept) {
      FG_RETURN_IF_ERROR(registry.SnapshotTodayIfMissing().status());
      today_kept = true;
    }
    return registry.SnapshotEndedDay().status();
  });
  return rt.Serve();
}
