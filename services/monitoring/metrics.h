#pragma once

#include <functional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/server/metrics.h"
#include "services/monitoring/engine.h"

namespace firegrid::monitoring {

// The monitoring domain metrics of one replica:
//   firegrid_monitoring_signals_total{outcome}        signals handled: "accepted", "duplicate",
//                                                     or the rejection reason ("unknown_device",
//                                                     "not_your_device", ...)
//   firegrid_monitoring_mqtt_dropped_total{reason}    MQTT messages dropped undecoded
//                                                     ("malformed_topic", "malformed_payload",
//                                                     "too_large")
//   firegrid_monitoring_alarm_transitions_total{type,action}  alarms raised, repeated, cleared
//                                                     by signals and the offline sweep (type =
//                                                     the AlarmType name; action raise/repeat/
//                                                     clear).
//   firegrid_monitoring_alarms_open{type,state}       open alarms of the service (all replicas)
//                                                     by type and state, read at each scrape
//                                                     from the maintained counters
//   firegrid_monitoring_ingest_batch_seconds{source}  time to handle one batch (mqtt / grpc)
//   firegrid_monitoring_ingest_batch_signals{source}  signals per batch
//   firegrid_monitoring_signal_age_seconds{source}    per batch: handling time − the newest
//                                                     device time in it (the ingest lag; device
//                                                     clocks may be off by the allowed skew)
//   firegrid_monitoring_fire_push_seconds             commit → NotifyService.PushEvent done
//   firegrid_monitoring_fire_push_total{outcome}      direct pushes "ok" / "failed"
//   firegrid_monitoring_mqtt_connected                1 while connected and subscribed
//   firegrid_monitoring_mqtt_queued_messages          messages received, waiting for a worker
class MonitoringMetrics {
 public:
  explicit MonitoringMetrics(server::MetricsRegistry* registry);
  ~MonitoringMetrics() { Close(); }
  MonitoringMetrics(const MonitoringMetrics&) = delete;
  MonitoringMetrics& operator=(const MonitoringMetrics&) = delete;

  void Signal(absl::string_view outcome);
  void Dropped(absl::string_view reason);
  void Action(const AlarmAction& action);
  void Batch(absl::string_view source, size_t signals, absl::Duration took);
  void Age(absl::string_view source, absl::Duration age);
  void Push(bool ok, absl::Duration latency);
  // The connection and queue gauges call `connected` and `queued` at every scrape.
  absl::Status WatchMqtt(std::function<bool()> connected, std::function<int64_t()> queued);
  // The open-alarm gauge calls `counts` at every scrape (a scrape it fails shows nothing).
  absl::Status WatchAlarms(std::function<absl::StatusOr<v1::AlarmCounts>()> counts);
  // Stops calling them (before what they read goes away). Idempotent.
  void Close();

 private:
  server::MetricsRegistry* const registry_;
  server::Family<server::Counter>& signals_;
  server::Family<server::Counter>& dropped_;
  server::Family<server::Counter>& transitions_;
  server::Family<server::Histogram>& batch_seconds_;
  server::Family<server::Histogram>& batch_signals_;
  server::Family<server::Histogram>& age_;
  server::Family<server::Histogram>& push_seconds_;
  server::Family<server::Counter>& pushes_;
  bool watching_ = false;
  bool watching_alarms_ = false;
};

}  // namespace firegrid::monitoring
