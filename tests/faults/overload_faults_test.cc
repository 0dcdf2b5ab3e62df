// Overload: a load at three times the sustainable rate, from many principals, against hazards
// (ReportHazard and GetHazard) and buildings (GetBuilding, a callback method) with the services'
// default limits (--max-in-flight, the per-principal rate limit). The sustainable rate is
// measured first in the same run (closed loop: 32 callers), then an open-loop load at 3x that
// rate runs for a few seconds per cycle. Server-wide admission control (libs/server/admission.h,
// docs/adr/0011) must keep the latency of the calls it admits bounded and refuse the rest
// RESOURCE_EXHAUSTED "server overloaded" (no other error but ABORTED for concurrent reports of
// one open hazard, which the workload makes and clients retry; counted apart), nothing may be
// corrupted (every
// acknowledged report stored once, no refused report stored, the statistics counters equal a
// recount of the stored hazards), and once the load drops the next calls all succeed.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "firegrid/audit/v1/audit.pb.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/redis/pool.h"
#include "services/hazards/store.h"
#include "tests/e2e/e2e_support.h"
#include "tests/faults/report.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;

constexpr int kPrincipals = 100;  // each well under its 100 calls/s at 3x the rate
constexpr int kCapacityCallers = 32;
constexpr int kBuildings = 4;  // closed loop: the sustainable rate
constexpr absl::Duration kCallDeadline = absl::Seconds(10);
constexpr absl::Duration kOverloadFor = absl::Seconds(4);
// Generous: the experiment shares 2 cores with its own client and whatever else runs; the
// admitted p99 stayed under 1.5 s in every run here (with --max-in-flight=256 it was 5.9 s, and
// without a bound calls time out).
constexpr absl::Duration kAdmittedP99Bound = absl::Seconds(3);

enum class Kind { kReport, kGetHazard, kGetBuilding };

struct Outcome {
  Kind kind;
  grpc::StatusCode code;
  std::string message;
  absl::Duration latency;
  std::string report_key;  // kReport: the report's idempotency key (also its description)
  std::string hazard_id;   // kReport answered OK: the hazard it made
  int principal = 0;
};

absl::Duration Percentile(std::vector<absl::Duration> v, double p) {
  if (v.empty()) return absl::ZeroDuration();
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.1f ms", absl::ToDoubleMilliseconds(d));
}

class OverloadFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    // The common flags only: the default --max-in-flight and per-principal rate limit.
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      std::vector<std::string> common =
          testing::CommonServiceFlags(redis_.address(), broker_.bootstrap(), key_file);
      flags.insert(flags.end(), common.begin(), common.end());
      return std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = bin, .name = name, .flags = std::move(flags), .log_dir = dir_.path()});
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    ASSERT_TRUE(buildings_->Start().ok());
    hazards_ = service(FIREGRID_HAZARDS_BIN, "hazards",
                       {"--rules-file=" + cfg + "/hazards_rules.textproto",
                        "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    ASSERT_TRUE(hazards_->Start().ok());
    for (int i = 0; i < kPrincipals; ++i) {
      workers_.push_back(
          tokens_.Make(auth::Role::kCommunityWorker, "500109001002", absl::StrCat("grid-", i)));
    }
    // Two channels per service, so that one connection's thread is not the client's bottleneck.
    for (int i = 0; i < 2; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("firegrid.test.channel", i);  // a connection of its own
      hazard_stubs_.push_back(hv1::HazardService::NewStub(grpc::CreateCustomChannel(
          hazards_->grpc_address(), grpc::InsecureChannelCredentials(), args)));
      building_stubs_.push_back(bv1::BuildingService::NewStub(grpc::CreateCustomChannel(
          buildings_->grpc_address(), grpc::InsecureChannelCredentials(), args)));
    }
  }

  void TearDown() override {
    WaitAllAnswered();
    if (hazards_ && hazards_->running()) hazards_->Stop().IgnoreError();
    if (buildings_ && buildings_->running()) buildings_->Stop().IgnoreError();
  }

  // Registers the buildings and waits until hazards knows them; makes a hazard to read.
  void Prepare() {
    const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
    for (int i = 0; i < kBuildings; ++i) {
      building_ids_.push_back(
          testing::RegisterCommunityBuilding(*building_stubs_[0], admin).building_id());
    }
    for (int i = 0; i < kBuildings; ++i) {
      hv1::ReportHazardRequest req = ReportRequest(absl::StrCat("prepare-", i), i);
      hv1::ReportHazardResponse resp;
      ASSERT_TRUE(testing::WaitUntil(
          [&] {
            return hazard_stubs_[0]
                ->ReportHazard(testing::CallContext(workers_[0]).get(), req, &resp)
                .ok();
          },
          absl::Seconds(60)));
      hazard_ = resp.hazard().hazard_id();
    }
  }

  // Report `n` goes to one of the buildings, in one of the categories: each report of a
  // building and category that has an open hazard is linked to it as a duplicate (and updates
  // it), so one building and category would make every report contend for one record.
  hv1::ReportHazardRequest ReportRequest(const std::string& key, int64_t n) const {
    hv1::ReportHazardRequest req;
    req.set_building_id(building_ids_[n % kBuildings]);
    req.set_category(static_cast<hv1::HazardCategory>(1 + n / kBuildings % 13));
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description(key);
    req.set_idempotency_key(key);
    return req;
  }

  // Starts call number `n` (its kind and principal follow from n); `done` runs when it ends.
  void Issue(int64_t n, std::function<void()> done = nullptr) {
    struct Call {
      grpc::ClientContext ctx;
      hv1::ReportHazardRequest report;
      hv1::ReportHazardResponse reported;
      hv1::GetHazardRequest get_hazard;
      hv1::Hazard hazard;
      bv1::GetBuildingRequest get_building;
      bv1::Building building;
      Outcome outcome;
      absl::Time start;
    };
    auto call = std::make_shared<Call>();
    const int principal = static_cast<int>(n % kPrincipals);
    call->outcome.principal = principal;
    call->outcome.kind = static_cast<Kind>(n % 3);
    auth::AttachToken(&call->ctx, workers_[principal]);
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
    in_flight_.fetch_add(1);
    call->start = absl::Now();
    auto finish = [this, call, done](grpc::Status s) {
      call->outcome.latency = absl::Now() - call->start;
      call->outcome.code = s.error_code();
      call->outcome.message = s.error_message();
      if (s.ok() && call->outcome.kind == Kind::kReport) {
        call->outcome.hazard_id = call->reported.hazard().hazard_id();
      }
      {
        absl::MutexLock lock(&mu_);
        outcomes_.push_back(std::move(call->outcome));
      }
      if (done) done();
      in_flight_.fetch_sub(1);  // last: the loops wait for 0 before their state goes
    };
    const int channel = static_cast<int>(n / 3 % 2);
    switch (call->outcome.kind) {
      case Kind::kReport: {
        const std::string key = absl::StrCat("overload-", run_, "-", n);
        call->outcome.report_key = key;
        call->report = ReportRequest(key, n / 3);
        hazard_stubs_[channel]->async()->ReportHazard(&call->ctx, &call->report, &call->reported,
                                                      finish);
        break;
      }
      case Kind::kGetHazard:
        call->get_hazard.set_hazard_id(hazard_);
        hazard_stubs_[channel]->async()->GetHazard(&call->ctx, &call->get_hazard, &call->hazard,
                                                   finish);
        break;
      case Kind::kGetBuilding:
        call->get_building.set_building_id(building_ids_[n % kBuildings]);
        building_stubs_[channel]->async()->GetBuilding(&call->ctx, &call->get_building,
                                                       &call->building, finish);
        break;
    }
  }

  // A closed loop of `callers` for `duration`: each starts its next call when one ends.
  std::vector<Outcome> ClosedLoop(int callers, absl::Duration duration) {
    TakeOutcomes();
    const absl::Time end = absl::Now() + duration;
    std::function<void()> next = [&] {
      if (absl::Now() < end) Issue(next_call_.fetch_add(1), next);
    };
    for (int i = 0; i < callers; ++i) Issue(next_call_.fetch_add(1), next);
    EXPECT_TRUE(testing::WaitUntil([&] { return absl::Now() >= end && in_flight_ == 0; },
                                   duration + kCallDeadline + absl::Seconds(10)));
    return TakeOutcomes();
  }

  // An open loop: calls started at `rate` per second for `duration` whatever the answers.
  // Returns the outcomes and the rate actually offered.
  std::vector<Outcome> OpenLoop(double rate, absl::Duration duration, double* offered) {
    TakeOutcomes();
    const absl::Time start = absl::Now();
    int64_t started = 0;
    while (absl::Now() - start < duration) {
      const int64_t due = static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start) * rate);
      for (; started < due; ++started) Issue(next_call_.fetch_add(1));
      absl::SleepFor(absl::Milliseconds(1));  // pacing tick of the open loop, not a wait
    }
    *offered = static_cast<double>(started) / absl::ToDoubleSeconds(absl::Now() - start);
    WaitAllAnswered();
    return TakeOutcomes();
  }

  void WaitAllAnswered() {
    EXPECT_TRUE(
        testing::WaitUntil([&] { return in_flight_ == 0; }, kCallDeadline + absl::Seconds(20)));
  }

  std::vector<Outcome> TakeOutcomes() {
    absl::MutexLock lock(&mu_);
    std::vector<Outcome> out;
    out.swap(outcomes_);
    return out;
  }

  testing::TempDir dir_{"overload-faults"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_;
  std::unique_ptr<testing::ServiceProcess> hazards_;
  testing::DevTokens tokens_;
  std::vector<std::string> workers_;
  std::vector<std::unique_ptr<hv1::HazardService::Stub>> hazard_stubs_;
  std::vector<std::unique_ptr<bv1::BuildingService::Stub>> building_stubs_;
  std::vector<std::string> building_ids_;
  std::string hazard_;
  const std::string run_ = absl::StrCat(absl::ToUnixMicros(absl::Now()));
  std::atomic<int64_t> next_call_{0};
  std::atomic<int> in_flight_{0};
  absl::Mutex mu_;
  std::vector<Outcome> outcomes_ ABSL_GUARDED_BY(mu_);
};

TEST_F(OverloadFaults,
       ThreeTimesTheSustainableRateKeepsAdmittedCallsFastRefusesTheRestAndCorruptsNothing) {
  ASSERT_NO_FATAL_FAILURE(Prepare());
  const int cycles = faults::Cycles(1);

  // Unloaded: two callers.
  std::vector<Outcome> unloaded = ClosedLoop(2, absl::Seconds(1));
  std::vector<absl::Duration> unloaded_latency;
  for (const Outcome& o : unloaded) {
    if (o.code == grpc::StatusCode::ABORTED) continue;
    ASSERT_EQ(o.code, grpc::StatusCode::OK) << o.message;
    unloaded_latency.push_back(o.latency);
  }
  const absl::Duration unloaded_p99 = Percentile(unloaded_latency, 0.99);

  // Sustainable: what 32 callers get answered per second.
  const absl::Duration capacity_for = absl::Seconds(2);
  std::vector<Outcome> capacity = ClosedLoop(kCapacityCallers, capacity_for);
  int64_t answered = 0;
  for (const Outcome& o : capacity) answered += o.code == grpc::StatusCode::OK ? 1 : 0;
  const double sustainable = static_cast<double>(answered) / absl::ToDoubleSeconds(capacity_for);
  ASSERT_GT(sustainable, 20) << "the stack answers almost nothing unloaded";

  std::vector<Outcome> all(capacity.begin(), capacity.end());
  all.insert(all.end(), unloaded.begin(), unloaded.end());
  std::vector<absl::Duration> admitted;
  int64_t refused = 0, conflicts = 0, offered_calls = 0;
  double offered_rate_min = 1e18;
  std::map<std::string, int> other;  // unexpected outcomes: "<code>: <message>" → count
  absl::Duration recovery_max = absl::ZeroDuration();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    double offered = 0;
    std::vector<Outcome> load = OpenLoop(3 * sustainable, kOverloadFor, &offered);
    offered_rate_min = std::min(offered_rate_min, offered);
    offered_calls += static_cast<int64_t>(load.size());
    for (const Outcome& o : load) {
      if (o.code == grpc::StatusCode::OK) {
        admitted.push_back(o.latency);
      } else if (o.code == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                 absl::StartsWith(o.message, "server overloaded")) {
        ++refused;
      } else if (o.code == grpc::StatusCode::ABORTED) {
        ++conflicts;  // concurrent reports of one open hazard: the workload's, retried by clients
      } else {
        ++other[absl::StrCat(o.code, ": ", o.message)];
      }
    }
    all.insert(all.end(), load.begin(), load.end());

    // Recovery: once the load has dropped (every call answered), the next calls all succeed.
    const absl::Time dropped = absl::Now();
    std::vector<Outcome> after = ClosedLoop(2, absl::Milliseconds(500));
    int failed_after = 0;
    for (const Outcome& o : after) {
      failed_after += o.code == grpc::StatusCode::OK || o.code == grpc::StatusCode::ABORTED ? 0 : 1;
    }
    EXPECT_EQ(failed_after, 0) << "calls failed after the load dropped (cycle " << cycle << ")";
    EXPECT_GT(after.size(), 0u);
    recovery_max = std::max(recovery_max, absl::Now() - dropped);
    all.insert(all.end(), after.begin(), after.end());
  }

  // Nothing corrupted: every acknowledged report stored once under its key, no refused report
  // stored, the counters equal a recount of every stored hazard.
  redis::PoolOptions po;
  ASSERT_TRUE(redis::ParseAddress(redis_.address(), &po).ok());
  std::unique_ptr<redis::Pool> pool = redis::Pool::Create(po);
  hazards::HazardStore store(pool.get(), "fg:hazards");
  std::vector<hv1::Hazard> stored;
  std::string cursor;
  do {
    auto page = store.Scan("", "", cursor, 500);
    ASSERT_TRUE(page.ok()) << page.status();
    stored.insert(stored.end(), page->hazards.begin(), page->hazards.end());
    cursor = page->next_cursor;
  } while (!cursor.empty());
  std::map<std::string, std::vector<std::string>> stored_by_key;  // description → hazard ids
  for (const hv1::Hazard& h : stored) stored_by_key[h.description()].push_back(h.hazard_id());
  int64_t writes = 0, acknowledged = 0, lost = 0, duplicated = 0, refused_but_stored = 0;
  for (const Outcome& o : all) {
    if (o.kind != Kind::kReport) continue;
    ++writes;
    auto it = stored_by_key.find(o.report_key);
    const size_t copies = it == stored_by_key.end() ? 0 : it->second.size();
    if (copies > 1) ++duplicated;
    if (o.code == grpc::StatusCode::OK) {
      ++acknowledged;
      if (copies == 0 ||
          std::find(it->second.begin(), it->second.end(), o.hazard_id) == it->second.end()) {
        ++lost;
      }
    } else if (o.code == grpc::StatusCode::RESOURCE_EXHAUSTED && copies > 0) {
      ++refused_but_stored;
    }
  }
  // An overload refusal is made before the token is looked at: it is not audited (it would
  // cost the Redis write the refusal saves).
  int64_t audited_refusals = 0;
  {
    auto head = pool->Command({"GET", "fg:hazards:audit:head"});
    ASSERT_TRUE(head.ok()) << head.status();
    int64_t last = 0;
    ASSERT_TRUE(
        absl::SimpleAtoi(std::vector<std::string>(absl::StrSplit(head->str, ' '))[0], &last))
        << head->str;
    for (int64_t from = 1; from <= last; from += 500) {
      std::vector<std::string> mget = {"MGET"};
      for (int64_t i = from; i <= std::min(last, from + 499); ++i) {
        mget.push_back(absl::StrCat("fg:hazards:audit:r:", i));
      }
      auto records = pool->Command(mget);
      ASSERT_TRUE(records.ok()) << records.status();
      for (const redis::Reply& r : records->elements) {
        audit::v1::AuditRecord record;
        if (!r.IsNil() && record.ParseFromString(r.str) &&
            record.result_code() == "RESOURCE_EXHAUSTED") {
          ++audited_refusals;
        }
      }
    }
  }

  auto counters = store.counters().Read();
  ASSERT_TRUE(counters.ok()) << counters.status();
  const bool counters_equal = *counters == store.counters().Recount(stored);

  std::vector<std::string> unexpected;
  int64_t other_count = 0;
  for (const auto& [what, n] : other) {
    other_count += n;
    unexpected.push_back(absl::StrCat(n, " x ", what));
  }
  const absl::Duration admitted_p50 = Percentile(admitted, 0.5);
  const absl::Duration admitted_p99 = Percentile(admitted, 0.99);
  faults::Report(faults::Figures{
      .experiment = "overload: 3x the sustainable rate from 100 principals (hazards, buildings)",
      .cycles = cycles,
      .writes = writes,
      .acknowledged = acknowledged,
      .lost = lost,
      .duplicated = duplicated + refused_but_stored,
      .recovery_max = recovery_max,
      .extra = {{"sustainable_per_s", absl::StrFormat("%.0f", sustainable)},
                {"offered_per_s", absl::StrFormat("%.0f", offered_rate_min)},
                {"calls_under_overload", absl::StrCat(offered_calls)},
                {"admitted", absl::StrCat(admitted.size())},
                {"refused_overloaded", absl::StrCat(refused)},
                {"conflicts_aborted", absl::StrCat(conflicts)},
                {"other_errors", absl::StrCat(other_count)},
                {"unloaded_p99", Ms(unloaded_p99)},
                {"admitted_p50", Ms(admitted_p50)},
                {"admitted_p99", Ms(admitted_p99)},
                {"counters_equal_recount", counters_equal ? "yes" : "no"},
                {"refusals_audited", absl::StrCat(audited_refusals)}}});

  EXPECT_EQ(other_count, 0) << absl::StrJoin(unexpected, "\n");
  EXPECT_LT(admitted_p99, kAdmittedP99Bound) << "unloaded p99 " << Ms(unloaded_p99);
  EXPECT_GT(admitted.size(), 0u);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(refused_but_stored, 0) << "a report refused RESOURCE_EXHAUSTED was stored";
  EXPECT_TRUE(counters_equal) << "statistics counters differ from a recount";
  EXPECT_EQ(audited_refusals, 0) << "overload refusals were written to the audit log";
}

}  // namespace
}  // namespace firegrid
