#include "libs/server/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"

namespace firegrid::server {
namespace {

[[noreturn]] void Fatal(const std::string& msg) {
  std::fprintf(stderr, "firegrid metrics: %s\n", msg.c_str());
  std::fflush(stderr);
  std::abort();
}

void AtomicAdd(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

void AppendLabels(std::string* out, const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out->push_back(',');
    first = false;
    absl::StrAppend(out, k, "=\"", EscapeLabelValue(v), "\"");
  }
  if (le != nullptr) {
    if (!first) out->push_back(',');
    absl::StrAppend(out, "le=\"", *le, "\"");
  }
  out->push_back('}');
}

void AppendSample(std::string* out, absl::string_view name, const Labels& labels, double v,
                  const std::string* le = nullptr) {
  out->append(name.data(), name.size());
  AppendLabels(out, labels, le);
  absl::StrAppend(out, " ", FormatValue(v), "\n");
}

void AppendHeader(std::string* out, absl::string_view name, absl::string_view help,
                  const char* type) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n");
  absl::StrAppend(out, "# TYPE ", name, " ", type, "\n");
}

bool LabelsValid(const Labels& labels, bool histogram) {
  for (const auto& [k, v] : labels) {
    if (!IsValidLabelName(k) || (histogram && k == "le")) return false;
  }
  return true;
}

}  // namespace

namespace internal {
void CheckLabelNames(absl::string_view metric, const Labels& labels, bool histogram) {
  for (const auto& [k, v] : labels) {
    if (!IsValidLabelName(k))
      Fatal(absl::StrCat("metric ", metric, ": invalid label name '", k, "'"));
    if (histogram && k == "le")
      Fatal(absl::StrCat("histogram ", metric, ": label 'le' is reserved"));
  }
}
}  // namespace internal

bool IsValidMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = absl::ascii_isalpha(c) || c == '_' || c == ':' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(absl::string_view name) {
  if (name.empty() || absl::StartsWith(name, "__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = absl::ascii_isalpha(c) || c == '_' || (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";  // cannot happen for a 64-byte buffer
  return std::string(buf, end);
}

void Counter::Increment(double by) {
  if (!(by >= 0)) return;  // also rejects NaN
  AtomicAdd(value_, by);
}

void Gauge::Add(double d) { AtomicAdd(value_, d); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      Fatal("histogram buckets must be finite and strictly increasing");
    }
  }
  absl::MutexLock lock(&mu_);
  bucket_counts_.assign(bounds_.size() + 1, 0);
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  // The first bucket whose upper bound is >= v (Prometheus buckets are "less or equal").
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  absl::MutexLock lock(&mu_);
  ++bucket_counts_[i];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  absl::MutexLock lock(&mu_);
  s.cumulative_counts.resize(bucket_counts_.size());
  uint64_t acc = 0;
  for (size_t i = 0; i < bucket_counts_.size(); ++i) {
    acc += bucket_counts_[i];
    s.cumulative_counts[i] = acc;
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

std::vector<double> MetricsRegistry::DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Entry& MetricsRegistry::AddEntry(absl::string_view name, absl::string_view help,
                                                  Kind kind) {
  if (!IsValidMetricName(name)) Fatal(absl::StrCat("invalid metric name '", name, "'"));
  auto it = entries_.find(std::string(name));
  if (it != entries_.end()) {
    if (it->second.kind != kind) {
      Fatal(absl::StrCat("metric ", name, " registered twice with different types"));
    }
    return it->second;
  }
  Entry& e = entries_[std::string(name)];
  e.kind = kind;
  e.help = std::string(help);
  return e;
}

Family<Counter>& MetricsRegistry::AddCounter(absl::string_view name, absl::string_view help) {
  absl::MutexLock lock(&mu_);
  Entry& e = AddEntry(name, help, Kind::kCounter);
  if (!e.counters) {
    e.counters = std::make_unique<Family<Counter>>(
        std::string(name), [] { return std::make_unique<Counter>(); }, false);
  }
  return *e.counters;
}

Family<Gauge>& MetricsRegistry::AddGauge(absl::string_view name, absl::string_view help) {
  absl::MutexLock lock(&mu_);
  Entry& e = AddEntry(name, help, Kind::kGauge);
  if (!e.gauges) {
    e.gauges = std::make_unique<Family<Gauge>>(
        std::string(name), [] { return std::make_unique<Gauge>(); }, false);
  }
  return *e.gauges;
}

Family<Histogram>& MetricsRegistry::AddHistogram(absl::string_view name, absl::string_view help,
                                                 std::vector<double> upper_bounds) {
  Histogram probe(upper_bounds);  // validates the buckets before anything is registered
  absl::MutexLock lock(&mu_);
  Entry& e = AddEntry(name, help, Kind::kHistogram);
  if (!e.histograms) {
    e.histograms = std::make_unique<Family<Histogram>>(
        std::string(name),
        [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); }, true);
  }
  return *e.histograms;
}

absl::Status MetricsRegistry::AddGaugeCallback(absl::string_view name, absl::string_view help,
                                               GaugeCallback callback) {
  return AddCallback(name, help, std::move(callback), "gauge");
}

absl::Status MetricsRegistry::AddCounterCallback(absl::string_view name, absl::string_view help,
                                                 GaugeCallback callback) {
  return AddCallback(name, help, std::move(callback), "counter");
}

absl::Status MetricsRegistry::AddCallback(absl::string_view name, absl::string_view help,
                                          GaugeCallback callback, const char* type) {
  if (!IsValidMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid metric name '", name, "'"));
  }
  if (!callback) return absl::InvalidArgumentError("gauge callback is empty");
  absl::MutexLock cb_lock(&callbacks_mu_);
  absl::MutexLock lock(&mu_);
  if (entries_.contains(std::string(name))) {
    return absl::AlreadyExistsError(absl::StrCat("metric ", name, " already registered"));
  }
  entries_[std::string(name)].kind = Kind::kCallback;
  callbacks_[std::string(name)] = Callback{std::string(help), std::move(callback), type};
  return absl::OkStatus();
}

void MetricsRegistry::RemoveGaugeCallback(absl::string_view name) {
  // The writer lock waits for scrapes running callbacks (they hold the reader lock).
  absl::MutexLock cb_lock(&callbacks_mu_);
  absl::MutexLock lock(&mu_);
  auto it = callbacks_.find(std::string(name));
  if (it == callbacks_.end()) return;
  callbacks_.erase(it);
  entries_.erase(std::string(name));
}

std::string MetricsRegistry::Render() const {
  std::map<std::string, std::string> blocks;  // metric name -> its lines, sorted by name
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, e] : entries_) {
      if (e.kind == Kind::kCallback) continue;
      std::string& out = blocks[name];
      const char* type = e.kind == Kind::kCounter     ? "counter"
                         : e.kind == Kind::kHistogram ? "histogram"
                                                      : "gauge";
      AppendHeader(&out, name, e.help, type);
      if (e.counters) {
        for (const auto& [labels, c] : e.counters->Children()) {
          AppendSample(&out, name, labels, c->Value());
        }
      } else if (e.gauges) {
        for (const auto& [labels, g] : e.gauges->Children()) {
          AppendSample(&out, name, labels, g->Value());
        }
      } else if (e.histograms) {
        const std::string bucket = name + "_bucket";
        for (const auto& [labels, h] : e.histograms->Children()) {
          Histogram::Snapshot s = h->Collect();
          for (size_t i = 0; i < s.cumulative_counts.size(); ++i) {
            std::string le =
                i < s.upper_bounds.size() ? FormatValue(s.upper_bounds[i]) : std::string("+Inf");
            AppendSample(&out, bucket, labels, static_cast<double>(s.cumulative_counts[i]), &le);
          }
          AppendSample(&out, name + "_sum", labels, s.sum);
          AppendSample(&out, name + "_count", labels, static_cast<double>(s.count));
        }
      }
    }
  }
  {
    absl::ReaderMutexLock lock(&callbacks_mu_);
    for (const auto& [name, cb] : callbacks_) {
      std::map<Labels, double> samples;  // sorted, one sample per label set
      for (auto& [labels, v] : cb.fn()) {
        if (!LabelsValid(labels, false)) {
          log::Warn("metrics: gauge callback sample with an invalid label name dropped",
                    {{"metric", name}});
          continue;
        }
        samples[std::move(labels)] = v;
      }
      std::string& out = blocks[name];
      AppendHeader(&out, name, cb.help, cb.type);
      for (const auto& [labels, v] : samples) AppendSample(&out, name, labels, v);
    }
  }
  std::string text;
  for (const auto& [name, block] : blocks) text += block;
  return text;
}

}  // namespace firegrid::server
