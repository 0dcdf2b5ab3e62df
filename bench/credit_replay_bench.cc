// credit_replay_bench: how long the credit service takes to replay its whole history under a
// new rule set.
//
// Starts a private redis-server (AOF everysec, as deploy/run-local.sh runs it) on a free
// loopback port in a temporary directory, appends a generated history to the credit store —
// one building fact per building, each naming its management unit (--subjects subjects, one
// building each), then --facts hazard facts over those subjects (verified, some overdue, most
// closed, in the order a hazard lives them; a fixed seed, so every run appends the same history)
// — and times Applier::ReplayAll() under config/credit_rules.textproto: read the history, apply
// every fact in memory, write the generation (states, ledgers, rankings, blacklist). Prints the
// facts per second and the ratio to the goal (1,000,000 hazard facts in 30 s).
//
//   credit_replay_bench [--facts=1000000] [--subjects=50000]
//
// Exit 0 whatever the time (the goal is reported, not enforced); 1 when the setup failed.
// Not a CTest test.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/h2load.h"
#include "bench/stack.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/redis/pool.h"
#include "libs/subjects/party.h"
#include "services/credit/applier.h"
#include "services/credit/rules.h"
#include "services/credit/store.h"
#include "services/credit/subject_ids.h"

namespace firegrid::bench {
namespace {

namespace cv1 = ::firegrid::credit::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace sv1 = ::firegrid::subjects::v1;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr double kGoalSeconds = 30;
constexpr int64_t kGoalFacts = 1'000'000;
constexpr int kAppendBatch = 10'000;

struct Config {
  int64_t facts = 0;
  int subjects = 0;
};

std::string Code(int n) {
  std::string first17 = absl::StrCat("91500109", absl::StrFormat("%09d", n));
  return first17 + subjects::CreditCodeCheckCharacter(first17);
}

// Community codes of district 500109: 10 streets × 10 communities.
std::string Community(int building) {
  return absl::StrFormat("500109%03d%03d", 1 + building % 10, 1 + (building / 10) % 10);
}

class History {
 public:
  History(credit::CreditStore* store, int subjects) : store_(store), subjects_(subjects) {}

  absl::Status Add(cv1::Fact fact) {
    time_ += absl::Seconds(1);
    fact.set_fact_id(absl::StrCat("evt_", ++n_));
    *fact.mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time_));
    fact.set_actor(fact.has_hazard() ? "hazards" : "buildings");
    pending_.push_back(std::move(fact));
    if (pending_.size() >= kAppendBatch) return Flush();
    return absl::OkStatus();
  }
  absl::Status Flush() {
    if (pending_.empty()) return absl::OkStatus();
    absl::StatusOr<std::vector<std::string>> ids = store_->AppendFacts(pending_);
    pending_.clear();
    return ids.status();
  }

  cv1::Fact Building(int b) const {
    cv1::Fact f;
    cv1::BuildingFact* bf = f.mutable_building();
    bf->set_building_id(absl::StrCat("bld_", b));
    bf->set_building_name(absl::StrCat("Building ", b));
    bf->set_tier_path(Community(b));
    sv1::Party* p = bf->add_parties();
    p->set_role(sv1::PARTY_ROLE_MANAGEMENT_UNIT);
    p->set_name(absl::StrCat("Management unit ", b));
    p->set_credit_code(Code(b));
    bf->add_manager_subjects(absl::StrCat("mgr_", b));
    return f;
  }

  cv1::Fact Hazard(cv1::HazardFact::Kind kind, int64_t hazard, int b, hv1::Severity severity,
                   hv1::HazardCategory category, bool on_time) const {
    cv1::Fact f;
    cv1::HazardFact* h = f.mutable_hazard();
    h->set_kind(kind);
    h->set_hazard_id(absl::StrCat("haz_", hazard));
    h->set_building_id(absl::StrCat("bld_", b));
    h->set_building_name(absl::StrCat("Building ", b));
    h->set_tier_path(Community(b));
    h->set_district("500109");
    h->set_category(category);
    h->set_severity(severity);
    h->set_supervising_department("fire_rescue");
    h->set_on_time(on_time);
    h->mutable_liable_party()->set_role(sv1::PARTY_ROLE_MANAGEMENT_UNIT);
    h->mutable_liable_party()->set_name(absl::StrCat("Management unit ", b));
    h->mutable_liable_party()->set_credit_code(Code(b));
    h->add_building_subjects(absl::StrCat("mgr_", b));
    return f;
  }

  int64_t appended() const { return n_; }

 private:
  credit::CreditStore* store_;
  int subjects_;
  absl::Time time_ = absl::FromUnixSeconds(1'750'000'000);
  int64_t n_ = 0;
  std::vector<cv1::Fact> pending_;
};

// Waits (polling, at most 5 minutes) until no AOF rewrite runs or is scheduled.
absl::Status AwaitNoAofRewrite(redis::Pool& pool) {
  const absl::Time deadline = absl::Now() + absl::Minutes(5);
  while (absl::Now() < deadline) {
    absl::StatusOr<redis::Reply> info = pool.Command({"INFO", "persistence"});
    if (!info.ok()) return info.status();
    if (info->str.find("aof_rewrite_in_progress:0") != std::string::npos &&
        info->str.find("aof_rewrite_scheduled:0") != std::string::npos) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("an AOF rewrite did not finish in 5 minutes");
}

// Rewrites the AOF now (after one Redis may have started by itself) and waits for it.
absl::Status RewriteAof(redis::Pool& pool) {
  if (absl::Status s = AwaitNoAofRewrite(pool); !s.ok()) return s;
  absl::StatusOr<redis::Reply> r = pool.Command({"BGREWRITEAOF"});
  if (!r.ok()) return r.status();
  return AwaitNoAofRewrite(pool);
}

// CPU seconds of this process so far.
double ProcessCpuSeconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of redis-server (its main process and the children it has waited for).
double RedisCpuSeconds(redis::Pool& pool) {
  absl::StatusOr<redis::Reply> info = pool.Command({"INFO", "cpu"});
  if (!info.ok()) return -1;
  double total = 0;
  for (const char* field :
       {"used_cpu_sys:", "used_cpu_user:", "used_cpu_sys_children:", "used_cpu_user_children:"}) {
    size_t at = info->str.find(field);
    if (at == std::string::npos) continue;
    total += std::atof(info->str.c_str() + at + std::strlen(field));
  }
  return total;
}

int Run(const Config& c) {
  Stack stack("credit-replay-bench");  // redis-server alone: the replay runs in this process
  stack.StartRedis();
  testing::RedisServer& redis = stack.redis();
  redis::PoolOptions po;
  po.port = redis.port();
  po.command_timeout = absl::Seconds(60);
  std::unique_ptr<redis::Pool> pool = redis::Pool::Create(po);
  credit::CreditStore store(pool.get(), "fg:credit");
  absl::StatusOr<credit::Rules> rules = credit::Rules::LoadFile(FIREGRID_CREDIT_RULES);
  if (!rules.ok()) {
    std::cerr << rules.status() << "\n";
    return 1;
  }

  // The history.
  const absl::Time gen_start = absl::Now();
  History history(&store, c.subjects);
  for (int b = 0; b < c.subjects; ++b) {
    if (absl::Status s = history.Add(history.Building(b)); !s.ok()) {
      std::cerr << "append: " << s << "\n";
      return 1;
    }
  }
  std::mt19937_64 rng(20260901);
  const std::vector<hv1::HazardCategory> categories = {
      hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT,
      hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED, hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER};
  int64_t hazard_facts = 0, hazard = 0;
  while (hazard_facts < c.facts) {
    const int b = static_cast<int>(rng() % c.subjects);
    const hv1::Severity severity = rng() % 20 == 0 ? hv1::SEVERITY_MAJOR : hv1::SEVERITY_GENERAL;
    const hv1::HazardCategory category = categories[rng() % categories.size()];
    const bool overdue = rng() % 4 == 0;
    std::vector<cv1::HazardFact::Kind> life = {cv1::HazardFact::KIND_VERIFIED};
    if (overdue) life.push_back(cv1::HazardFact::KIND_OVERDUE);
    if (rng() % 5 != 0) life.push_back(cv1::HazardFact::KIND_CLOSED);
    ++hazard;
    for (cv1::HazardFact::Kind kind : life) {
      if (hazard_facts == c.facts) break;
      absl::Status s = history.Add(history.Hazard(kind, hazard, b, severity, category, !overdue));
      if (!s.ok()) {
        std::cerr << "append: " << s << "\n";
        return 1;
      }
      ++hazard_facts;
    }
  }
  if (absl::Status s = history.Flush(); !s.ok()) {
    std::cerr << "append: " << s << "\n";
    return 1;
  }
  const absl::Duration gen_time = absl::Now() - gen_start;
  std::printf(
      "  history: %lld facts (%lld building facts, %lld hazard facts over %lld hazards, "
      "%d subjects) appended in %.1fs\n",
      static_cast<long long>(history.appended()), static_cast<long long>(c.subjects),
      static_cast<long long>(hazard_facts), static_cast<long long>(hazard), c.subjects,
      absl::ToDoubleSeconds(gen_time));

  // The history is old when a replay runs: Redis has long rewritten its append-only file. Do
  // that now, so that the growth of the file while the history was appended does not set off a
  // rewrite (a fork writing the whole dataset) in the middle of the replay.
  if (absl::Status s = RewriteAof(*pool); !s.ok()) {
    std::cerr << "BGREWRITEAOF: " << s << "\n";
    return 1;
  }

  // The replay.
  RealClock* clock = RealClock::Get();
  credit::SubjectIds ids("bench-person-key-0123456789abcdef");
  credit::ApplierOptions ao;
  ao.instance_id = "bench";
  ao.lease = absl::Minutes(5);
  credit::Applier applier(&store, &*rules, &ids, clock, ao);
  const double cpu_before = ProcessCpuSeconds(), redis_before = RedisCpuSeconds(*pool);
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> applied = applier.ReplayAll();
  const absl::Duration took = absl::Now() - start;
  const double cpu = ProcessCpuSeconds() - cpu_before;
  const double redis_cpu = RedisCpuSeconds(*pool) - redis_before;
  if (!applied.ok()) {
    std::cerr << "replay: " << applied.status() << "\n";
    return 1;
  }
  absl::StatusOr<redis::Reply> dbsize = pool->Command({"DBSIZE"});
  absl::StatusOr<redis::Reply> memory = pool->Command({"INFO", "memory"});
  std::string used = "?";
  if (memory.ok()) {
    size_t at = memory->str.find("used_memory_human:");
    if (at != std::string::npos) {
      used = memory->str.substr(at + 18, memory->str.find('\r', at) - at - 18);
    }
  }
  const double secs = absl::ToDoubleSeconds(took);
  const double rate = static_cast<double>(*applied) / secs;
  std::printf("  replay under rules %s: %lld facts in %.2fs = %.0f facts/s (%lld keys, redis %s)\n",
              rules->version().c_str(), static_cast<long long>(*applied), secs, rate,
              static_cast<long long>(dbsize.ok() ? dbsize->integer : -1), used.c_str());
  double load = 0;
  getloadavg(&load, 1);
  std::printf(
      "  CPU: %.1fs in the applier's process, %.1fs in redis-server (load average %.1f "
      "on %ld cores)\n",
      cpu, redis_cpu, load, sysconf(_SC_NPROCESSORS_ONLN));
  const double goal_rate = kGoalFacts / kGoalSeconds;
  std::printf(
      "  goal: %lld hazard facts in %.0fs (%.0f facts/s): %.2fx the goal rate; "
      "%lld hazard facts would take %.1fs: %s\n",
      static_cast<long long>(kGoalFacts), kGoalSeconds, goal_rate, rate / goal_rate,
      static_cast<long long>(kGoalFacts), kGoalFacts / rate,
      kGoalFacts / rate <= kGoalSeconds ? "MET" : "NOT MET");
  PrintFigure(
      "credit replay of 1,000,000 hazard facts (projected)",
      absl::StrFormat("%.1f", kGoalFacts / rate), "s", absl::StrFormat("<= %.0f", kGoalSeconds),
      absl::StrFormat("%lld facts replayed in %.2fs", static_cast<long long>(*applied), secs));
  return 0;
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("credit_replay_bench");
  binder.Int("facts", &c.facts, int64_t{1'000'000}, "hazard facts in the generated history", 1,
             10'000'000);
  binder.Int("subjects", &c.subjects, 50'000, "subjects (one building each)", 1, 1'000'000);
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv,
                                           [&] { return firegrid::bench::Run(c); });
}
