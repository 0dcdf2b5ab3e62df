// firegrid-credit: credit ratings, ledger, blacklist, repair, export. Thin: flags, wiring, serve.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/events/topics.h"
#include "libs/server/runtime.h"
#include "services/credit/applier.h"
#include "services/credit/consumer.h"
#include "services/credit/directory.h"
#include "services/credit/grpc_service.h"
#include "services/credit/metrics.h"
#include "services/credit/rules.h"
#include "services/credit/service.h"
#include "services/credit/store.h"
#include "services/credit/subject_ids.h"
#include "services/hazards/departments.h"

namespace {

// The key person ids are hashed with. Without a file: a fixed development key, logged loudly;
// every replica and every later start must use the same key (ids would change otherwise).
constexpr char kDevelopmentPersonKey[] = "firegrid-development-person-key: not for production";

absl::StatusOr<std::string> ReadKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("--person-key-file: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < 32) {
    return absl::InvalidArgumentError("--person-key-file: the key must have at least 32 bytes");
  }
  return key;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace firegrid;
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string rules_file, departments_file, person_key_file, key_prefix, group;
  absl::Duration apply_interval, clock_interval, apply_wait;
  int batch_size;
  ConfigBinder binder("firegrid-credit");
  server::BindRuntimeConfig(binder, &rc, 50054, 9467);
  binder.String("rules-file", &rules_file, "config/credit_rules.textproto",
                "the credit rule set (text proto CreditRules); a new version is replayed over "
                "the whole history before it is served");
  binder.String("departments-file", &departments_file, "",
                "the departments (text proto DepartmentBook) the manual rules may name; empty: "
                "the copy of config/departments.textproto built in");
  binder.String("person-key-file", &person_key_file, "",
                "secret key (>= 32 bytes) person ids are hashed with into subject ids; the same "
                "for every replica and every start. Empty: a fixed development key (local runs "
                "only)");
  binder.String("redis-key-prefix", &key_prefix, "fg:credit", "prefix of this service's keys");
  binder.String("consumer-group", &group, "credit", "Kafka consumer group");
  binder.Duration("apply-interval", &apply_interval, absl::Milliseconds(20),
                  "how often the applier looks for new facts in the history",
                  absl::Milliseconds(1), absl::Seconds(10));
  binder.Duration("clock-interval", &clock_interval, absl::Seconds(30),
                  "how often due blacklist entries (objection period or term over) are looked for",
                  absl::Milliseconds(10), absl::Hours(1));
  binder.Duration("apply-wait", &apply_wait, absl::Seconds(10),
                  "how long a write call waits for its fact to be applied before UNAVAILABLE",
                  absl::Milliseconds(100), absl::Minutes(5));
  binder.Int("apply-batch", &batch_size, 256, "facts applied per atomic batch", 1, 10000);
  server::ParseConfigOrExit(binder, argc, argv);

  log::Init("credit");
  auto departments = hazards::Departments::LoadFileOrShipped(departments_file);
  if (!departments.ok()) {
    log::Error("invalid departments", {{"error", std::string(departments.status().message())}});
    return 2;
  }
  std::vector<std::string> slugs;
  for (const auto& d : departments->entries()) slugs.push_back(d.slug());
  auto rules = credit::Rules::LoadFile(rules_file, slugs);
  if (!rules.ok()) {
    log::Error("invalid rules", {{"error", std::string(rules.status().message())}});
    return 2;
  }
  std::string person_key = kDevelopmentPersonKey;
  if (!person_key_file.empty()) {
    auto key = ReadKey(person_key_file);
    if (!key.ok()) {
      log::Error("invalid configuration", {{"error", std::string(key.status().message())}});
      return 2;
    }
    person_key = *key;
  } else {
    log::Warn("no --person-key-file: person subject ids use the development key");
  }
  auto runtime = server::Runtime::Create("credit", rc, key_prefix);
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
  RandomIdGenerator id_gen;
  const credit::SubjectIds ids(person_key);
  credit::CreditStore store(&rt.redis(), key_prefix);
  credit::BuildingDirectory directory(&rt.redis(), key_prefix);
  credit::CreditMetrics metrics(&rt.host().metrics());
  credit::ApplierOptions ao;
  ao.outbox_key = key_prefix + ":outbox";
  ao.batch_size = batch_size;
  ao.instance_id = id_gen.NewId("credit");
  ao.on_applied = [&metrics](const credit::v1::Fact& fact, const credit::Outcome& outcome) {
    metrics.Applied(fact, outcome);
  };
  credit::Applier applier(&store, &*rules, &ids, RealClock::Get(), ao);
  if (absl::Status s = metrics.WatchUnappliedAge(
          [&store] { return credit::UnappliedAge(store, RealClock::Get()->Now()); });
      !s.ok()) {
    log::Error("cannot register metrics", {{"error", std::string(s.message())}});
    return 2;
  }
  credit::CreditApi api(&store, &*rules, &ids, &directory, RealClock::Get(), &id_gen,
                        credit::ServiceOptions{.apply_wait = apply_wait});
  api.set_personal_data_audit(audit::AppendTo(&rt.audit_log()));
  credit::CreditGrpcService service(&api, &rt.authenticator());
  rt.host().AddService(&service);

  if (absl::Status s = rt.AddConsumer(
          group, {std::string(events::kHazardsTopic), std::string(events::kBuildingsTopic)},
          [&](const events::Envelope& env) {
            return credit::HandleEvent(env, &store, &directory);
          });
      !s.ok()) {
    log::Error("invalid consumer configuration", {{"error", std::string(s.message())}});
    return 2;
  }
  rt.AddPeriodic("apply", apply_interval, [&]() -> absl::Status {
    // Drain what is there: keep applying while batches come back full.
    for (;;) {
      absl::StatusOr<int> n = applier.RunOnce();
      if (!n.ok()) return n.status();
      if (*n < batch_size) return absl::OkStatus();
    }
  });
  rt.AddPeriodic("blacklist-clock", clock_interval,
                 [&]() { return applier.AppendClockIfDue().status(); });
  return rt.Serve();
}
