#include "libs/server/metrics.h"

#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/version.h"
#include "libs/server/process_metrics.h"

namespace firegrid::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRegistry, RendersCounterWithHelpTypeAndSortedLabels) {
  MetricsRegistry r;
  auto& c = r.AddCounter("firegrid_events_total", "Events seen.");
  c.Get({{"topic", "hazards"}, {"kind", "reported"}}).Increment();
  c.Get({{"topic", "hazards"}, {"kind", "reported"}}).Increment(2);
  c.Get({{"kind", "closed"}, {"topic", "hazards"}}).Increment();
  EXPECT_EQ(r.Render(),
            "# HELP firegrid_events_total Events seen.\n"
            "# TYPE firegrid_events_total counter\n"
            "firegrid_events_total{kind=\"closed\",topic=\"hazards\"} 1\n"
            "firegrid_events_total{kind=\"reported\",topic=\"hazards\"} 3\n");
}

TEST(MetricsRegistry, CounterCallbackRendersAsACounter) {
  MetricsRegistry r;
  ASSERT_TRUE(r.AddCounterCallback("x_total", "Things.", [] {
                 return std::vector<std::pair<Labels, double>>{{{{"topic", "t"}}, 3}};
               }).ok());
  EXPECT_EQ(r.Render(), "# HELP x_total Things.\n# TYPE x_total counter\nx_total{topic=\"t\"} 3\n");
  EXPECT_EQ(r.AddCounterCallback("x_total", "again",
                                 [] { return std::vector<std::pair<Labels, double>>{}; })
                .code(),
            absl::StatusCode::kAlreadyExists);
  r.RemoveGaugeCallback("x_total");
  EXPECT_EQ(r.Render(), "");
}

TEST(ProcessMetrics, ReportThisProcessAndTheBuild) {
  MetricsRegistry r;
  ASSERT_TRUE(RegisterProcessMetrics(r).ok());
  RegisterBuildInfo(r);
  const std::string text = r.Render();
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\n", "# TYPE process_open_fds gauge\n",
        "# TYPE process_max_fds gauge\n", "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n",
        "# TYPE process_start_time_seconds gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  EXPECT_NE(text.find(absl::StrCat("firegrid_build_info{commit=\"", BuildCommit(), "\",version=\"",
                                   BuildVersion(), "\"} 1\n")),
            std::string::npos)
      << text;
  // A sample's value in a rendering.
  auto value = [](const std::string& t, const std::string& name) {
    const std::string prefix = "\n" + name + " ";
    size_t p = t.find(prefix);
    double v = -1;
    if (p != std::string::npos) {
      p += prefix.size();
      EXPECT_TRUE(absl::SimpleAtod(t.substr(p, t.find('\n', p) - p), &v));
    }
    return v;
  };
  // The start time is now-ish (within a day of this test), not zero or boot time.
  EXPECT_NEAR(value(text, "process_start_time_seconds"), absl::ToUnixSeconds(absl::Now()), 86400);
  // Opening a file shows in process_open_fds.
  auto fds = [&] { return value(r.Render(), "process_open_fds"); };
  const double before = fds();
  FILE* f = std::fopen("/proc/self/stat", "r");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(fds(), before + 1);
  std::fclose(f);
}

TEST(MetricsRegistry, CountersIgnoreNegativeAndNaNIncrements) {
  MetricsRegistry r;
  Counter& c = r.AddCounter("c_total", "c").Get();
  c.Increment(5);
  c.Increment(-3);
  c.Increment(std::nan(""));
  EXPECT_EQ(c.Value(), 5);
}

TEST(MetricsRegistry, GaugesSetAndAddAndRenderUnlabelled) {
  MetricsRegistry r;
  Gauge& g = r.AddGauge("firegrid_inflight", "In flight.").Get();
  g.Set(4);
  g.Add(-1.5);
  EXPECT_THAT(r.Render(), HasSubstr("# TYPE firegrid_inflight gauge\nfiregrid_inflight 2.5\n"));
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelpText) {
  MetricsRegistry r;
  r.AddCounter("x_total", "line one\nback\\slash \"quoted\"")
      .Get({{"path", "a\"b\\c\nd"}})
      .Increment();
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# HELP x_total line one\\nback\\\\slash \"quoted\"\n"));
  EXPECT_THAT(text, HasSubstr("x_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"));
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("\\\"\n"), "\\\\\\\"\\n");
  EXPECT_EQ(EscapeHelp("a\"b"), "a\"b");  // quotes are not escaped in HELP
}

TEST(MetricsRegistry, FormatsSpecialAndLargeValuesExactly) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1234567), "1234567");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(9007199254740993.0), "9007199254740992");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry r;
  auto& h = r.AddHistogram("lat_seconds", "Latency.", {0.125, 1});
  Histogram& m = h.Get({{"op", "get"}});
  m.Observe(0.0625);
  m.Observe(0.125);  // upper bounds are inclusive
  m.Observe(0.5);
  m.Observe(3);
  EXPECT_EQ(r.Render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"get\",le=\"0.125\"} 2\n"
            "lat_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{op=\"get\"} 3.6875\n"
            "lat_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsRegistry, SortsMetricsByNameAcrossKindsAndCallbacks) {
  MetricsRegistry r;
  r.AddGauge("b_gauge", "b").Get().Set(1);
  ASSERT_TRUE(r.AddGaugeCallback("c_callback", "c", [] {
                 return std::vector<std::pair<Labels, double>>{{{}, 3}};
               }).ok());
  r.AddCounter("a_total", "a").Get().Increment();
  std::string text = r.Render();
  size_t a = text.find("# HELP a_total");
  size_t b = text.find("# HELP b_gauge");
  size_t c = text.find("# HELP c_callback");
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(MetricsRegistry, ReRegisteringTheSameKindReturnsTheSameFamily) {
  MetricsRegistry r;
  auto& first = r.AddCounter("dup_total", "first help");
  auto& second = r.AddCounter("dup_total", "second help");
  EXPECT_EQ(&first, &second);
  EXPECT_THAT(r.Render(), HasSubstr("# HELP dup_total first help\n"));
}

TEST(MetricsRegistryDeathTest, ConflictingKindsAndInvalidNamesAbort) {
  MetricsRegistry r;
  r.AddCounter("taken_total", "x");
  EXPECT_DEATH(r.AddGauge("taken_total", "x"), "different types");
  EXPECT_DEATH(r.AddCounter("9starts_with_digit", "x"), "invalid metric name");
  EXPECT_DEATH(r.AddCounter("ok_total", "x").Get({{"bad-label", "v"}}), "invalid label name");
  EXPECT_DEATH(r.AddCounter("ok2_total", "x").Get({{"__reserved", "v"}}), "invalid label name");
  EXPECT_DEATH(r.AddHistogram("h_seconds", "x").Get({{"le", "1"}}), "reserved");
  EXPECT_DEATH(r.AddHistogram("h2_seconds", "x", {1, 0.5}), "strictly increasing");
}

TEST(MetricsRegistry, GaugeCallbackIsEvaluatedAtEachScrape) {
  MetricsRegistry r;
  std::atomic<int> backlog{3};
  ASSERT_TRUE(
      r.AddGaugeCallback("firegrid_outbox_backlog", "Outbox entries not yet published.", [&] {
         return std::vector<std::pair<Labels, double>>{
             {{{"topic", "firegrid.hazards.events.v1"}}, static_cast<double>(backlog.load())},
             {{{"topic", "firegrid.credit.events.v1"}}, 0}};
       }).ok());
  EXPECT_THAT(r.Render(),
              HasSubstr("# TYPE firegrid_outbox_backlog gauge\n"
                        "firegrid_outbox_backlog{topic=\"firegrid.credit.events.v1\"} 0\n"
                        "firegrid_outbox_backlog{topic=\"firegrid.hazards.events.v1\"} 3\n"));
  backlog = 11;
  EXPECT_THAT(r.Render(),
              HasSubstr("firegrid_outbox_backlog{topic=\"firegrid.hazards.events.v1\"} 11\n"));
}

TEST(MetricsRegistry, GaugeCallbackDropsSamplesWithInvalidLabelNames) {
  MetricsRegistry r;
  ASSERT_TRUE(r.AddGaugeCallback("lag", "Lag.", [] {
                 return std::vector<std::pair<Labels, double>>{{{{"bad name", "x"}}, 1},
                                                               {{{"partition", "0"}}, 2}};
               }).ok());
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("lag{partition=\"0\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("bad name")));
}

TEST(MetricsRegistry, GaugeCallbackNamesAreUniqueAndValidated) {
  MetricsRegistry r;
  auto cb = [] { return std::vector<std::pair<Labels, double>>{}; };
  ASSERT_TRUE(r.AddGaugeCallback("lag", "x", cb).ok());
  EXPECT_EQ(r.AddGaugeCallback("lag", "x", cb).code(), absl::StatusCode::kAlreadyExists);
  r.AddCounter("events_total", "x");
  EXPECT_EQ(r.AddGaugeCallback("events_total", "x", cb).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.AddGaugeCallback("bad-name", "x", cb).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddGaugeCallback("empty", "x", nullptr).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MetricsRegistry, RemovedGaugeCallbackIsNotCalledAgainAndItsNameIsFree) {
  MetricsRegistry r;
  int calls = 0;
  ASSERT_TRUE(r.AddGaugeCallback("lag", "x", [&] {
                 ++calls;
                 return std::vector<std::pair<Labels, double>>{{{}, 1}};
               }).ok());
  r.Render();
  EXPECT_EQ(calls, 1);
  r.RemoveGaugeCallback("lag");
  EXPECT_THAT(r.Render(), Not(HasSubstr("lag")));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(
      r.AddGaugeCallback("lag", "x", [] { return std::vector<std::pair<Labels, double>>{}; }).ok());
  r.RemoveGaugeCallback("never_added");  // no-op
}

TEST(MetricsRegistry, ConcurrentUpdatesAndScrapesLoseNothing) {
  MetricsRegistry r;
  auto& c = r.AddCounter("hits_total", "x");
  auto& h = r.AddHistogram("obs_seconds", "x");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.Get({{"shard", std::to_string(i % 2)}}).Increment();
        h.Get().Observe(0.001);
        if (t == 0 && i % 1000 == 0) r.Render();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.Get({{"shard", "0"}}).Value() + c.Get({{"shard", "1"}}).Value(),
            kThreads * kPerThread);
  EXPECT_EQ(h.Get().Collect().count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_THAT(r.Render(), HasSubstr("obs_seconds_bucket{le=\"0.005\"} 80000\n"));
}

}  // namespace
}  // namespace firegrid::server
