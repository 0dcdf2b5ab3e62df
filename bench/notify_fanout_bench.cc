// notify_fanout_bench: one notify replica (or two) holding many live Subscribe streams.
//
// Starts redis-server, firegrid-devbroker, firegrid-buildings, firegrid-hazards and
// --replicas firegrid-notify processes on free loopback ports in a temporary directory,
// registers --communities communities with their buildings, and then:
//   1. baseline: one live stream per community (a grid worker each), reports at --rate for
//      --duration spread over the communities; report sent -> hazard task on the streams;
//   2. fan-out: opens the rest of --subscribers streams (grid workers of the same communities,
//      spread over the replicas, over --channels client channels with the callback API), reads
//      each notify process's RSS and threads and Redis's connected clients before and after, then
//      the same load again;
//   3. slow subscriber: one more stream in the first community that stops reading after
//      caught_up (a tiny HTTP/2 window), reports to that community for --slow-duration; the
//      others' p99 is compared with phase 2, and the slow stream must end ABORTED "fell behind".
// Every push is checked: each measured hazard arrives exactly once on every stream of its
// community. Prints FIGURE lines (bench/README.md). Exit 1 only when the stack could not be set
// up. Not a CTest test.
//
//   notify_fanout_bench [--subscribers=10000] [--communities=1000] [--replicas=1] [--rate=100]
//                       [--duration=10s] [--slow-duration=5s] [--channels=8]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/h2load.h"
#include "bench/stack.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/config.h"
#include "tests/support/subprocess.h"

namespace firegrid::bench {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;

constexpr char kDistrict[] = "500109";
constexpr double kGoalP99Ms = 50;
constexpr double kGoalKiBPerStream = 50;

struct Config {
  int subscribers = 0;
  int communities = 0;
  int replicas = 0;
  int rate = 0;
  absl::Duration duration;
  absl::Duration slow_duration;
  int channels = 0;
};

// Street and community codes of community i (up to 999 streets of 999 communities).
std::string StreetOf(int i) { return absl::StrFormat("%s%03d", kDistrict, i / 999 + 1); }
std::string CommunityOf(int i) { return absl::StrFormat("%s%03d", StreetOf(i), i % 999 + 1); }

// A field of /proc/<pid>/status in its unit (kB for VmRSS).
int64_t ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (absl::ConsumePrefix(&v, field + ":")) {
      v = absl::StripAsciiWhitespace(v);
      std::vector<std::string> parts = absl::StrSplit(v, ' ');
      int64_t n = 0;
      if (!parts.empty() && absl::SimpleAtoi(parts[0], &n)) return n;
    }
  }
  return -1;
}

int64_t RedisClients(const std::string& address) {
  const std::string port = address.substr(address.rfind(':') + 1);
  FILE* f = popen(("redis-cli -h 127.0.0.1 -p " + port + " INFO clients").c_str(), "r");
  if (f == nullptr) return -1;
  char buf[256];
  int64_t n = -1;
  while (fgets(buf, sizeof buf, f) != nullptr) {
    absl::string_view line = buf;
    if (absl::ConsumePrefix(&line, "connected_clients:")) {
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &n);
    }
  }
  pclose(f);
  return n;
}

// One live Subscribe stream on the callback API: every hazard task's arrival (hazard id, time).
class FanStream final : public grpc::ClientReadReactor<nv1::SubscribeResponse> {
 public:
  FanStream(nv1::NotifyService::Stub* stub, const std::string& token, int community,
            bool stop_after_caught_up = false)
      : community_(community), stop_after_caught_up_(stop_after_caught_up) {
    auth::AttachToken(&ctx_, token);
    request_.set_live_only(true);
    stub->async()->Subscribe(&ctx_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    const absl::Time now = absl::Now();
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      if (response_.caught_up()) {
        caught_up_ = true;
        stop = stop_after_caught_up_ && !resumed_;
      }
      if (response_.has_notification() &&
          response_.notification().kind() == nv1::KIND_HAZARD_TASK) {
        arrived_.emplace_back(response_.notification().hazard_id(), now);
      }
      if (stop) {
        paused_ = true;
        return;  // reads nothing more until Resume()
      }
    }
    response_.Clear();
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& s) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
    status_ = s;
  }
  void Resume() {
    {
      absl::MutexLock lock(&mu_);
      resumed_ = true;
      if (!paused_) return;
      paused_ = false;
    }
    response_.Clear();
    StartRead(&response_);
  }
  void Cancel() { ctx_.TryCancel(); }
  bool caught_up() {
    absl::MutexLock lock(&mu_);
    return caught_up_ || done_;
  }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::vector<std::pair<std::string, absl::Time>> arrived() {
    absl::MutexLock lock(&mu_);
    return arrived_;
  }
  int community() const { return community_; }

 private:
  const int community_;
  const bool stop_after_caught_up_;
  grpc::ClientContext ctx_;
  nv1::SubscribeRequest request_;
  nv1::SubscribeResponse response_;
  absl::Mutex mu_;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool resumed_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, absl::Time>> arrived_ ABSL_GUARDED_BY(mu_);
};

struct Report {
  grpc::ClientContext ctx;
  hv1::ReportHazardRequest req;
  hv1::ReportHazardResponse resp;
  int community = 0;
  absl::Time sent;
  grpc::Status status;
};

struct PhaseResult {
  int reports = 0;
  int accepted = 0;
  int64_t expected = 0;  // pushes: accepted reports x streams of their community
  int64_t arrived = 0;
  int64_t duplicates = 0;
  double p50 = NAN, p99 = NAN, max = NAN;
};

int Run(const Config& c) {
  {
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);  // the children inherit it
  }
  const int categories = static_cast<int>(FireRescueCategories().size());
  const int per_phase = static_cast<int>(c.rate * absl::ToDoubleSeconds(c.duration));
  const int slow_total = static_cast<int>(c.rate * absl::ToDoubleSeconds(c.slow_duration));
  // Distinct building x category pairs: two phases over all communities, the slow phase in the
  // first one.
  const int per_community = (2 * per_phase + c.communities - 1) / c.communities;
  const int buildings_each = (per_community + categories - 1) / categories;
  const int buildings_first = buildings_each + (slow_total + categories - 1) / categories;

  Step("starting redis-server, the dev broker and the services");
  Stack stack("notify-fanout-bench", RateLimitRaised());
  stack.StartRedis();
  stack.StartBroker();
  testing::ServiceProcess& buildings_svc = stack.Add(Service::kBuildings);
  testing::ServiceProcess& hazards_svc = stack.Add(Service::kHazards);
  std::vector<testing::ServiceProcess*> notify;
  for (int i = 0; i < c.replicas; ++i) {
    notify.push_back(&stack.Add(Service::kNotify,
                                {absl::StrCat("--max-streams=", c.subscribers + 100)},
                                absl::StrCat("notify", i)));
  }
  stack.StartAll();
  testing::RedisServer& redis = stack.redis();

  auto token = [&](auth::Role role, const std::string& tier, const std::string& subject) {
    return stack.Token(role, tier, tier, subject);
  };
  const std::string admin = token(auth::Role::kDistrictAdmin, kDistrict, "bench-admin");
  auto ctx = [](grpc::ClientContext* ctx, const std::string& t) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auth::AttachToken(ctx, t);
  };

  // ----- org units and buildings
  Step(absl::StrCat("registering ", c.communities, " communities and their buildings"));
  auto bstub = bv1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_svc.grpc_address(), grpc::InsecureChannelCredentials()));
  auto upsert = [&](const std::string& code, bv1::OrgUnitKind kind, const std::string& parent) {
    UpsertOrgUnit(*bstub, admin, code, kind, parent);
  };
  upsert(kDistrict, bv1::ORG_UNIT_KIND_DISTRICT, "");
  std::vector<std::vector<std::string>> buildings(c.communities);
  for (int i = 0; i < c.communities; ++i) {
    if (i % 999 == 0) upsert(StreetOf(i), bv1::ORG_UNIT_KIND_STREET, kDistrict);
    upsert(CommunityOf(i), bv1::ORG_UNIT_KIND_COMMUNITY, StreetOf(i));
    for (int b = 0; b < (i == 0 ? buildings_first : buildings_each); ++b) {
      buildings[i].push_back(CreateBuilding(*bstub, admin, absl::StrCat("压测大厦", i, "-", b),
                                            CommunityOf(i), 29.5 + 0.0001 * (i % 1000),
                                            106.4 + 0.0001 * b));
    }
  }

  // ----- wait until hazards knows the buildings: a probe report in the last one, retried.
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hazards_svc.grpc_address(), grpc::InsecureChannelCredentials()));
  const std::string reporter = token(auth::Role::kDistrictAdmin, kDistrict, "bench-reporter");
  {
    Step("waiting until the hazards service knows the buildings");
    const absl::Time start = absl::Now();
    std::vector<std::vector<std::string>> warm_ids(c.communities);
    for (int i = 0; i < c.communities; ++i) {
      for (const std::string& id : buildings[i]) {
        while (true) {
          hv1::ReportHazardRequest req;
          req.set_building_id(id);
          req.set_category(hv1::HAZARD_CATEGORY_GAS_ELECTRICAL);
          req.set_severity(hv1::SEVERITY_GENERAL);
          req.set_source(hv1::SOURCE_GRID_INSPECTION);
          req.set_description("warm-up: 电动车楼道充电");
          req.set_idempotency_key("warm-" + id);
          hv1::ReportHazardResponse resp;
          grpc::ClientContext cc;
          ctx(&cc, reporter);
          grpc::Status s = hstub->ReportHazard(&cc, req, &resp);
          if (s.ok()) {
            warm_ids[i].push_back(resp.hazard().hazard_id());
            break;
          }
          if (s.error_code() != grpc::StatusCode::NOT_FOUND ||
              absl::Now() - start > absl::Minutes(3)) {
            Fail("warm-up report: " + s.error_message());
          }
          absl::SleepFor(absl::Milliseconds(50));
        }
      }
    }
    // The warm-up pushes land before any stream opens: every community worker's inbox holds
    // its community's warm-up tasks.
    Step("waiting until the warm-up tasks are in the community workers' inboxes");
    auto inbox = nv1::NotifyService::NewStub(
        grpc::CreateChannel(notify[0]->grpc_address(), grpc::InsecureChannelCredentials()));
    const absl::Time until = absl::Now() + absl::Minutes(3);
    for (int i = 0; i < c.communities; ++i) {
      const std::string worker =
          token(auth::Role::kCommunityWorker, CommunityOf(i), absl::StrCat("w", i));
      auto landed = [&] {
        std::set<std::string> tasks;
        nv1::ListInboxRequest req;
        req.set_page_size(200);
        while (true) {
          nv1::ListInboxResponse resp;
          grpc::ClientContext cc;
          ctx(&cc, worker);
          if (!inbox->ListInbox(&cc, req, &resp).ok()) return false;
          for (const auto& n : resp.notifications()) {
            if (n.kind() == nv1::KIND_HAZARD_TASK) tasks.insert(n.hazard_id());
          }
          if (resp.next_page_token().empty()) break;
          req.set_page_token(resp.next_page_token());
        }
        for (const std::string& id : warm_ids[i]) {
          if (!tasks.count(id)) return false;
        }
        return true;
      };
      if (!testing::WaitUntil(landed, until - absl::Now())) {
        Fail(absl::StrCat("the warm-up tasks did not reach community ", CommunityOf(i)));
      }
    }
  }

  // ----- client channels (each its own connection)
  std::vector<std::unique_ptr<nv1::NotifyService::Stub>> stubs;
  for (int r = 0; r < c.replicas; ++r) {
    for (int k = 0; k < c.channels; ++k) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("bench.channel", k);
      stubs.push_back(nv1::NotifyService::NewStub(grpc::CreateCustomChannel(
          notify[r]->grpc_address(), grpc::InsecureChannelCredentials(), args)));
    }
  }
  std::vector<std::unique_ptr<FanStream>> streams;
  std::vector<std::vector<FanStream*>> by_community(c.communities);
  auto open = [&](int n) {
    const size_t first = streams.size();
    for (int i = 0; i < n; ++i) {
      const int index = static_cast<int>(streams.size());
      const int community = index % c.communities;
      const int replica = index % c.replicas;
      auto* stub = stubs[replica * c.channels + (index / c.replicas) % c.channels].get();
      streams.push_back(std::make_unique<FanStream>(
          stub,
          token(auth::Role::kCommunityWorker, CommunityOf(community), absl::StrCat("w", index)),
          community));
      by_community[community].push_back(streams.back().get());
    }
    const absl::Time until = absl::Now() + absl::Minutes(3);
    for (size_t i = first; i < streams.size(); ++i) {
      while (!streams[i]->caught_up()) {
        if (absl::Now() > until) Fail("the streams did not all start");
        absl::SleepFor(absl::Milliseconds(5));
      }
      if (streams[i]->done()) Fail("a stream ended: " + streams[i]->status().error_message());
    }
  };

  int sent_total = 0;
  std::vector<int> next_pair(c.communities, 0);  // building x category pairs used
  // Reports at c.rate for `duration` to `targets` (round robin); measures the pushes on
  // `watched` streams (and checks them all).
  auto phase = [&](const std::string& name, const std::vector<int>& targets,
                   absl::Duration duration) {
    Step(absl::StrCat(name, ": ", c.rate, " reports/s for ", absl::FormatDuration(duration), " to ",
                      targets.size(), " communities, ", streams.size(), " streams"));
    const int total = static_cast<int>(c.rate * absl::ToDoubleSeconds(duration));
    std::vector<std::unique_ptr<Report>> reports(total);
    std::atomic<int> answered{0};
    const absl::Duration interval = absl::Seconds(1) / c.rate;
    const absl::Time t0 = absl::Now() + absl::Milliseconds(100);
    for (int i = 0; i < total; ++i) {
      auto r = std::make_unique<Report>();
      r->community = targets[i % targets.size()];
      const int pair = next_pair[r->community]++;
      const auto& bs = buildings[r->community];
      r->req.set_building_id(bs[(pair / categories) % bs.size()]);
      r->req.set_category(FireRescueCategories()[pair % categories]);
      r->req.set_severity(hv1::SEVERITY_GENERAL);
      r->req.set_source(hv1::SOURCE_GRID_INSPECTION);
      r->req.set_description(absl::StrCat("压测隐患 #", sent_total + i));
      r->req.set_idempotency_key(absl::StrCat("fan-", sent_total + i));
      ctx(&r->ctx, reporter);
      const absl::Time due = t0 + interval * i;
      if (const absl::Time now = absl::Now(); due > now) absl::SleepFor(due - now);
      r->sent = absl::Now();
      Report* raw = r.get();
      reports[i] = std::move(r);
      hstub->async()->ReportHazard(&raw->ctx, &raw->req, &raw->resp,
                                   [raw, &answered](grpc::Status s) {
                                     raw->status = std::move(s);
                                     answered.fetch_add(1);
                                   });
    }
    sent_total += total;
    const absl::Time until = absl::Now() + absl::Seconds(60);
    while (answered.load() < total && absl::Now() < until) absl::SleepFor(absl::Milliseconds(10));
    if (answered.load() < total) Fail("not every ReportHazard call was answered");
    PhaseResult res;
    res.reports = total;
    std::map<std::string, const Report*> by_id;
    for (const auto& r : reports) {
      if (!r->status.ok() || !r->resp.hazard().duplicate_of().empty()) continue;
      ++res.accepted;
      by_id[r->resp.hazard().hazard_id()] = r.get();
    }
    for (const auto& [id, r] : by_id) res.expected += by_community[r->community].size();
    // Wait (bounded) for every push, counting those of this phase.
    std::vector<double> ms;
    const absl::Time drain_until = absl::Now() + absl::Seconds(30);
    while (true) {
      ms.clear();
      res.arrived = res.duplicates = 0;
      for (const auto& s : streams) {
        if (s->done()) continue;
        std::map<std::string, int> seen;
        for (const auto& [id, at] : s->arrived()) {
          auto it = by_id.find(id);
          if (it == by_id.end()) continue;
          if (++seen[id] > 1) {
            ++res.duplicates;
            continue;
          }
          ++res.arrived;
          ms.push_back(absl::ToDoubleMilliseconds(at - it->second->sent));
        }
      }
      if (res.arrived >= res.expected || absl::Now() > drain_until) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    std::sort(ms.begin(), ms.end());
    res.p50 = Percentile(ms, 0.5);
    res.p99 = Percentile(ms, 0.99);
    res.max = ms.empty() ? NAN : ms.back();
    std::printf(
        "  %-34s %5d reports (%d accepted), pushes %lld/%lld arrived, %lld duplicates, p50 %s "
        "p99 %s max %s\n",
        name.c_str(), res.reports, res.accepted, static_cast<long long>(res.arrived),
        static_cast<long long>(res.expected), static_cast<long long>(res.duplicates),
        Ms(res.p50).c_str(), Ms(res.p99).c_str(), Ms(res.max).c_str());
    std::fflush(stdout);
    return res;
  };
  auto all_communities = [&] {
    std::vector<int> v(c.communities);
    for (int i = 0; i < c.communities; ++i) v[i] = i;
    return v;
  };
  struct ProcFigures {
    int64_t rss_kb = 0, threads = 0;
  };
  auto proc = [&] {
    ProcFigures f;
    for (auto& n : notify) {
      f.rss_kb += ProcStatus(n->pid(), "VmRSS");
      f.threads += ProcStatus(n->pid(), "Threads");
    }
    return f;
  };

  std::printf("\nnotify fan-out: %d subscribers over %d communities on %d notify replica(s)\n",
              c.subscribers, c.communities, c.replicas);
  // ----- 1. baseline: one stream per community
  open(c.communities);
  const PhaseResult base = phase("baseline (1 stream/community)", all_communities(), c.duration);

  // ----- 2. fan-out
  absl::SleepFor(absl::Seconds(1));
  const ProcFigures before = proc();
  const int64_t clients_before = RedisClients(redis.address());
  Step(absl::StrCat("opening ", c.subscribers - c.communities, " more streams"));
  const absl::Time open_start = absl::Now();
  open(c.subscribers - c.communities);
  const absl::Duration open_time = absl::Now() - open_start;
  absl::SleepFor(absl::Seconds(2));
  const ProcFigures after = proc();
  const int64_t clients_after = RedisClients(redis.address());
  const double kib_per_stream =
      static_cast<double>(after.rss_kb - before.rss_kb) / (c.subscribers - c.communities);
  std::printf(
      "  opened %d streams in %s; notify RSS %lld -> %lld KiB (%.1f KiB per stream), threads "
      "%lld -> %lld, Redis clients %lld -> %lld\n",
      c.subscribers - c.communities,
      absl::FormatDuration(absl::Trunc(open_time, absl::Milliseconds(1))).c_str(),
      static_cast<long long>(before.rss_kb), static_cast<long long>(after.rss_kb), kib_per_stream,
      static_cast<long long>(before.threads), static_cast<long long>(after.threads),
      static_cast<long long>(clients_before), static_cast<long long>(clients_after));
  const PhaseResult full = phase("fan-out (all streams)", all_communities(), c.duration);

  // ----- 3. a slow subscriber in community 0
  grpc::ChannelArguments slow_args;
  slow_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  slow_args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  slow_args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto slow_stub = nv1::NotifyService::NewStub(grpc::CreateCustomChannel(
      notify[0]->grpc_address(), grpc::InsecureChannelCredentials(), slow_args));
  auto slow = std::make_unique<FanStream>(
      slow_stub.get(), token(auth::Role::kCommunityWorker, CommunityOf(0), "w-slow"), 0, true);
  while (!slow->caught_up()) absl::SleepFor(absl::Milliseconds(5));
  const PhaseResult slow_phase = phase("slow subscriber (community 0)", {0}, c.slow_duration);
  slow->Resume();
  const absl::Time slow_until = absl::Now() + absl::Seconds(30);
  while (!slow->done() && absl::Now() < slow_until) absl::SleepFor(absl::Milliseconds(10));
  const grpc::Status slow_status = slow->status();
  const bool slow_ended = slow->done() && slow_status.error_code() == grpc::StatusCode::ABORTED;
  std::printf(
      "  slow stream: %s (%s)\n",
      slow->done() ? absl::StrCat("ended ", slow_status.error_code()).c_str() : "still open",
      slow_status.error_message().c_str());

  // ----- figures
  const std::string tag = c.replicas == 1 ? "" : absl::StrCat(" (", c.replicas, " replicas)");
  const std::string base_line = absl::StrFormat("1 stream/community p99 %s", Ms(base.p99));
  std::printf("\n");
  const std::string added = absl::StrCat(c.subscribers - c.communities, " streams", tag);
  PrintFigure(
      absl::StrFormat("push p99, %d subscribers at %d reports/s%s", c.subscribers, c.rate, tag),
      absl::StrFormat("%.1f", full.p99), "ms", absl::StrFormat("<= %.0f", kGoalP99Ms), base_line);
  PrintFigure("push p99 vs baseline" + tag, absl::StrFormat("%.2f", full.p99 / base.p99),
              "x baseline", "-", base_line);
  PrintFigure("notify RSS per idle subscriber" + tag, absl::StrFormat("%.1f", kib_per_stream),
              "KiB", absl::StrFormat("<= %.0f", kGoalKiBPerStream),
              absl::StrFormat("RSS %lld KiB before", static_cast<long long>(before.rss_kb)));
  PrintFigure("notify threads added by " + added, absl::StrCat(after.threads - before.threads),
              "threads", "~0", absl::StrCat(before.threads, " before"));
  PrintFigure("Redis clients added by " + added, absl::StrCat(clients_after - clients_before),
              "clients", "~0", absl::StrCat(clients_before, " before"));
  PrintFigure(
      "push p99 with a slow subscriber" + tag, absl::StrFormat("%.1f", slow_phase.p99), "ms",
      absl::StrFormat("<= %.0f, slow one ended ABORTED: %s", kGoalP99Ms, slow_ended ? "yes" : "NO"),
      absl::StrCat("fan-out p99 ", Ms(full.p99)));
  const bool complete = full.arrived == full.expected && full.duplicates == 0 &&
                        base.arrived == base.expected && base.duplicates == 0 &&
                        slow_phase.arrived == slow_phase.expected && slow_phase.duplicates == 0;
  std::printf("\n  every push arrived exactly once: %s\n", complete ? "yes" : "NO");
  std::fflush(stdout);

  for (auto& s : streams) s->Cancel();
  slow->Cancel();
  const absl::Time end_until = absl::Now() + absl::Seconds(30);
  for (auto& s : streams) {
    while (!s->done() && absl::Now() < end_until) absl::SleepFor(absl::Milliseconds(1));
  }
  while (!slow->done() && absl::Now() < end_until) absl::SleepFor(absl::Milliseconds(1));
  return 0;  // the stack stops the services, the broker and redis-server
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("notify_fanout_bench");
  binder.Int("subscribers", &c.subscribers, 10000, "live Subscribe streams in all", 2, 100000);
  binder.Int("communities", &c.communities, 1000,
             "communities the streams (grid workers) and the reports are spread over", 1, 9000);
  binder.Int("replicas", &c.replicas, 1, "notify processes; streams alternate between them", 1, 4);
  binder.Int("rate", &c.rate, 100, "reports per second", 1, 2000);
  binder.Duration("duration", &c.duration, absl::Seconds(10), "load per measured phase",
                  absl::Seconds(1), absl::Minutes(10));
  binder.Duration("slow-duration", &c.slow_duration, absl::Seconds(5),
                  "load of the slow-subscriber phase (to the first community)", absl::Seconds(1),
                  absl::Minutes(10));
  binder.Int("channels", &c.channels, 8, "client channels (connections) per replica", 1, 256);
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv, [&] {
    if (c.subscribers < c.communities) {
      std::cerr << "error: --subscribers must be at least --communities\n";
      return 2;
    }
    return firegrid::bench::Run(c);
  });
}
