#include "services/monitoring/metrics.h"

#include <string>
#include <utility>

namespace firegrid::monitoring {
namespace {

constexpr absl::string_view kMqttConnected = "firegrid_monitoring_mqtt_connected";
constexpr absl::string_view kMqttQueued = "firegrid_monitoring_mqtt_queued_messages";
constexpr absl::string_view kAlarmsOpen = "firegrid_monitoring_alarms_open";

absl::string_view ActionName(AlarmAction::Kind kind) {
  switch (kind) {
    case AlarmAction::Kind::kRaise:
      return "raise";
    case AlarmAction::Kind::kRepeat:
      return "repeat";
    case AlarmAction::Kind::kClear:
      return "clear";
  }
  return "unknown";
}

}  // namespace

MonitoringMetrics::MonitoringMetrics(server::MetricsRegistry* registry)
    : registry_(registry),
      signals_(registry->AddCounter("firegrid_monitoring_signals_total",
                                    "Device signals handled, by outcome.")),
      dropped_(registry->AddCounter("firegrid_monitoring_mqtt_dropped_total",
                                    "MQTT messages dropped before decoding, by reason.")),
      transitions_(registry->AddCounter(
          "firegrid_monitoring_alarm_transitions_total",
          "Alarms raised, repeated and cleared by signals and the offline sweep.")),
      batch_seconds_(registry->AddHistogram("firegrid_monitoring_ingest_batch_seconds",
                                            "Time to handle one batch of signals.")),
      batch_signals_(registry->AddHistogram("firegrid_monitoring_ingest_batch_signals",
                                            "Signals per handled batch.",
                                            {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000})),
      age_(registry->AddHistogram(
          "firegrid_monitoring_signal_age_seconds",
          "Per batch: handling time minus the newest device time in it (the ingest lag).",
          {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300})),
      push_seconds_(registry->AddHistogram(
          "firegrid_monitoring_fire_push_seconds",
          "From the commit of a dispatching alarm to the end of its direct push to notify.")),
      pushes_(registry->AddCounter("firegrid_monitoring_fire_push_total",
                                   "Direct pushes of dispatching alarms to notify, by outcome.")) {}

void MonitoringMetrics::Signal(absl::string_view outcome) {
  signals_.Get({{"outcome", std::string(outcome)}}).Increment();
}

void MonitoringMetrics::Dropped(absl::string_view reason) {
  dropped_.Get({{"reason", std::string(reason)}}).Increment();
}

void MonitoringMetrics::Action(const AlarmAction& action) {
  transitions_
      .Get({{"type", std::string(v1::AlarmType_Name(action.type))},
            {"action", std::string(ActionName(action.kind))}})
      .Increment();
}

void MonitoringMetrics::Batch(absl::string_view source, size_t signals, absl::Duration took) {
  batch_seconds_.Get({{"source", std::string(source)}}).Observe(absl::ToDoubleSeconds(took));
  batch_signals_.Get({{"source", std::string(source)}}).Observe(static_cast<double>(signals));
}

void MonitoringMetrics::Age(absl::string_view source, absl::Duration age) {
  age_.Get({{"source", std::string(source)}}).Observe(absl::ToDoubleSeconds(age));
}

void MonitoringMetrics::Push(bool ok, absl::Duration latency) {
  pushes_.Get({{"outcome", ok ? "ok" : "failed"}}).Increment();
  if (ok) push_seconds_.Get({}).Observe(absl::ToDoubleSeconds(latency));
}

absl::Status MonitoringMetrics::WatchMqtt(std::function<bool()> connected,
                                          std::function<int64_t()> queued) {
  absl::Status s = registry_->AddGaugeCallback(
      kMqttConnected, "1 while connected to the MQTT broker and subscribed, else 0.",
      [connected = std::move(connected)]() -> std::vector<std::pair<server::Labels, double>> {
        return {{server::Labels{}, connected() ? 1.0 : 0.0}};
      });
  if (!s.ok()) return s;
  s = registry_->AddGaugeCallback(
      kMqttQueued, "MQTT messages received and waiting for a worker.",
      [queued = std::move(queued)]() -> std::vector<std::pair<server::Labels, double>> {
        return {{server::Labels{}, static_cast<double>(queued())}};
      });
  if (!s.ok()) {
    registry_->RemoveGaugeCallback(kMqttConnected);
    return s;
  }
  watching_ = true;
  return absl::OkStatus();
}

absl::Status MonitoringMetrics::WatchAlarms(
    std::function<absl::StatusOr<v1::AlarmCounts>()> counts) {
  absl::Status s = registry_->AddGaugeCallback(
      kAlarmsOpen, "Open alarms of the service (all replicas) by type and state.",
      [counts = std::move(counts)]() -> std::vector<std::pair<server::Labels, double>> {
        std::vector<std::pair<server::Labels, double>> out;
        absl::StatusOr<v1::AlarmCounts> c = counts();
        if (!c.ok()) return out;
        for (const v1::AlarmCount& n : c->counts()) {
          out.push_back({server::Labels{{"type", v1::AlarmType_Name(n.type())},
                                        {"state", v1::AlarmState_Name(n.state())}},
                         static_cast<double>(n.count())});
        }
        return out;
      });
  if (s.ok()) watching_alarms_ = true;
  return s;
}

void MonitoringMetrics::Close() {
  if (watching_alarms_) registry_->RemoveGaugeCallback(kAlarmsOpen);
  watching_alarms_ = false;
  if (watching_) {
    registry_->RemoveGaugeCallback(kMqttConnected);
    registry_->RemoveGaugeCallback(kMqttQueued);
  }
  watching_ = false;
}

}  // namespace firegrid::monitoring
