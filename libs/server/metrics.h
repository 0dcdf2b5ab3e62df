#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace firegrid::server {

// A small Prometheus registry: counters, gauges and histograms with label sets, plus gauges
// computed by a callback at scrape time (outbox backlog, consumer lag). Rendered in the text
// exposition format 0.0.4. All operations are thread-safe.
//
//   auto& sent = registry.AddCounter("firegrid_notify_sent_total", "Notifications sent.");
//   sent.Get({{"channel", "push"}}).Increment();
//   auto& lat = registry.AddHistogram("firegrid_redis_seconds", "Redis call latency.");
//   lat.Get({{"command", "EVALSHA"}}).Observe(0.0021);
//
// Metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* without
// a leading "__" ("le" is reserved for histograms). Names are fixed strings in code, so a bad one
// is a programming error: the family/child methods abort with a message, like a failed CHECK.
// Label values are arbitrary and escaped. Keep label cardinality bounded: never put ids in labels.

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void Increment(double by = 1.0);  // negative or NaN increments are ignored
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `upper_bounds`: strictly increasing, finite; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);  // NaN observations are ignored

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per upper bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Collect() const;

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> bucket_counts_ ABSL_GUARDED_BY(mu_);  // not cumulative; last is +Inf
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace internal {
// Aborts with a message naming `what` when `labels` has an invalid label name.
void CheckLabelNames(absl::string_view metric, const Labels& labels, bool histogram);
}  // namespace internal

// All children of one metric name, one per distinct label set.
template <typename T>
class Family {
 public:
  explicit Family(std::string name, std::function<std::unique_ptr<T>()> make, bool histogram)
      : name_(std::move(name)), make_(std::move(make)), histogram_(histogram) {}

  // The child with exactly these labels, created on first use; the reference stays valid for
  // the registry's lifetime.
  T& Get(const Labels& labels = {}) {
    absl::MutexLock lock(&mu_);
    auto it = children_.find(labels);
    if (it != children_.end()) return *it->second;
    internal::CheckLabelNames(name_, labels, histogram_);
    return *children_.emplace(labels, make_()).first->second;
  }

  // (labels, child) for every child, sorted by labels.
  std::vector<std::pair<Labels, const T*>> Children() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::pair<Labels, const T*>> out;
    out.reserve(children_.size());
    for (const auto& [labels, child] : children_) out.emplace_back(labels, child.get());
    return out;
  }

 private:
  const std::string name_;
  const std::function<std::unique_ptr<T>()> make_;
  const bool histogram_;
  mutable absl::Mutex mu_;
  std::map<Labels, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  using GaugeCallback = std::function<std::vector<std::pair<Labels, double>>()>;

  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering a name again with the same kind returns the existing family (help and buckets
  // of the first registration win); with another kind, or an invalid name, aborts.
  Family<Counter>& AddCounter(absl::string_view name, absl::string_view help);
  Family<Gauge>& AddGauge(absl::string_view name, absl::string_view help);
  Family<Histogram>& AddHistogram(absl::string_view name, absl::string_view help,
                                  std::vector<double> upper_bounds = DefaultLatencyBuckets());

  // A gauge whose samples `callback` computes at every scrape. The callback runs on the
  // scraping thread without registry locks held except the callback lock: it may read other
  // metrics but must not add or remove gauge callbacks. It should be fast (no network calls);
  // samples with invalid label names are dropped. ALREADY_EXISTS when the name is taken,
  // INVALID_ARGUMENT for an invalid name or an empty callback.
  absl::Status AddGaugeCallback(absl::string_view name, absl::string_view help,
                                GaugeCallback callback);
  // The same for a counter whose running total the callback reads at every scrape (e.g.
  // process_cpu_seconds_total, or totals a component keeps itself).
  absl::Status AddCounterCallback(absl::string_view name, absl::string_view help,
                                  GaugeCallback callback);
  // Unregisters a callback gauge or counter. When this returns, the callback is not running and
  // will not run again, so the owner of captured state may be destroyed. No-op for an unknown
  // name.
  void RemoveGaugeCallback(absl::string_view name);

  // The text exposition format 0.0.4: per metric "# HELP", "# TYPE" and samples, metrics sorted
  // by name, label values and help text escaped.
  std::string Render() const;

  // .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 seconds, as Prometheus client libraries use.
  static std::vector<double> DefaultLatencyBuckets();

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kCallback };
  struct Entry {
    Kind kind;
    std::string help;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
  };
  struct Callback {
    std::string help;
    GaugeCallback fn;
    const char* type = "gauge";
  };
  absl::Status AddCallback(absl::string_view name, absl::string_view help, GaugeCallback callback,
                           const char* type);

  Entry& AddEntry(absl::string_view name, absl::string_view help, Kind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Lock order: callbacks_mu_ before mu_. Render never holds both.
  mutable absl::Mutex callbacks_mu_;
  std::map<std::string, Callback> callbacks_ ABSL_GUARDED_BY(callbacks_mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // includes callback names
};

// Text-format helpers, exposed for tests and for other exporters.
std::string EscapeLabelValue(absl::string_view value);  // \ -> \\, " -> \", newline -> \n
std::string EscapeHelp(absl::string_view help);         // \ -> \\, newline -> \n
std::string FormatValue(double v);                      // shortest round-trip; +Inf -Inf NaN
bool IsValidMetricName(absl::string_view name);
bool IsValidLabelName(absl::string_view name);

}  // namespace firegrid::server
