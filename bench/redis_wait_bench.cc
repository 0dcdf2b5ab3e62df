// redis_wait_bench: what WAIT-before-acknowledge costs an acknowledged write, and what a
// failover could lose without it (issue 13: "offer WAIT as an option and report its cost and the
// loss bound without it").
//
// Starts a private redis-server master (AOF, fsync every second, as the prod Redis sets run) and
// one replica of it on free loopback ports, then runs the same write twice through the services'
// own path (redis::Pool + redis::Script, libs/redis): --writers concurrent writers, --writes in
// all, each write one script shaped like a hazard report's (a hash of 20 fields, an outbox XADD,
// 36 counter HINCRBYs, an index SADD and a timer ZADD):
//
//   without WAIT   (--redis-wait-replicas=0, the default): the baseline;
//   with WAIT 1    (--redis-wait-replicas=1): the call returns once the replica has the write.
//
// Without WAIT, a sampler reads the master's and the replica's replication offsets every 5 ms
// during the run: the bytes the master had acknowledged but the replica had not yet received at
// that moment are what a failover at that moment would lose, reported in writes (bytes divided by
// the average bytes a write adds to the replication stream) — the loss bound in practice, on
// loopback; across nodes the replica's round trip adds to it. With WAIT it is 0 by construction:
// nothing is acknowledged before the replica has it (checked: after the WAIT run the replica holds
// every write).
//
//   redis_wait_bench [--writes=20000] [--writers=16]
//
// Prints both runs, the ratios and FIGURE lines (bench/run.sh). Exit 1 when the servers could not
// be set up or a write failed. Not a CTest test.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/stack.h"
#include "libs/common/config.h"
#include "libs/redis/pool.h"
#include "libs/redis/script.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"

namespace firegrid::bench {
namespace {

struct Config {
  int writes = 20000;
  int writers = 16;
};

// One acknowledged write of the shape of a hazard report (services/hazards: the hazard's hash,
// its outbox event, the counters of its place and departments, its index and its deadline).
const redis::Script& ReportShapedWrite() {
  static const redis::Script* script = new redis::Script(R"lua(
local id = ARGV[1]
local h = {}
for i = 1, 20 do h[#h + 1] = 'f' .. i; h[#h + 1] = 'value of field ' .. i .. ' of ' .. id end
redis.call('HSET', 'bench:hazard:' .. id, unpack(h))
redis.call('XADD', 'bench:outbox', 'MAXLEN', '~', '100000', '*', 'id', id, 'event', string.rep('e', 300))
for i = 1, 36 do redis.call('HINCRBY', 'bench:counters:' .. (i % 6), 'c' .. i, 1) end
redis.call('SADD', 'bench:index', id)
redis.call('ZADD', 'bench:timers', tonumber(ARGV[2]), id)
return 1
)lua");
  return *script;
}

int64_t InfoField(redis::Pool& pool, const std::string& field) {
  auto info = pool.Command({"INFO", "replication"});
  if (!info.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(info->str, "\r\n")) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    int64_t v = 0;
    if (kv.size() == 2 && kv[0] == field && absl::SimpleAtoi(kv[1], &v)) return v;
  }
  return -1;
}

struct Run {
  double seconds = 0;
  std::vector<double> latencies_ms;  // sorted
  int64_t repl_bytes = 0;            // replication stream bytes the run added
  int64_t max_lag_bytes = 0;         // largest master - replica offset seen (sampled)
  double p99_lag_bytes = 0;
};

Run Measure(const Config& c, int port, int replica_port, int wait_replicas, const std::string& tag) {
  redis::PoolOptions po;
  po.port = port;
  po.size = c.writers;
  po.wait_replicas = wait_replicas;
  std::unique_ptr<redis::Pool> pool = redis::Pool::Create(po);
  redis::PoolOptions so;
  so.port = port;
  so.size = 1;
  std::unique_ptr<redis::Pool> sampler_pool = redis::Pool::Create(so);
  redis::PoolOptions ro = so;
  ro.port = replica_port;
  std::unique_ptr<redis::Pool> replica_pool = redis::Pool::Create(ro);

  Run run;
  const int64_t offset_before = InfoField(*sampler_pool, "master_repl_offset");
  std::atomic<bool> done{false};
  std::vector<double> lags;
  std::thread sampler([&] {
    while (!done.load()) {
      const int64_t master = InfoField(*sampler_pool, "master_repl_offset");
      const int64_t replica = InfoField(*replica_pool, "slave_repl_offset");
      if (master >= 0 && replica >= 0) lags.push_back(static_cast<double>(std::max<int64_t>(0, master - replica)));
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> per_writer(c.writers);
  const absl::Time start = absl::Now();
  std::vector<std::thread> writers;
  for (int w = 0; w < c.writers; ++w) {
    writers.emplace_back([&, w] {
      for (int i = next.fetch_add(1); i < c.writes; i = next.fetch_add(1)) {
        const absl::Time t0 = absl::Now();
        auto r = ReportShapedWrite().Run(*pool, {}, {absl::StrCat(tag, "-", i), absl::StrCat(i)});
        if (!r.ok()) {
          if (failures.fetch_add(1) == 0) std::cerr << "write failed: " << r.status() << "\n";
          continue;
        }
        per_writer[w].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      }
    });
  }
  for (auto& t : writers) t.join();
  run.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  done = true;
  sampler.join();
  if (failures.load() > 0) Fail(absl::StrCat(failures.load(), " writes failed (", tag, ")"));
  for (auto& v : per_writer) run.latencies_ms.insert(run.latencies_ms.end(), v.begin(), v.end());
  std::sort(run.latencies_ms.begin(), run.latencies_ms.end());
  run.repl_bytes = InfoField(*sampler_pool, "master_repl_offset") - offset_before;
  std::sort(lags.begin(), lags.end());
  run.max_lag_bytes = lags.empty() ? 0 : static_cast<int64_t>(lags.back());
  run.p99_lag_bytes = Percentile(lags, 0.99);
  if (wait_replicas > 0) {
    // Every acknowledged write is on the replica.
    auto n = replica_pool->Command({"SCARD", "bench:index"});
    auto m = sampler_pool->Command({"SCARD", "bench:index"});
    if (!n.ok() || !m.ok() || n->integer != m->integer) {
      Fail("after the WAIT run the replica does not hold every acknowledged write");
    }
  }
  return run;
}

int RunBench(const Config& c) {
  if (c.writes <= 0 || c.writers <= 0) Fail("--writes and --writers must be positive");
  Step("starting a redis-server master and a replica");
  testing::RedisServer master(testing::RedisServerOptions{.appendfsync = "everysec"});
  if (absl::Status s = master.Start(); !s.ok()) Fail(s.ToString());
  testing::RedisServer replica(testing::RedisServerOptions{
      .appendfsync = "everysec",
      .extra_args = {"--replicaof", "127.0.0.1", absl::StrCat(master.port())}});
  if (absl::Status s = replica.Start(); !s.ok()) Fail(s.ToString());
  redis::PoolOptions mo;
  mo.port = master.port();
  std::unique_ptr<redis::Pool> admin = redis::Pool::Create(mo);
  // Connected and through its initial sync (offsets only move once it is online).
  if (!testing::WaitUntil(
          [&] {
            auto info = admin->Command({"INFO", "replication"});
            return info.ok() && absl::StrContains(info->str, "state=online");
          },
          absl::Seconds(30))) {
    Fail("the replica did not come online");
  }

  Step(absl::StrCat("without WAIT: ", c.writes, " writes by ", c.writers, " writers"));
  const Run plain = Measure(c, master.port(), replica.port(), 0, "plain");
  Step(absl::StrCat("with WAIT 1: ", c.writes, " writes by ", c.writers, " writers"));
  const Run waited = Measure(c, master.port(), replica.port(), 1, "wait");

  const double plain_rate = c.writes / plain.seconds;
  const double waited_rate = c.writes / waited.seconds;
  const double bytes_per_write = static_cast<double>(plain.repl_bytes) / c.writes;
  const double max_lost = plain.max_lag_bytes / bytes_per_write;
  const double p99_lost = plain.p99_lag_bytes / bytes_per_write;
  auto row = [](const char* name, double rate, const Run& r) {
    std::cout << absl::StrFormat("%-14s %9.0f writes/s   p50 %s   p99 %s\n", name, rate,
                                 Ms(Percentile(r.latencies_ms, 0.5)),
                                 Ms(Percentile(r.latencies_ms, 0.99)));
  };
  row("without WAIT", plain_rate, plain);
  row("with WAIT 1", waited_rate, waited);
  std::cout << absl::StrFormat(
      "without WAIT the replica was behind by at most %.0f bytes (p99 of samples %.0f), "
      "%.1f writes of %.0f bytes each (p99 %.1f)\n",
      static_cast<double>(plain.max_lag_bytes), plain.p99_lag_bytes, max_lost, bytes_per_write,
      p99_lost);
  const std::string baseline =
      absl::StrFormat("without WAIT %.0f writes/s, p99 %s (%d writers, loopback replica)",
                      plain_rate, Ms(Percentile(plain.latencies_ms, 0.99)), c.writers);
  std::cout << absl::StrFormat("FIGURE\tAcknowledged writes with WAIT 1\t%.2f\tx without WAIT\treport\t%s\n",
                               waited_rate / plain_rate, baseline);
  std::cout << absl::StrFormat(
      "FIGURE\tWrite p99 with WAIT 1\t%.2f\tms\treport\t%s\n",
      Percentile(waited.latencies_ms, 0.99), baseline);
  std::cout << absl::StrFormat(
      "FIGURE\tWrites a failover could lose without WAIT (max of 5 ms samples)\t%.1f\twrites\treport\t%s\n",
      max_lost, baseline);
  return 0;
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("redis_wait_bench");
  binder.Int("writes", &c.writes, c.writes, "acknowledged writes per run", 1, 10000000);
  binder.Int("writers", &c.writers, c.writers, "concurrent writers", 1, 256);
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv,
                                           [&] { return firegrid::bench::RunBench(c); });
}
