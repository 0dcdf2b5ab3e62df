// city_bench: ledgers, statistics, filtered listings, restarts and Redis memory at city scale.
//
// Starts a private redis-server (AOF everysec) on a free loopback port in a temporary
// directory, loads the city dataset (bench/city_dataset.h: --buildings, --hazards) through the
// buildings' and the hazards' store layers, then starts the dev broker, firegrid-buildings and
// firegrid-hazards on that Redis and measures, one call at a time (one stream, no other load):
//   - GetLedger and GetStatistics for the district and for a street (goal p99 <= 50 ms),
//     against the same figures counted the way the services counted them before the
//     maintained counters (a scan of every building / hazard under the scope, in this process,
//     no gRPC: the "scan baseline");
//   - ListHazards with status, category and tier filters and ListBuildings with filters
//     (goal p99 <= 20 ms);
//   - each service's restart (SIGKILL, start, until grpc.health reports SERVING; goal <= 10 s);
//   - Redis memory before and after each load (goal <= 4 GiB; bytes per building and hazard).
// Correctness: the counters the services read must equal a recount of what was loaded (checked
// here once; the same property is a test: hazards_registry_integration_test,
// buildings_ledger_counters_integration_test), and the loads produce no event (both outbox
// streams are empty: nothing for a consumer to skip).
//
//   city_bench [--buildings=50000] [--hazards=1000000] [--samples=200] [--scan-samples=3]
//
// Exit 0 whatever the figures (goals are reported, not enforced); 1 when the stack could not be
// set up or a check failed. Not a CTest test.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/city_dataset.h"
#include "bench/h2load.h"
#include "bench/stack.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/buildings/filing.h"
#include "services/buildings/ledger.h"
#include "services/hazards/statistics.h"

namespace firegrid::bench {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

constexpr char kDistrict[] = "500109";
constexpr double kReadGoalMs = 50, kListGoalMs = 20, kReadyGoalS = 10;
constexpr double kMemoryGoalBytes = 4.0 * 1024 * 1024 * 1024;

struct Config {
  int buildings = 0;
  int hazards = 0;
  int samples = 0;
  int scan_samples = 0;
  int writers = 0;
};

// The nearest-rank percentile of unsorted values.
double PercentileOf(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return Percentile(v, q);
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

// `calls` timed calls of `call` (after 3 untimed ones), in milliseconds.
std::vector<double> Time(int calls, const std::function<void()>& call) {
  for (int i = 0; i < 3; ++i) call();
  std::vector<double> ms;
  for (int i = 0; i < calls; ++i) {
    const absl::Time t0 = absl::Now();
    call();
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  return ms;
}

int64_t UsedMemory(redis::Pool& pool) {
  auto r = pool.Command({"INFO", "memory"});
  if (!r.ok()) Fail("INFO memory: " + r.status().ToString());
  const size_t at = r->str.find("used_memory:");
  int64_t n = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(r->str.substr(at + 12, r->str.find('\r', at) - at - 12), &n)) {
    Fail("cannot read used_memory");
  }
  return n;
}

int64_t Integer(redis::Pool& pool, const std::vector<std::string>& cmd) {
  auto r = pool.Command(cmd);
  if (!r.ok()) Fail(absl::StrCat(cmd[0], ": ", r.status().ToString()));
  return r->integer;
}

// Waits until Redis runs no AOF rewrite and has none scheduled.
void AwaitNoAofRewrite(redis::Pool& pool) {
  const absl::Time deadline = absl::Now() + absl::Minutes(10);
  while (absl::Now() < deadline) {
    auto info = pool.Command({"INFO", "persistence"});
    if (!info.ok()) Fail("INFO persistence: " + info.status().ToString());
    if (info->str.find("aof_rewrite_in_progress:0") != std::string::npos &&
        info->str.find("aof_rewrite_scheduled:0") != std::string::npos) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  Fail("an AOF rewrite did not finish in 10 minutes");
}

std::string MiB(double bytes) { return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0)); }

struct Row {
  std::string name;
  std::vector<double> ms;
  double goal_ms = 0;
  std::string baseline;  // what it is measured against
};

void PrintRow(const Row& r) {
  std::printf("  %-58s p50 %8.2fms  p99 %8.2fms  max %8.2fms  (n=%zu)\n", r.name.c_str(),
              PercentileOf(r.ms, 0.5), PercentileOf(r.ms, 0.99), PercentileOf(r.ms, 1.0),
              r.ms.size());
}

int Run(const Config& c) {
  // The benchmark profile (bench/README.md): one principal sends every call.
  Stack stack("city-bench", LimitersOff());
  stack.StartRedis();
  testing::RedisServer& redis = stack.redis();
  redis::PoolOptions po;
  po.port = redis.port();
  po.size = c.writers + 2;
  po.command_timeout = absl::Seconds(120);
  auto pool = redis::Pool::Create(po);

  // ----- the load, through the store layers
  CityOptions o;
  o.buildings = c.buildings;
  o.hazards = c.hazards;
  o.now = absl::Now();
  o.writers = c.writers;
  o.progress = Step;
  const int64_t mem0 = UsedMemory(*pool);
  buildings::RedisStore bstore(pool.get(), "fg:buildings", buildings::DefaultRules());
  // An empty store: its GEO index and ledger counters are complete from the start (the markers
  // the services look for at start-up), and every write below keeps them so.
  if (auto s = bstore.IndexBuildingLocations(); !s.ok()) Fail(s.status().ToString());
  if (auto s = bstore.ledger_counters().Build(bstore); !s.ok()) Fail(s.status().ToString());
  SequentialIdGenerator ids;
  buildings::Registry registry(&bstore, buildings::DefaultRules(), RealClock::Get(), &ids);
  CityCounts counts;
  const absl::Time b0 = absl::Now();
  if (absl::Status s = LoadCityBuildings(o, registry, bstore, &counts); !s.ok()) {
    Fail("loading buildings: " + s.ToString());
  }
  const absl::Duration building_load = absl::Now() - b0;
  const int64_t mem1 = UsedMemory(*pool);

  const std::string cfg = FIREGRID_CONFIG_DIR;
  auto rules = hazards::Rules::LoadFiles(cfg + "/hazards_rules.textproto",
                                         cfg + "/hazards_guidance.textproto");
  if (!rules.ok()) Fail("hazards rules: " + rules.status().ToString());
  hazards::HazardStore hstore(pool.get(), "fg:hazards");
  if (auto s = hstore.counters().Build(hstore); !s.ok()) Fail(s.status().ToString());
  const absl::Time h0 = absl::Now();
  if (absl::Status s = LoadCityHazards(o, bstore, *rules, hstore, &counts); !s.ok()) {
    Fail("loading hazards: " + s.ToString());
  }
  const absl::Duration hazard_load = absl::Now() - h0;
  const int64_t mem2 = UsedMemory(*pool);
  const int64_t keys = Integer(*pool, {"DBSIZE"});
  Step(absl::StrFormat(
      "loaded %d org units, %d buildings in %s; %d hazards (%d open, %d duplicates) in %s; "
      "%d keys",
      counts.org_units, counts.buildings,
      absl::FormatDuration(absl::Trunc(building_load, absl::Milliseconds(100))), counts.hazards,
      counts.open_hazards, counts.duplicates,
      absl::FormatDuration(absl::Trunc(hazard_load, absl::Milliseconds(100))), keys));

  // ----- checks: no event produced; the counters equal a recount of what was loaded
  const int64_t outbox_b = Integer(*pool, {"XLEN", "fg:buildings:outbox"});
  const int64_t outbox_h = Integer(*pool, {"XLEN", "fg:hazards:outbox"});
  if (outbox_b != 0 || outbox_h != 0) Fail("the load produced events");
  Step("checking the counters against a recount of everything loaded");
  std::vector<bv1::Building> all_buildings;
  std::string cursor;
  do {
    auto page = bstore.ScanBuildings("", cursor, 1000);
    if (!page.ok()) Fail(page.status().ToString());
    for (auto& b : page->buildings) all_buildings.push_back(std::move(b));
    cursor = page->next_cursor;
  } while (!cursor.empty());
  {
    auto stored = bstore.ledger_counters().Read();
    if (!stored.ok()) Fail(stored.status().ToString());
    if (!(*stored == bstore.ledger_counters().Recount(all_buildings))) {
      Fail("ledger counters differ from a recount");
    }
  }
  {
    redis::CounterSnapshot recount;  // page by page: a million hazards need not sit in memory
    cursor.clear();
    do {
      auto page = hstore.Scan("", "", cursor, 1000);
      if (!page.ok()) Fail(page.status().ToString());
      for (const auto& h : page->hazards) recount.Merge(hstore.counters().ContributionOf(h));
      cursor = page->next_cursor;
    } while (!cursor.empty());
    recount.DropZeros();
    auto stored = hstore.counters().Read();
    if (!stored.ok()) Fail(stored.status().ToString());
    if (!(*stored == recount)) Fail("statistics counters differ from a recount");
  }
  all_buildings.clear();
  Step("counters equal a recount; both outboxes empty");
  // A real dataset is old when it is read: rewrite the append-only file now, so that the
  // rewrite the load's growth sets off (a fork writing the whole dataset) does not land among
  // the timed calls.
  AwaitNoAofRewrite(*pool);
  if (auto r = pool->Command({"BGREWRITEAOF"}); !r.ok()) Fail(r.status().ToString());
  AwaitNoAofRewrite(*pool);
  Step("append-only file rewritten");

  // The street with the most buildings, as the street of the street-level figures.
  std::string street = counts.streets.front();
  {
    int best = -1;
    for (const auto& s : counts.streets) {
      auto page = bstore.ScanBuildings(s, "", 100000);
      if (page.ok() && static_cast<int>(page->buildings.size()) > best) {
        best = static_cast<int>(page->buildings.size());
        street = s;
      }
    }
  }

  // ----- the scan baseline: the read as the services did it before the counters
  const buildings::Rules brules = buildings::DefaultRules();
  const WorkCalendar calendar = *buildings::CalendarFromRules(brules);
  auto scan_ledger = [&](const std::string& scope) {
    std::vector<bv1::Building> under;
    std::string cur;
    do {
      auto page = bstore.ScanBuildings(scope, cur, 500);
      if (!page.ok()) Fail(page.status().ToString());
      for (auto& b : page->buildings) {
        buildings::ComputeFilingState(b.mutable_responsibility(), absl::Now(), calendar,
                                      brules.filing().filing_period_working_days());
        under.push_back(std::move(b));
      }
      cur = page->next_cursor;
    } while (!cur.empty());
    return buildings::ComputeLedger(scope, under, {}, absl::Now());
  };
  auto scan_stats = [&](const std::string& scope) {
    hazards::StatisticsTally tally(scope, "", absl::Now());
    std::string cur;
    do {
      auto page = hstore.Scan("", scope, cur, 500);
      if (!page.ok()) Fail(page.status().ToString());
      for (const auto& h : page->hazards) tally.Add(h);
      cur = page->next_cursor;
    } while (!cur.empty());
    return tally.Finish();
  };
  Step(absl::StrCat("scan baseline: ", c.scan_samples, " scans each of district ", kDistrict,
                    " and street ", street));
  const auto scan_ledger_d = Time(c.scan_samples, [&] { scan_ledger(kDistrict); });
  const auto scan_ledger_s = Time(c.scan_samples, [&] { scan_ledger(street); });
  const auto scan_stats_d = Time(c.scan_samples, [&] { scan_stats(kDistrict); });
  const auto scan_stats_s = Time(c.scan_samples, [&] { scan_stats(street); });

  // ----- the services on that Redis
  stack.StartBroker();
  testing::ServiceProcess* bsvc =
      &stack.Add(Service::kBuildings, {}, "buildings", absl::Minutes(5));
  testing::ServiceProcess* hsvc = &stack.Add(Service::kHazards, {}, "hazards", absl::Minutes(5));
  std::vector<std::pair<std::string, double>> first_start;
  for (auto [name, svc] : {std::pair{"buildings", bsvc}, std::pair{"hazards", hsvc}}) {
    const absl::Time t0 = absl::Now();
    stack.Start(*svc);
    first_start.push_back({name, absl::ToDoubleSeconds(absl::Now() - t0)});
  }

  const std::string token =
      stack.Token(auth::Role::kDistrictAdmin, kDistrict, kDistrict, "bench-admin");
  auto bstub = bv1::BuildingService::NewStub(
      grpc::CreateChannel(bsvc->grpc_address(), grpc::InsecureChannelCredentials()));
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hsvc->grpc_address(), grpc::InsecureChannelCredentials()));
  auto ctx = [&](grpc::ClientContext* cc) {
    cc->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    auth::AttachToken(cc, token);
  };
  auto must = [](const grpc::Status& s, const std::string& what) {
    if (!s.ok()) Fail(absl::StrCat(what, ": ", s.error_code(), " ", s.error_message()));
  };
  auto ledger = [&](const std::string& scope) {
    return [&, scope] {
      bv1::GetLedgerRequest req;
      req.set_tier_path(scope);
      bv1::Ledger out;
      grpc::ClientContext cc;
      ctx(&cc);
      must(bstub->GetLedger(&cc, req, &out), "GetLedger " + scope);
    };
  };
  auto stats = [&](const std::string& scope) {
    return [&, scope] {
      hv1::GetStatisticsRequest req;
      req.set_tier_path(scope);
      hv1::Statistics out;
      grpc::ClientContext cc;
      ctx(&cc);
      must(hstub->GetStatistics(&cc, req, &out), "GetStatistics " + scope);
    };
  };
  auto list_hazards = [&](hv1::ListHazardsRequest req) {
    return [&, req] {
      hv1::ListHazardsResponse out;
      grpc::ClientContext cc;
      ctx(&cc);
      must(hstub->ListHazards(&cc, req, &out), "ListHazards");
    };
  };
  auto list_buildings = [&](bv1::ListBuildingsRequest req) {
    return [&, req] {
      bv1::ListBuildingsResponse out;
      grpc::ClientContext cc;
      ctx(&cc);
      must(bstub->ListBuildings(&cc, req, &out), "ListBuildings");
    };
  };

  // The services' answers equal the scan's (the counters as read over gRPC).
  {
    bv1::GetLedgerRequest req;
    req.set_tier_path(kDistrict);
    bv1::Ledger got;
    grpc::ClientContext cc;
    ctx(&cc);
    must(bstub->GetLedger(&cc, req, &got), "GetLedger");
    const bv1::Ledger scanned = scan_ledger(kDistrict);
    if (got.totals().SerializeAsString() != scanned.totals().SerializeAsString()) {
      Fail("GetLedger's totals differ from the scan's: " + got.totals().ShortDebugString() +
           " vs " + scanned.totals().ShortDebugString());
    }
  }

  Step(absl::StrCat("timing ", c.samples, " calls of each read"));
  std::vector<Row> reads = {
      {"GetLedger district " + std::string(kDistrict), Time(c.samples, ledger(kDistrict)),
       kReadGoalMs, "scan"},
      {"GetLedger street " + street, Time(c.samples, ledger(street)), kReadGoalMs, "scan"},
      {"GetStatistics district " + std::string(kDistrict), Time(c.samples, stats(kDistrict)),
       kReadGoalMs, "scan"},
      {"GetStatistics street " + street, Time(c.samples, stats(street)), kReadGoalMs, "scan"},
  };
  std::vector<std::pair<std::string, hv1::ListHazardsRequest>> hazard_lists;
  {
    hv1::ListHazardsRequest r;
    r.set_tier_path_prefix(kDistrict);
    r.set_page_size(20);
    hazard_lists.push_back({"ListHazards district, no filter", r});
    r.add_statuses(hv1::STATUS_ASSIGNED);
    hazard_lists.push_back({"ListHazards district, status assigned", r});
    r.clear_statuses();
    r.add_categories(hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED);
    hazard_lists.push_back({"ListHazards district, category control room", r});
    r.clear_categories();
    r.set_tier_path_prefix(street);
    r.add_statuses(hv1::STATUS_SUBMITTED);
    hazard_lists.push_back({"ListHazards street, status submitted", r});
    r.clear_statuses();
    r.set_overdue(true);
    hazard_lists.push_back({"ListHazards street, overdue", r});
  }
  std::vector<Row> lists;
  for (const auto& [name, req] : hazard_lists) {
    lists.push_back({name, Time(c.samples, list_hazards(req)), kListGoalMs, ""});
  }
  {
    bv1::ListBuildingsRequest r;
    r.set_tier_path_prefix(kDistrict);
    r.set_page_size(20);
    lists.push_back(
        {"ListBuildings district, no filter", Time(c.samples, list_buildings(r)), kListGoalMs, ""});
    r.add_filing_states(bv1::FILING_STATE_LATE);
    lists.push_back({"ListBuildings district, filing late", Time(c.samples, list_buildings(r)),
                     kListGoalMs, ""});
    r.clear_filing_states();
    r.add_classes(bv1::BUILDING_CLASS_SUPER_HIGH_RISE);
    lists.push_back({"ListBuildings district, super high-rise", Time(c.samples, list_buildings(r)),
                     kListGoalMs, ""});
  }

  // ----- restarts: SIGKILL, start, until SERVING
  std::vector<std::pair<std::string, double>> restart;
  for (auto [name, svc] : {std::pair{"buildings", bsvc}, std::pair{"hazards", hsvc}}) {
    if (absl::Status s = svc->Kill(); !s.ok()) Fail(std::string(s.message()));
    const absl::Time t0 = absl::Now();
    if (absl::Status s = svc->Restart(); !s.ok()) Fail(std::string(s.message()));
    restart.push_back({name, absl::ToDoubleSeconds(absl::Now() - t0)});
  }
  const int64_t mem3 = UsedMemory(*pool);

  // ----- report
  const double per_building = static_cast<double>(mem1 - mem0) / counts.buildings;
  const double per_hazard = static_cast<double>(mem2 - mem1) / counts.hazards;
  std::printf(
      "\ncity dataset: %d buildings, %d hazards (%d open, %d duplicates), %d org units, "
      "%d streets/towns, %d communities/villages\n",
      counts.buildings, counts.hazards, counts.open_hazards, counts.duplicates, counts.org_units,
      static_cast<int>(counts.streets.size()), static_cast<int>(counts.communities.size()));
  std::printf("  loaded through the store layers: buildings in %s, hazards in %s; %lld keys\n",
              absl::FormatDuration(absl::Trunc(building_load, absl::Milliseconds(100))).c_str(),
              absl::FormatDuration(absl::Trunc(hazard_load, absl::Milliseconds(100))).c_str(),
              static_cast<long long>(keys));
  std::printf(
      "  Redis used_memory: empty %s, +buildings %s (%.0f bytes/building), +hazards %s "
      "(%.0f bytes/hazard), after the runs %s\n",
      MiB(mem0).c_str(), MiB(mem1 - mem0).c_str(), per_building, MiB(mem2 - mem1).c_str(),
      per_hazard, MiB(mem3).c_str());
  std::printf("\n  scan baseline (the read as counted before, in-process, no gRPC):\n");
  PrintRow({"ledger district (scan)", scan_ledger_d});
  PrintRow({"ledger street (scan)", scan_ledger_s});
  PrintRow({"statistics district (scan)", scan_stats_d});
  PrintRow({"statistics street (scan)", scan_stats_s});
  std::printf("\n  reads over gRPC (one stream):\n");
  for (const Row& r : reads) PrintRow(r);
  std::printf("\n  listings over gRPC (page of 20, one stream):\n");
  for (const Row& r : lists) PrintRow(r);
  std::printf("\n  start-up until SERVING: ");
  for (auto& [n, s] : first_start) std::printf("%s first %.2fs; ", n.c_str(), s);
  std::printf("\n  restart (SIGKILL, start, SERVING): ");
  for (auto& [n, s] : restart) std::printf("%s %.2fs; ", n.c_str(), s);
  std::printf("\n\n");

  const std::string scale =
      absl::StrFormat("%d buildings, %d hazards", counts.buildings, counts.hazards);
  const std::vector<double>* scans[] = {&scan_ledger_d, &scan_ledger_s, &scan_stats_d,
                                        &scan_stats_s};
  for (size_t i = 0; i < reads.size(); ++i) {
    PrintFigure(reads[i].name + " p99", absl::StrFormat("%.2f", PercentileOf(reads[i].ms, 0.99)),
                "ms", "<= 50", absl::StrFormat("scan %.0f ms mean (%s)", Mean(*scans[i]), scale));
  }
  for (const Row& r : lists) {
    PrintFigure(r.name + " p99", absl::StrFormat("%.2f", PercentileOf(r.ms, 0.99)), "ms", "<= 20",
                scale);
  }
  for (auto& [n, s] : restart) {
    PrintFigure(n + " ready after restart", absl::StrFormat("%.2f", s), "s", "<= 10", scale);
  }
  PrintFigure("Redis memory, buildings + hazards",
              MiB(mem2 - mem0).substr(0, MiB(mem2 - mem0).find(' ')), "MiB", "<= 4096", scale);
  PrintFigure("Redis bytes per building", absl::StrFormat("%.0f", per_building), "bytes", "-",
              scale);
  PrintFigure("Redis bytes per hazard", absl::StrFormat("%.0f", per_hazard), "bytes", "-", scale);
  std::fflush(stdout);
  return 0;  // the stack stops the services, the broker and redis-server
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("city_bench");
  binder.Int("buildings", &c.buildings, 50000, "buildings in the city dataset", 100, 1000000);
  binder.Int("hazards", &c.hazards, 1000000, "hazards in the city dataset", 100, 10000000);
  binder.Int("samples", &c.samples, 200, "timed calls of each read and listing", 10, 100000);
  binder.Int("scan-samples", &c.scan_samples, 3, "timed scans of each baseline read", 1, 1000);
  binder.Int("writers", &c.writers, 4, "concurrent atomic writes during the load", 1, 64);
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv,
                                           [&] { return firegrid::bench::Run(c); });
}
