// grpc_throughput_bench: the hot reads and the report, each against the same server's health
// check (issue 12's throughput goals).
//
// Starts redis-server, firegrid-devbroker, firegrid-buildings and firegrid-hazards on free
// loopback ports in a temporary directory, registers --buildings buildings in one community and
// reports --hazards hazards on them (demo-sized data), then measures, with the same settings
// (--connections x --streams):
//
//   h2load over h2c:  buildings' Health/Check, GetBuilding;
//                     hazards' Health/Check, GetHazard, ListHazards (a page of 20);
//   a C++ client:     hazards' Health/Check, ReportHazard.
//
// h2load sends the same request body every time, and a second report of a building and category
// while the first is open is a duplicate (answered without the routing and the write), so
// ReportHazard is driven by a closed-loop client of gRPC's callback API that sends every report
// for a building x category pair of its own (categories the preloaded hazards do not use), and
// measured against the health check sent by that same client. Every answer is checked: h2load's
// response bytes must be one framed message of the expected size per request (a gRPC error is an
// HTTP 200 with no message); every report must be OK, not a duplicate, and of a hazard id no
// other report got.
//
//   grpc_throughput_bench [--buildings=1000] [--hazards=3000] [--requests=100000]
//                         [--reports=10000] [--connections=8] [--streams=4]
//
// Prints each run, the ratios and FIGURE lines (bench/run.sh). Exit 0 whatever the throughput;
// 1 when the stack could not be set up or h2load could not run. Not a CTest test.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/h2load.h"
#include "bench/stack.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/config.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::bench {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

constexpr char kDistrict[] = "500109";
constexpr char kStreet[] = "500109001";
constexpr char kCommunity[] = "500109001002";
constexpr char kHealthPath[] = "/grpc.health.v1.Health/Check";
constexpr char kGetBuildingPath[] = "/firegrid.buildings.v1.BuildingService/GetBuilding";
constexpr char kGetHazardPath[] = "/firegrid.hazards.v1.HazardService/GetHazard";
constexpr char kListHazardsPath[] = "/firegrid.hazards.v1.HazardService/ListHazards";
constexpr char kReportHazardPath[] = "/firegrid.hazards.v1.HazardService/ReportHazard";
constexpr int kPageSize = 20;

// HealthCheckResponse{status: SERVING}: field 1, varint 1.
const std::string& ServingMessage() {
  static const auto* s = new std::string("\x08\x01", 2);
  return *s;
}

struct Config {
  int buildings = 0;
  int hazards = 0;
  int requests = 0;
  int warm_up_requests = 0;
  int reports = 0;
  int connections = 0;
  int streams = 0;
  std::string h2load;
  std::string service_flags;  // extra flags for both services, space-separated
};

// Runs `calls` calls over `threads` threads, each call(i) once; fails on the first error.
void Parallel(int calls, int threads, const std::function<std::string(int)>& call) {
  std::atomic<int> next{0};
  absl::Mutex mu;
  std::string error;
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&] {
      for (int i = next++; i < calls; i = next++) {
        std::string e = call(i);
        if (!e.empty()) {
          absl::MutexLock lock(&mu);
          error = std::move(e);
          next = calls;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  if (!error.empty()) Fail(error);
}

// ----- the closed-loop client

struct LoadResult {
  double seconds = 0;
  double rps = 0;
  double mean_latency_ms = 0;
  long answered = 0;  // calls whose answer passed the check
  long failed = 0;
  std::string first_error;
};

// Sends requests[i] for every i over `connections` channels (each its own HTTP/2 connection)
// with `streams` calls in flight on each, a new call as soon as one is answered (gRPC's callback
// API: no thread per call). check(i, answer) returns "" for a good answer, else why not.
class ClosedLoop {
 public:
  ClosedLoop(const std::string& address, const std::string& method, const std::string& token,
             int connections, int streams)
      : method_(method), token_(token), slots_(connections * streams) {
    for (int i = 0; i < connections; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
      args.SetInt("firegrid.bench.channel", i);
      stubs_.push_back(std::make_unique<grpc::GenericStub>(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    }
  }

  LoadResult Run(const std::vector<std::string>* requests,
                 std::function<std::string(int, const std::string&)> check) {
    requests_ = requests;
    check_ = std::move(check);
    next_ = 0;
    {
      absl::MutexLock lock(&mu_);
      result_ = LoadResult();
      running_ = 0;
      latency_sum_ = absl::ZeroDuration();
    }
    const absl::Time start = absl::Now();
    for (int s = 0; s < slots_; ++s) {
      {
        absl::MutexLock lock(&mu_);
        ++running_;
      }
      Next(s);
    }
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ == 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&idle), absl::Minutes(10))) {
      Fail("the closed-loop client did not finish within 10 minutes");
    }
    result_.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const long n = result_.answered + result_.failed;
    result_.rps = static_cast<double>(n) / result_.seconds;
    result_.mean_latency_ms = n > 0 ? absl::ToDoubleMilliseconds(latency_sum_) / n : 0;
    return result_;
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer request, response;
    absl::Time sent;
    int index = 0;
  };

  // Starts the next call on slot `s`, or ends the slot when every request was sent.
  void Next(int s) {
    const int i = next_++;
    if (i >= static_cast<int>(requests_->size())) {
      absl::MutexLock lock(&mu_);
      --running_;
      return;
    }
    auto* call = new Call;
    call->index = i;
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auth::AttachToken(&call->ctx, token_);
    grpc::Slice slice((*requests_)[i]);
    call->request = grpc::ByteBuffer(&slice, 1);
    call->sent = absl::Now();
    stubs_[s % stubs_.size()]->UnaryCall(
        &call->ctx, method_, grpc::StubOptions(), &call->request, &call->response,
        [this, s, call](grpc::Status status) {
          const absl::Duration took = absl::Now() - call->sent;
          std::string error;
          if (!status.ok()) {
            error = absl::StrCat("status ", status.error_code(), ": ", status.error_message());
          } else {
            grpc::Slice answer;
            if (!call->response.DumpToSingleSlice(&answer).ok()) {
              error = "cannot read the answer";
            } else {
              error = check_(call->index, std::string(reinterpret_cast<const char*>(answer.begin()),
                                                      answer.size()));
            }
          }
          {
            absl::MutexLock lock(&mu_);
            latency_sum_ += took;
            if (error.empty()) {
              ++result_.answered;
            } else {
              ++result_.failed;
              if (result_.first_error.empty()) result_.first_error = error;
            }
          }
          delete call;
          Next(s);
        });
  }

  const std::string method_;
  const std::string token_;
  const int slots_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  const std::vector<std::string>* requests_ = nullptr;
  std::function<std::string(int, const std::string&)> check_;
  std::atomic<int> next_{0};
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration latency_sum_ ABSL_GUARDED_BY(mu_);
  LoadResult result_ ABSL_GUARDED_BY(mu_);
};

// ----- printing

struct Measured {
  std::string name;
  double rps = 0;
  double mean_latency_ms = 0;
  bool all_answered = false;
  double cpu_us_per_call = 0;  // the server process's CPU time per call over the run
};

// Runs `run` and returns what it measured with the CPU time per call `pid` spent meanwhile.
Measured WithCpu(int pid, long calls, const std::function<Measured()>& run) {
  const double before = ProcessCpuSeconds(pid);
  Measured m = run();
  const double after = ProcessCpuSeconds(pid);
  m.cpu_us_per_call = before < 0 || after < 0 ? 0 : (after - before) * 1e6 / calls;
  std::printf("    server CPU: %.0f us per call\n", m.cpu_us_per_call);
  return m;
}

Measured FromH2load(const std::string& name, const H2loadResult& r, long framed_size) {
  std::printf("\n  %s (h2load)\n%s", name.c_str(), r.summary.c_str());
  std::printf("    responses carrying the expected message: %ld of %ld (%ld bytes each)\n",
              r.data_bytes / framed_size, r.requests, framed_size);
  return {name, r.rps, r.mean_latency_ms, r.AllAnswered(framed_size)};
}

Measured FromClosedLoop(const std::string& name, const LoadResult& r, long calls) {
  std::printf("\n  %s (closed-loop C++ client)\n", name.c_str());
  std::printf("    %ld calls in %.2fs, %.0f req/s, mean %.2fms\n", calls, r.seconds, r.rps,
              r.mean_latency_ms);
  std::printf("    answered as expected: %ld of %ld%s\n", r.answered, calls,
              r.first_error.empty() ? "" : (" (first error: " + r.first_error + ")").c_str());
  return {name, r.rps, r.mean_latency_ms, r.answered == calls && r.failed == 0};
}

// Prints the ratio of `m` to `health`, whether the goal was met, and its FIGURE line.
void Compare(const std::string& figure, const Measured& m, const Measured& health,
             const std::string& server, double goal) {
  const double ratio = health.rps > 0 ? m.rps / health.rps : 0;
  const bool ok = m.all_answered && health.all_answered;
  std::printf(
      "  %-14s %8.0f req/s  mean %6.2fms  %4.0f us CPU/call  %5.2fx the health check of %s "
      "(%.0f req/s, %.0f us CPU/call)  goal >= %.2fx: %s\n",
      m.name.c_str(), m.rps, m.mean_latency_ms, m.cpu_us_per_call, ratio, server.c_str(),
      health.rps, health.cpu_us_per_call, goal,
      !ok             ? "NOT every call answered"
      : ratio >= goal ? "MET"
                      : "NOT MET");
  PrintFigure(figure, ok ? absl::StrFormat("%.2f", ratio) : "not every call answered", "x health",
              absl::StrFormat(">= %.2f", goal),
              absl::StrFormat("%s health %.0f req/s", server, health.rps));
}

int Run(const Config& c) {
  const std::vector<hv1::HazardCategory> all_categories = [] {
    std::vector<hv1::HazardCategory> v;
    for (int i = 1; i <= 14; ++i) v.push_back(static_cast<hv1::HazardCategory>(i));
    return v;
  }();
  // The preloaded hazards use the first categories, the measured reports the others.
  const int preload_categories = (c.hazards + c.buildings - 1) / c.buildings;
  const int report_categories = static_cast<int>(all_categories.size()) - preload_categories;
  if (report_categories <= 0 ||
      static_cast<long>(report_categories) * c.buildings < static_cast<long>(c.reports) + 2000) {
    Fail(absl::StrCat("--buildings=", c.buildings, " leave too few building x category pairs for ",
                      c.hazards, " hazards, ", c.reports, " reports and 2000 to warm up"));
  }

  // ----- the stack
  Step("starting redis-server, the dev broker, buildings and hazards");
  // The benchmark profile (bench/README.md): one principal sends every call, so the
  // per-principal rate limit and the failed-authentication throttle are off; the rest is as
  // deployed.
  std::vector<std::string> flags = LimitersOff();
  for (absl::string_view f : absl::StrSplit(c.service_flags, ' ', absl::SkipEmpty())) {
    flags.emplace_back(f);
  }
  Stack stack("throughput-bench", flags);
  stack.StartRedis();
  stack.StartBroker();
  testing::ServiceProcess* buildings_svc = &stack.Add(Service::kBuildings);
  testing::ServiceProcess* hazards_svc = &stack.Add(Service::kHazards);
  stack.StartAll();
  const testing::TempDir& dir = stack.dir();

  auto token = [&](auth::Role role, const std::string& tier, const std::string& subject) {
    return stack.Token(role, tier, tier, subject);
  };
  const std::string admin = token(auth::Role::kDistrictAdmin, kDistrict, "bench-admin");
  const std::string worker = token(auth::Role::kCommunityWorker, kCommunity, "grid-bench");
  auto ctx = [](grpc::ClientContext* cc, const std::string& t) {
    cc->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auth::AttachToken(cc, t);
  };

  // ----- org units and buildings
  Step(absl::StrCat("registering ", c.buildings, " buildings in community ", kCommunity));
  auto bstub = bv1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_svc->grpc_address(), grpc::InsecureChannelCredentials()));
  for (auto [code, kind, parent] :
       std::vector<std::tuple<std::string, bv1::OrgUnitKind, std::string>>{
           {kDistrict, bv1::ORG_UNIT_KIND_DISTRICT, ""},
           {kStreet, bv1::ORG_UNIT_KIND_STREET, kDistrict},
           {kCommunity, bv1::ORG_UNIT_KIND_COMMUNITY, kStreet}}) {
    bv1::UpsertOrgUnitRequest u;
    u.mutable_org_unit()->set_code(code);
    u.mutable_org_unit()->set_kind(kind);
    u.mutable_org_unit()->set_parent_code(parent);
    u.mutable_org_unit()->set_name(absl::StrCat("bench ", code));
    bv1::OrgUnit out;
    grpc::ClientContext cc;
    ctx(&cc, admin);
    if (grpc::Status s = bstub->UpsertOrgUnit(&cc, u, &out); !s.ok()) {
      Fail("UpsertOrgUnit: " + s.error_message());
    }
  }
  std::vector<std::string> building_ids(c.buildings);
  Parallel(c.buildings, 8, [&](int i) -> std::string {
    bv1::CreateBuildingRequest req;
    bv1::Building* b = req.mutable_building();
    b->set_name(absl::StrCat("压测大厦", i + 1, "号楼"));
    b->set_tier_path(kCommunity);
    b->mutable_location()->set_latitude(29.82 + 0.0001 * (i % 50));
    b->mutable_location()->set_longitude(106.43 + 0.0001 * (i / 50));
    b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
    b->set_height_m(60);
    b->set_floors_above_ground(20);
    bv1::Building out;
    grpc::ClientContext cc;
    ctx(&cc, admin);
    if (grpc::Status s = bstub->CreateBuilding(&cc, req, &out); !s.ok()) {
      return "CreateBuilding: " + s.error_message();
    }
    building_ids[i] = out.building_id();
    return "";
  });

  // ----- hazards: one report per building and preload category, each retried until the
  // hazards service has learnt its building from the buildings events.
  Step(absl::StrCat("reporting ", c.hazards, " hazards (", preload_categories,
                    " categories per building)"));
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hazards_svc->grpc_address(), grpc::InsecureChannelCredentials()));
  auto report = [&](int building, hv1::HazardCategory category, const std::string& key) {
    hv1::ReportHazardRequest req;
    req.set_building_id(building_ids[building]);
    req.set_category(category);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description(absl::StrCat("压测隐患 ", key));
    req.set_idempotency_key(key);
    return req;
  };
  std::vector<std::string> hazard_ids(c.hazards);
  const absl::Time preload_start = absl::Now();
  Parallel(c.hazards, 8, [&](int i) -> std::string {
    const hv1::ReportHazardRequest req =
        report(i % c.buildings, all_categories[i / c.buildings], absl::StrCat("preload-", i));
    while (true) {
      hv1::ReportHazardResponse resp;
      grpc::ClientContext cc;
      ctx(&cc, worker);
      grpc::Status s = hstub->ReportHazard(&cc, req, &resp);
      if (s.ok()) {
        hazard_ids[i] = resp.hazard().hazard_id();
        return "";
      }
      if (s.error_code() != grpc::StatusCode::NOT_FOUND ||
          absl::Now() - preload_start > absl::Minutes(2)) {
        return "ReportHazard: " + s.error_message();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  Step(absl::StrCat(
      "data ready after ",
      absl::FormatDuration(absl::Trunc(absl::Now() - preload_start, absl::Milliseconds(10)))));

  // ----- the expected answers (read once; nothing changes them while they are measured)
  bv1::GetBuildingRequest get_building;
  get_building.set_building_id(building_ids[0]);
  bv1::Building building;
  hv1::GetHazardRequest get_hazard;
  get_hazard.set_hazard_id(hazard_ids[0]);
  hv1::Hazard hazard;
  hv1::ListHazardsRequest list;
  list.set_tier_path_prefix(kCommunity);
  list.set_page_size(kPageSize);
  hv1::ListHazardsResponse page;
  {
    grpc::ClientContext c1, c2, c3;
    ctx(&c1, admin);
    ctx(&c2, admin);
    ctx(&c3, admin);
    if (grpc::Status s = bstub->GetBuilding(&c1, get_building, &building); !s.ok()) {
      Fail("GetBuilding: " + s.error_message());
    }
    if (grpc::Status s = hstub->GetHazard(&c2, get_hazard, &hazard); !s.ok()) {
      Fail("GetHazard: " + s.error_message());
    }
    if (grpc::Status s = hstub->ListHazards(&c3, list, &page); !s.ok()) {
      Fail("ListHazards: " + s.error_message());
    }
    if (page.hazards_size() != kPageSize) {
      Fail(absl::StrCat("ListHazards answered ", page.hazards_size(), " hazards, not ", kPageSize));
    }
  }
  auto framed_size = [](const google::protobuf::Message& m) {
    return static_cast<long>(Framed(m.SerializeAsString()).size());
  };
  const long health_framed = static_cast<long>(Framed(ServingMessage()).size());

  // ----- h2load runs, each after a warm-up run
  H2loadOptions ho;
  ho.program = c.h2load;
  ho.connections = c.connections;
  ho.streams = c.streams;
  ho.token = admin;
  ho.log_dir = dir.path();
  auto h2load = [&](const std::string& name, const std::string& address, const std::string& path,
                    const std::string& message) {
    Step(absl::StrCat("h2load: ", c.requests, " calls of ", path));
    absl::StatusOr<H2loadResult> r =
        RunH2load(ho, name + "-warmup", address, path, message, c.warm_up_requests);
    if (r.ok()) r = RunH2load(ho, name, address, path, message, c.requests);
    if (!r.ok()) Fail(std::string(r.status().message()));
    return *r;
  };
  const std::string baddr = buildings_svc->grpc_address();
  const std::string haddr = hazards_svc->grpc_address();
  std::printf(
      "\ngRPC throughput: %d connections x %d streams; h2load over h2c, %d requests per run "
      "(after %d to warm up), one h2load thread; %d buildings, %d hazards in community %s\n",
      c.connections, c.streams, c.requests, c.warm_up_requests, c.buildings, c.hazards, kCommunity);
  // The CPU time of the warm-up run is counted with its run's.
  const long h2load_calls = c.requests + c.warm_up_requests;
  const int bpid = buildings_svc->pid();
  const int hpid = hazards_svc->pid();
  const Measured b_health = WithCpu(bpid, h2load_calls, [&] {
    return FromH2load("buildings Health/Check", h2load("buildings-health", baddr, kHealthPath, ""),
                      health_framed);
  });
  const Measured b_get = WithCpu(bpid, h2load_calls, [&] {
    return FromH2load(
        "GetBuilding",
        h2load("get-building", baddr, kGetBuildingPath, get_building.SerializeAsString()),
        framed_size(building));
  });
  const Measured h_health = WithCpu(hpid, h2load_calls, [&] {
    return FromH2load("hazards Health/Check", h2load("hazards-health", haddr, kHealthPath, ""),
                      health_framed);
  });
  const Measured h_get = WithCpu(hpid, h2load_calls, [&] {
    return FromH2load("GetHazard",
                      h2load("get-hazard", haddr, kGetHazardPath, get_hazard.SerializeAsString()),
                      framed_size(hazard));
  });
  const Measured h_list = WithCpu(hpid, h2load_calls, [&] {
    return FromH2load("ListHazards",
                      h2load("list-hazards", haddr, kListHazardsPath, list.SerializeAsString()),
                      framed_size(page));
  });

  // ----- ReportHazard by the closed-loop client, against its own health check run
  const int warm_up_reports = 2000;
  std::vector<std::string> health_requests(c.requests, ""), warm_reports, reports;
  for (int i = 0; i < warm_up_reports + c.reports; ++i) {
    const int building = i % c.buildings;
    const hv1::HazardCategory category = all_categories[preload_categories + i / c.buildings];
    (i < warm_up_reports ? warm_reports : reports)
        .push_back(report(building, category, absl::StrCat("load-", i)).SerializeAsString());
  }
  ClosedLoop health_loop(haddr, kHealthPath, worker, c.connections, c.streams);
  ClosedLoop report_loop(haddr, kReportHazardPath, worker, c.connections, c.streams);
  auto serving = [](int, const std::string& answer) -> std::string {
    return answer == ServingMessage() ? "" : "not SERVING";
  };
  absl::Mutex ids_mu;
  std::set<std::string> report_ids;
  auto new_hazard = [&](int, const std::string& answer) -> std::string {
    hv1::ReportHazardResponse resp;
    if (!resp.ParseFromString(answer)) return "cannot parse the answer";
    if (!resp.hazard().duplicate_of().empty()) return "answered as a duplicate";
    absl::MutexLock lock(&ids_mu);
    if (!report_ids.insert(resp.hazard().hazard_id()).second) return "a hazard id seen before";
    return "";
  };
  Step(absl::StrCat("closed-loop client: ", c.requests, " health checks, then ", c.reports,
                    " ReportHazard calls"));
  const std::vector<std::string> health_warm(warm_up_reports, "");
  health_loop.Run(&health_warm, serving);
  const Measured h_health_client = WithCpu(hpid, c.requests, [&] {
    return FromClosedLoop("hazards Health/Check", health_loop.Run(&health_requests, serving),
                          c.requests);
  });
  report_loop.Run(&warm_reports, new_hazard);
  const Measured h_report = WithCpu(hpid, c.reports, [&] {
    return FromClosedLoop("ReportHazard", report_loop.Run(&reports, new_hazard), c.reports);
  });

  // ----- summary
  std::printf("\n");
  Compare("GetBuilding throughput", b_get, b_health, "buildings", 0.5);
  Compare("GetHazard throughput", h_get, h_health, "hazards", 0.5);
  Compare("ListHazards (page of 20) throughput", h_list, h_health, "hazards", 0.2);
  Compare("ReportHazard throughput", h_report, h_health_client, "hazards (C++ client)", 0.25);
  std::fflush(stdout);

  return 0;  // the stack stops the services, the broker and redis-server
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("grpc_throughput_bench");
  binder.Int("buildings", &c.buildings, 1000, "buildings registered in one community", 10, 1000000);
  binder.Int("hazards", &c.hazards, 3000, "hazards reported before the runs", 20, 10000000);
  binder.Int("requests", &c.requests, 100000, "requests per h2load run", 100, 100000000);
  binder.Int("warm-up-requests", &c.warm_up_requests, 5000,
             "requests of the warm-up run before each measured h2load run", 100, 10000000);
  binder.Int("reports", &c.reports, 8000,
             "ReportHazard calls measured (each a building x category pair of its own)", 100,
             10000000);
  binder.Int("connections", &c.connections, 8, "HTTP/2 connections", 1, 1000);
  binder.Int("streams", &c.streams, 4, "concurrent streams per connection", 1, 1000);
  binder.String("h2load", &c.h2load, "h2load", "the h2load program (nghttp2-client)");
  binder.String("service-flags", &c.service_flags, "",
                "extra flags for both services, space-separated (to compare settings)");
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv,
                                           [&] { return firegrid::bench::Run(c); });
}
