// A slow and lossy network between the services and Redis: hazards and notify reach Redis
// through a TCP proxy (tests/support/tcp_proxy.h) that, while a client keeps reporting hazards,
// in each cycle adds 100 ms of latency each way for a few seconds, then stalls every connection
// (a blackholed link) for a few seconds, then resets every live connection. The client behaves
// as a client should: a 2 s deadline per call, and a report that was not acknowledged is sent
// again with the same idempotency key until it is. Proved: every call ends by its deadline
// (bounded latency, nothing hangs), writes succeed again soon after the network heals
// (recovery), every acknowledged report is stored once, and the Subscribe stream opened before
// the faults still receives: every acknowledged report reaches it, the ones after the heal too.
//
// Kafka is not behind the proxy (brokers advertise their own address, which a proxy in front of
// the bootstrap alone does not change): the dev broker itself delays every response by 1 s and
// times out 5 Produce requests (its --control-file, tools/devbroker/README.md) while a probe
// report goes through; the probe still reaches the stream, later by the injected delay.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/redis/pool.h"
#include "services/hazards/store.h"
#include "tests/e2e/e2e_support.h"
#include "tests/faults/report.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;

constexpr absl::Duration kCallDeadline = absl::Seconds(2);
// What a call may take beyond its deadline before the client sees it end (scheduling on a
// loaded machine): more means the deadline was not honoured.
constexpr absl::Duration kDeadlineSlack = absl::Seconds(1);
constexpr absl::Duration kFaultFor = absl::Seconds(3);
constexpr int kCategories = 13;        // HazardCategory 1..13
constexpr int kBuildingsPerCycle = 6;  // 78 reports per cycle, one every 100 ms or so

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.0f ms", absl::ToDoubleMilliseconds(d));
}

struct Report {
  std::string key;  // idempotency key and description
  std::string hazard_id;
  int attempts = 0;
};

class NetworkFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    auto proxy = testing::TcpProxy::Start(redis_.port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, const std::string& redis,
                       std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis, broker_.bootstrap(),
                                     key_file, dir_.path());
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings", redis_.address(),
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    ASSERT_TRUE(buildings_->Start().ok());
    hazards_ = service(FIREGRID_HAZARDS_BIN, "hazards", proxy_->address(),
                       {"--rules-file=" + cfg + "/hazards_rules.textproto",
                        "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    ASSERT_TRUE(hazards_->Start().ok());
    notify_ = service(FIREGRID_NOTIFY_BIN, "notify", proxy_->address(),
                      {"--plan-file=" + cfg + "/plan_tasks.textproto"});
    ASSERT_TRUE(notify_->Start().ok());
    hazard_stub_ = hv1::HazardService::NewStub(
        grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
    building_stub_ = bv1::BuildingService::NewStub(
        grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (proxy_) {
      proxy_->SetStalled(false);
      proxy_->SetLatency(absl::ZeroDuration());
    }
    for (auto* s : {&notify_, &hazards_, &buildings_}) {
      if (*s && (*s)->running()) (*s)->Stop().IgnoreError();
    }
  }

  std::string Worker() {
    return tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  }

  // One report of slot `slot` (a building and category of its own, so that it is never linked
  // to another report as a duplicate) until acknowledged or `until`; each call's latency is
  // recorded.
  void ReportUntilAcknowledged(int slot, absl::Time until) {
    Report& r = reports_[slot];
    hv1::ReportHazardRequest req;
    const int buildings = static_cast<int>(buildings_ids_.size());
    req.set_building_id(buildings_ids_[slot % buildings]);
    req.set_category(static_cast<hv1::HazardCategory>(1 + slot / buildings));
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description(r.key);
    req.set_idempotency_key(r.key);
    while (absl::Now() < until) {
      hv1::ReportHazardResponse resp;
      auto ctx = testing::CallContext(worker_, kCallDeadline);
      const absl::Time start = absl::Now();
      grpc::Status s = hazard_stub_->ReportHazard(ctx.get(), req, &resp);
      const absl::Duration took = absl::Now() - start;
      ++r.attempts;
      ++calls_;
      max_latency_ = std::max(max_latency_, took);
      if (took > kCallDeadline + kDeadlineSlack) ++late_;
      if (s.ok()) {
        r.hazard_id = resp.hazard().hazard_id();
        last_ok_us_.store(absl::ToUnixMicros(absl::Now()));
        return;
      }
      ++failed_by_code_[s.error_code()];
      absl::SleepFor(absl::Milliseconds(50));  // the client's retry backoff
    }
  }

  testing::TempDir dir_{"network-faults"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::TcpProxy> proxy_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, notify_;
  std::unique_ptr<hv1::HazardService::Stub> hazard_stub_;
  std::unique_ptr<bv1::BuildingService::Stub> building_stub_;
  testing::DevTokens tokens_;
  std::string worker_;
  std::vector<std::string> buildings_ids_;
  std::vector<std::string> probe_buildings_;  // one per cycle, for the Kafka probe
  std::vector<Report> reports_;
  // Written by the reporting thread only; read after it ends.
  int64_t calls_ = 0;
  int64_t late_ = 0;
  absl::Duration max_latency_ = absl::ZeroDuration();
  std::atomic<int64_t> last_ok_us_{0};  // when a report was last acknowledged
  std::map<grpc::StatusCode, int> failed_by_code_;
};

TEST_F(NetworkFaults, LatencyStallAndResetsToRedisKeepDeadlinesLoseNothingAndStreamsFlow) {
  const int cycles = faults::Cycles(1);
  worker_ = Worker();
  const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  for (int i = 0; i < kBuildingsPerCycle * cycles; ++i) {
    buildings_ids_.push_back(
        testing::RegisterCommunityBuilding(*building_stub_, admin).building_id());
  }
  const int slots = static_cast<int>(buildings_ids_.size()) * kCategories;
  for (int i = 0; i < cycles; ++i) {
    probe_buildings_.push_back(
        testing::RegisterCommunityBuilding(*building_stub_, admin).building_id());
  }
  const std::string run = absl::StrCat(absl::ToUnixMicros(absl::Now()));
  for (int i = 0; i < slots; ++i) reports_.push_back(Report{absl::StrCat("net-", run, "-", i)});
  testing::Subscription stream(notify_->grpc_address(), worker_);
  ASSERT_TRUE(stream.WaitCaughtUp());
  // Hazards knows every building (from their events) before the faults: the first report of
  // each (NOT_FOUND until then) is acknowledged.
  const int first = static_cast<int>(buildings_ids_.size());
  for (int slot = 0; slot < first; ++slot) {
    ReportUntilAcknowledged(slot, absl::Now() + absl::Seconds(60));
    ASSERT_FALSE(reports_[slot].hazard_id.empty()) << "hazards never accepted a report";
  }
  failed_by_code_.clear();  // the figures below are of the calls under faults
  calls_ = 0;

  // The reporter: one slot after the other, each until acknowledged.
  std::atomic<int> next_slot{first};
  std::atomic<bool> stop{false};
  const int per_cycle = (slots - first) / cycles;
  std::thread reporter([&] {
    for (int slot = first; slot < slots && !stop.load(); ++slot) {
      ReportUntilAcknowledged(slot, absl::Now() + absl::Seconds(120));
      next_slot.store(slot + 1);
      absl::SleepFor(absl::Milliseconds(100));  // the client's pace, not a wait
    }
  });

  auto task_of = [](const std::string& id) {
    return [id](const notify::v1::Notification& n) {
      return n.kind() == notify::v1::KIND_HAZARD_TASK && n.hazard_id() == id;
    };
  };
  // A report of the cycle's probe building, acknowledged (retried with its key): its id.
  auto report_probe = [&](int cycle) {
    hv1::ReportHazardRequest req;
    req.set_building_id(probe_buildings_[cycle]);
    req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description(absl::StrCat("net-", run, "-probe-", cycle));
    req.set_idempotency_key(req.description());
    std::string id;
    testing::WaitUntil(
        [&] {
          hv1::ReportHazardResponse resp;
          if (!hazard_stub_->ReportHazard(testing::CallContext(worker_).get(), req, &resp).ok()) {
            return false;
          }
          id = resp.hazard().hazard_id();
          return true;
        },
        absl::Seconds(60));
    return id;
  };
  absl::Duration kafka_delay_max = absl::ZeroDuration();
  int probes_missing = 0;

  absl::Duration recovery_max = absl::ZeroDuration();
  std::vector<std::string> recoveries;
  auto heal_and_measure = [&](const std::string& what) {
    const absl::Time healed = absl::Now();
    const int64_t healed_us = absl::ToUnixMicros(healed);
    const bool ok = testing::WaitUntil(
        [&] { return last_ok_us_.load() > healed_us || next_slot.load() >= slots; },
        absl::Seconds(60));
    EXPECT_TRUE(ok) << "no report acknowledged within 60 s after " << what << " healed";
    EXPECT_LT(next_slot.load(), slots) << "the reports ran out before " << what << " healed";
    const absl::Duration took = absl::FromUnixMicros(last_ok_us_.load()) - healed;
    recovery_max = std::max(recovery_max, took);
    recoveries.push_back(absl::StrCat(what, " ", Ms(took)));
  };
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int cycle_end = std::min(slots, first + (cycle + 1) * per_cycle);
    // Latency: 100 ms each way on every Redis round trip.
    proxy_->SetLatency(absl::Milliseconds(100));
    absl::SleepFor(kFaultFor);  // the fault's duration, not a wait for a condition
    proxy_->SetLatency(absl::ZeroDuration());
    heal_and_measure("latency");
    // Stall: nothing passes, connections hang.
    proxy_->SetStalled(true);
    absl::SleepFor(kFaultFor);  // the fault's duration
    proxy_->SetStalled(false);
    heal_and_measure("stall");
    // Reset every live connection, twice in a row.
    proxy_->ResetAll();
    proxy_->ResetAll();
    heal_and_measure("reset");
    // Kafka: every response 1 s late, 5 Produce requests timed out; a probe report gets
    // through to the stream all the same.
    ASSERT_TRUE(broker_.Inject("rtt 1000\nerrors 0 5 7\n").ok());
    const std::string probe = report_probe(cycle);
    EXPECT_FALSE(probe.empty()) << "the probe report was not acknowledged";
    const absl::Time acknowledged_at = absl::Now();
    if (!stream.WaitFor(task_of(probe), absl::Seconds(60)).has_value()) ++probes_missing;
    const absl::Duration kafka_delay = absl::Now() - acknowledged_at;
    kafka_delay_max = std::max(kafka_delay_max, kafka_delay);
    ASSERT_TRUE(broker_.Inject("rtt 0\n").ok());
    // The injected delay shows (the event crosses the broker at least once each way).
    EXPECT_GE(kafka_delay, absl::Milliseconds(900)) << "the broker's injected rtt did not act";
    // The cycle's share of the slots is reported before the next cycle.
    EXPECT_TRUE(
        testing::WaitUntil([&] { return next_slot.load() >= cycle_end; }, absl::Seconds(120)));
  }
  stop = true;
  reporter.join();

  // A report after the heal, of a new building: the old stream receives it.
  const std::string after_building =
      testing::RegisterCommunityBuilding(*building_stub_, admin).building_id();
  std::string after_id;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        hv1::ReportHazardRequest req;
        req.set_building_id(after_building);
        req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
        req.set_severity(hv1::SEVERITY_GENERAL);
        req.set_source(hv1::SOURCE_GRID_INSPECTION);
        req.set_description("after the heal");
        req.set_idempotency_key(absl::StrCat("net-", run, "-after"));
        hv1::ReportHazardResponse resp;
        if (!hazard_stub_->ReportHazard(testing::CallContext(worker_).get(), req, &resp).ok()) {
          return false;
        }
        after_id = resp.hazard().hazard_id();
        return true;
      },
      absl::Seconds(60)));
  const bool stream_flows = stream.WaitFor(task_of(after_id), absl::Seconds(60)).has_value();

  // Every acknowledged report stored once, and on the stream.
  redis::PoolOptions po;
  ASSERT_TRUE(redis::ParseAddress(redis_.address(), &po).ok());
  std::unique_ptr<redis::Pool> pool = redis::Pool::Create(po);
  hazards::HazardStore store(pool.get(), "fg:hazards");
  std::map<std::string, int> stored_by_key;
  std::string cursor;
  do {
    auto page = store.Scan("", "", cursor, 500);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const hv1::Hazard& h : page->hazards) ++stored_by_key[h.description()];
    cursor = page->next_cursor;
  } while (!cursor.empty());
  int64_t writes = 0, acknowledged = 0, lost = 0, duplicated = 0, not_pushed = 0;
  for (const Report& r : reports_) {
    if (r.attempts == 0) continue;
    writes += r.attempts;  // every call sent, the NOT_FOUND ones of the start included
    if (stored_by_key[r.key] > 1) ++duplicated;
    if (r.hazard_id.empty()) continue;
    ++acknowledged;
    auto h = store.Get(r.hazard_id);
    if (!h.ok() || h->description() != r.key) ++lost;
    if (stream.WaitFor(task_of(r.hazard_id), absl::Seconds(5)) == std::nullopt) ++not_pushed;
  }
  std::vector<std::string> failed;
  for (const auto& [code, n] : failed_by_code_) failed.push_back(absl::StrCat(n, " x ", code));

  faults::Report(faults::Figures{
      .experiment =
          "slow and lossy network: Redis +100 ms, stall, resets; Kafka rtt 1 s, Produce errors",
      .cycles = cycles,
      .writes = writes,
      .acknowledged = acknowledged,
      .lost = lost,
      .duplicated = duplicated,
      .recovery_max = recovery_max,
      .extra = {{"calls_during_faults", absl::StrCat(calls_)},
                {"failed_calls_retried", absl::StrJoin(failed, ", ")},
                {"max_call_latency", Ms(max_latency_)},
                {"calls_past_deadline", absl::StrCat(late_)},
                {"recovery", absl::StrJoin(recoveries, ", ")},
                {"acknowledged_not_on_stream", absl::StrCat(not_pushed)},
                {"kafka_rtt_1s_probe_delay_max", Ms(kafka_delay_max)},
                {"kafka_probes_not_on_stream", absl::StrCat(probes_missing)},
                {"stream_receives_after_heal", stream_flows ? "yes" : "no"}}});

  EXPECT_EQ(late_, 0) << "calls ended later than their deadline; longest " << Ms(max_latency_);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(not_pushed, 0) << "acknowledged reports never reached the Subscribe stream";
  EXPECT_TRUE(stream_flows) << "the Subscribe stream opened before the faults is stuck";
  EXPECT_EQ(probes_missing, 0)
      << "a report made while the broker was slow never reached the stream";
  EXPECT_GT(acknowledged, slots / 2);
}

}  // namespace
}  // namespace firegrid
