// firegrid-monitoring: IoT fire-facility monitoring (devices, signal ingest over MQTT and gRPC,
// alarms, alarm → hazard, fire alarm → micro fire stations). Thin: flags, wiring, serve.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/credentials.h"
#include "libs/auth/service_token.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/events/topics.h"
#include "libs/server/runtime.h"
#include "services/monitoring/alarm_api.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/device_api.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/engine.h"
#include "services/monitoring/grpc_links.h"
#include "services/monitoring/grpc_service.h"
#include "services/monitoring/hazard_filer.h"
#include "services/monitoring/ingestor.h"
#include "services/monitoring/metrics.h"
#include "services/monitoring/mqtt_subscriber.h"
#include "services/monitoring/projection.h"
#include "services/monitoring/pusher.h"
#include "services/monitoring/rules.h"

namespace {

using namespace firegrid;
using namespace firegrid::monitoring;

std::string DefaultClientId() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "monitoring";
  return absl::StrCat("monitoring-", host);
}

// The newest device time of `signals` (InfinitePast when none has one).
absl::Time NewestDeviceTime(const std::vector<v1::Signal>& signals) {
  absl::Time newest = absl::InfinitePast();
  for (const v1::Signal& s : signals) {
    if (!s.has_device_time()) continue;
    newest = std::max(newest, absl::FromUnixSeconds(s.device_time().seconds()) +
                                  absl::Nanoseconds(s.device_time().nanos()));
  }
  return newest;
}

int Fail(std::string_view what, const absl::Status& s) {
  log::Error(what, {{"error", std::string(s.message())}});
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string rules_file, key_prefix, group, hazards_addr, notify_addr, service_token_file;
  MqttOptions mqtt;
  std::string mqtt_password_file;
  bool mqtt_enabled = true;
  absl::Duration flush_seen_interval, offline_sweep_interval, filer_interval, link_deadline;
  ConfigBinder binder("firegrid-monitoring");
  server::BindRuntimeConfig(binder, &rc, 50055, 9468);
  binder.String("rules-file", &rules_file, "config/monitoring_rules.textproto",
                "the alarm rules (text proto MonitoringRules)");
  binder.String("redis-key-prefix", &key_prefix, "fg:monitoring", "prefix of this service's keys");
  binder.String("consumer-group", &group, "monitoring",
                "Kafka consumer group (the buildings projection)");
  binder.Bool("mqtt", &mqtt_enabled, true,
              "subscribe to the device and gateway topics on the MQTT broker (false: the Ingest "
              "RPC only)");
  binder.String("mqtt-host", &mqtt.host, "127.0.0.1", "MQTT broker host");
  binder.Int("mqtt-port", &mqtt.port, 1883, "MQTT broker port", 1, 65535);
  binder.String("mqtt-username", &mqtt.username, "monitoring",
                "the service's MQTT user (its ACL reads fg/v1/#)");
  binder.String("mqtt-password-file", &mqtt_password_file, "",
                "file with the MQTT user's password (empty: none)");
  binder.String("mqtt-client-id", &mqtt.client_id, DefaultClientId(),
                "MQTT client id, stable per replica (its persistent session keeps QoS 1 messages "
                "while it is away); default monitoring-<hostname>");
  binder.String("mqtt-share-group", &mqtt.share_group, "monitoring",
                "shared subscription group: replicas of one group share the stream");
  binder.Int("mqtt-workers", &mqtt.workers, 2, "threads handling MQTT batches", 1, 64);
  binder.Duration("mqtt-batch-window", &mqtt.batch_window, absl::Milliseconds(5),
                  "how long messages are collected into one batch", absl::ZeroDuration(),
                  absl::Seconds(1));
  binder.String("hazards-addr", &hazards_addr, "127.0.0.1:50052",
                "the hazards service (lasting faults are filed there)");
  binder.String("notify-addr", &notify_addr, "127.0.0.1:50053",
                "the notify service (fire alarms are pushed there at once)");
  binder.String("service-token-file", &service_token_file, "",
                "bearer token (JWT) this service calls hazards and notify with, re-read when it "
                "changes; empty: minted with --jwt-hs256-key-file (development)");
  binder.Duration("link-deadline", &link_deadline, absl::Seconds(3),
                  "deadline of each call to hazards and notify", absl::Milliseconds(100),
                  absl::Minutes(1));
  binder.Duration("flush-seen-interval", &flush_seen_interval, absl::Seconds(1),
                  "how often heartbeats' offline deadlines are written", absl::Milliseconds(10),
                  absl::Minutes(1));
  binder.Duration("offline-sweep-interval", &offline_sweep_interval, absl::Seconds(5),
                  "how often silent devices are looked for", absl::Milliseconds(10),
                  absl::Minutes(10));
  binder.Duration("hazard-filer-interval", &filer_interval, absl::Seconds(2),
                  "how often due hazards are filed and cleared alarms noted",
                  absl::Milliseconds(10), absl::Minutes(10));
  server::ParseConfigOrExit(binder, argc, argv);

  log::Init("monitoring");
  auto rules = Rules::LoadFile(rules_file);
  if (!rules.ok()) return Fail("invalid rules", rules.status());
  if (!mqtt_password_file.empty()) {
    auto pw = server::ReadFlagFile(mqtt_password_file, "mqtt-password-file");
    if (!pw.ok()) return Fail("invalid configuration", pw.status());
    mqtt.password = *pw;
  }
  auto token = server::NewServiceToken(rc, "monitoring", service_token_file, RealClock::Get());
  if (!token.ok()) return Fail("invalid configuration", token.status());

  auto runtime = server::Runtime::Create("monitoring", rc, key_prefix);
  if (!runtime.ok()) return Fail("invalid configuration", runtime.status());
  server::Runtime& rt = **runtime;
  // The keyspace layout this release reads and writes (docs/upgrades.md).
  if (absl::Status s = rt.PrepareKeyspace(redis::Schema{}); !s.ok()) {
    return Fail("keyspace not ready", s);
  }
  Clock* clock = RealClock::Get();
  RandomIdGenerator ids;
  const std::string outbox_key = key_prefix + ":outbox";
  DeviceStore devices(&rt.redis(), key_prefix, outbox_key);
  AlarmStore alarms(&rt.redis(), key_prefix, outbox_key, &*rules);
  Engine engine(&*rules, &ids);
  MonitoringMetrics metrics(&rt.host().metrics());
  if (absl::Status s = metrics.WatchAlarms([&alarms] { return alarms.CountAll(); }); !s.ok()) {
    return Fail("cannot register metrics", s);
  }

  GrpcNotifyLink notify_link(rt.NewChannel(notify_addr), token->get(), link_deadline);
  GrpcHazardsLink hazards_link(rt.NewChannel(hazards_addr), token->get(), link_deadline);
  Pusher pusher(&notify_link, {.on_result = [&metrics](bool ok, absl::Duration latency) {
    metrics.Push(ok, latency);
  }});

  IngestorOptions io;
  io.on_dispatch = [&pusher](const events::Envelope& env) { pusher.Enqueue(env); };
  io.on_signal = [&metrics](absl::string_view outcome) { metrics.Signal(outcome); };
  io.on_action = [&metrics](const AlarmAction& action) { metrics.Action(action); };
  Ingestor ingestor(&devices, &alarms, &*rules, &engine, clock, io);

  DeviceApi device_api(&devices, &alarms, &engine, clock, &ids, &*rules);
  AlarmApi alarm_api(&alarms, &devices, clock);
  MonitoringGrpcService service(
      &device_api, &alarm_api,
      [&](const SignalSource& source,
          std::vector<v1::Signal> signals) -> absl::StatusOr<IngestResult> {
        size_t n = signals.size();
        absl::Time start = absl::Now();
        if (absl::Time newest = NewestDeviceTime(signals); newest != absl::InfinitePast()) {
          metrics.Age("grpc", start - newest);
        }
        auto result = ingestor.Handle(source, std::move(signals));
        metrics.Batch("grpc", n, absl::Now() - start);
        return result;
      },
      &rt.authenticator());
  rt.host().AddService(&service);

  std::unique_ptr<MqttSubscriber> subscriber;
  if (mqtt_enabled) {
    subscriber = std::make_unique<MqttSubscriber>(
        mqtt,
        [&](const SignalSource& source, std::vector<v1::Signal> signals) -> absl::Status {
          size_t n = signals.size();
          absl::Time start = absl::Now();
          if (absl::Time newest = NewestDeviceTime(signals); newest != absl::InfinitePast()) {
            metrics.Age("mqtt", start - newest);
          }
          auto result = ingestor.Handle(source, std::move(signals));
          metrics.Batch("mqtt", n, absl::Now() - start);
          return result.status();
        },
        [&metrics](absl::string_view reason) { metrics.Dropped(reason); });
    MqttSubscriber* sub = subscriber.get();
    rt.host().AddDependencyCheck("mqtt", std::string(kMqttHealthName),
                                 [sub] { return sub->Health(); });
    if (absl::Status s =
            metrics.WatchMqtt([sub] { return sub->connected(); }, [sub] { return sub->queued(); });
        !s.ok()) {
      return Fail("cannot register metrics", s);
    }
  }

  if (absl::Status s = rt.AddConsumer(
          group, {std::string(events::kBuildingsTopic)},
          [&devices](const events::Envelope& env) { return HandleBuildingsEvent(env, &devices); });
      !s.ok()) {
    return Fail("invalid consumer configuration", s);
  }
  rt.AddPeriodic("flush-seen", flush_seen_interval, [&] { return ingestor.FlushSeen(); });
  rt.AddPeriodic("offline-sweep", offline_sweep_interval, [&]() -> absl::Status {
    // Drain what is due, a bounded batch at a time.
    for (;;) {
      absl::StatusOr<int> n = ingestor.SweepOffline(500);
      if (!n.ok()) return n.status();
      if (*n < 500) return absl::OkStatus();
    }
  });
  HazardFiler filer(&alarms, &*rules, &hazards_link, &devices, clock);
  rt.AddPeriodic("hazard-filer", filer_interval, [&]() -> absl::Status {
    // Drain what is due, a batch (100) at a time.
    for (;;) {
      absl::StatusOr<int> n = filer.RunOnce();
      if (!n.ok()) return n.status();
      if (*n < 100) return absl::OkStatus();
    }
  });

  pusher.Start();
  if (subscriber != nullptr) {
    if (absl::Status s = subscriber->Start(); !s.ok()) return Fail("invalid configuration", s);
  }
  int code = rt.Serve();
  // Serve has drained the RPCs and periodic tasks; stop taking signals, push what is queued,
  // write the last heartbeats' deadlines.
  if (subscriber != nullptr) subscriber->Stop();
  pusher.Stop();
  if (absl::Status s = ingestor.FlushSeen(); !s.ok()) {
    log::Warn("cannot write the last offline deadlines", {{"error", std::string(s.message())}});
  }
  metrics.Close();
  return code;
}
