#include "services/hazards/aggregates.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "services/hazards/statistics.h"
#include "services/hazards/store.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {
namespace {

using Pre = redis::AtomicWrite::Precondition;

constexpr int kTierLengths[] = {6, 9, 12};
constexpr int kRecountChunk = 1000;
constexpr int kBuildAttempts = 20;
constexpr size_t kFieldsPerCommand = 2000;  // well under the script's argument limit

// The length of the rows by tier under a scope of `len` digits (as StatisticsTally groups).
size_t GroupLength(size_t len) { return len == 6 ? 9 : 12; }

const char* BucketOf(const v1::Hazard& h) {
  switch (h.status()) {
    case v1::STATUS_REPORTED:
      return "reported";
    case v1::STATUS_REJECTED:
      return "rejected";
    case v1::STATUS_CLOSED:
      return "closed";
    default:
      return "open";
  }
}

bool IsOpen(const v1::Hazard& h) { return std::string(BucketOf(h)) == "open"; }

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// Sets the row's bucket from a counter field.
void SetBucket(v1::StatisticsRow* r, const std::string& bucket, int64_t n) {
  const int v = static_cast<int>(n);
  if (bucket == "reported") r->set_reported(v);
  if (bucket == "rejected") r->set_rejected(v);
  if (bucket == "closed") r->set_closed(v);
  if (bucket == "closed_on_time") r->set_closed_on_time(v);
  if (bucket == "open") r->set_open(v);
}

bool Counted(const v1::StatisticsRow& r) {
  return r.reported() + r.rejected() + r.closed() + r.open() > 0;
}

}  // namespace

StatisticsCounters::StatisticsCounters(redis::Pool* pool, std::string prefix)
    : pool_(pool), prefix_(std::move(prefix)) {}

void StatisticsCounters::AddTo(const v1::Hazard& h, int sign, Contribution* c) const {
  if (!h.duplicate_of().empty()) return;
  std::vector<std::string> depts = DepartmentIndexes(h);
  depts.insert(depts.begin(), "");
  const std::string bucket = BucketOf(h);
  const bool on_time = h.status() == v1::STATUS_CLOSED && h.closed_on_time();
  const bool due = IsOpen(h) && h.assignment().has_deadline();
  const std::string& tier = h.tier_path();
  for (size_t len : kTierLengths) {
    if (tier.size() < len) break;
    const std::string scope = tier.substr(0, len);
    auto& fields = c->hashes[HashKey(scope)];
    const size_t group = GroupLength(len);
    const std::string child = tier.size() >= group ? tier.substr(0, group) + "/" : "";
    for (const std::string& d : depts) {
      fields[absl::StrCat(d, "|", bucket)] += sign;
      if (on_time) fields[absl::StrCat(d, "|closed_on_time")] += sign;
      if (!child.empty()) {
        fields[absl::StrCat(child, d, "|", bucket)] += sign;
        if (on_time) fields[absl::StrCat(child, d, "|closed_on_time")] += sign;
      }
      if (due && sign > 0) {
        c->due[DueKey(scope, d)][h.hazard_id()] =
            static_cast<double>(Micros(FromTs(h.assignment().deadline())));
      }
    }
  }
}

void StatisticsCounters::AddDelta(const v1::Hazard* before, const v1::Hazard* after,
                                  redis::AtomicWrite* w) const {
  Contribution delta, was, now;
  if (before != nullptr) {
    AddTo(*before, -1, &delta);
    AddTo(*before, +1, &was);
  }
  if (after != nullptr) {
    AddTo(*after, +1, &delta);
    AddTo(*after, +1, &now);
  }
  bool changed = false;
  for (const auto& [key, fields] : delta.hashes) {
    for (const auto& [field, n] : fields) {
      if (n == 0) continue;
      w->commands.push_back({"HINCRBY", key, field, absl::StrCat(n)});
      changed = true;
    }
  }
  for (const auto& [key, members] : was.due) {
    for (const auto& [id, score] : members) {
      auto it = now.due.find(key);
      if (it == now.due.end() || !it->second.contains(id)) {
        w->commands.push_back({"ZREM", key, id});
        changed = true;
      }
    }
  }
  for (const auto& [key, members] : now.due) {
    for (const auto& [id, score] : members) {
      auto it = was.due.find(key);
      if (it != was.due.end()) {
        auto m = it->second.find(id);
        if (m != it->second.end() && m->second == score) continue;
      }
      w->commands.push_back({"ZADD", key, absl::StrCat(static_cast<int64_t>(score)), id});
      changed = true;
    }
  }
  if (changed) w->commands.push_back({"INCR", prefix_ + ":agg:gen"});
}

StatisticsCounters::Snapshot StatisticsCounters::Recount(
    const std::vector<v1::Hazard>& hazards) const {
  Snapshot s;
  for (const auto& h : hazards) AddTo(h, +1, &s);
  for (auto& [key, fields] : s.hashes) std::erase_if(fields, [](auto& f) { return f.second == 0; });
  return s;
}

absl::StatusOr<bool> StatisticsCounters::Built() {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"EXISTS", prefix_ + ":agg:built"}));
  return r.integer == 1;
}

absl::StatusOr<StatisticsCounters::Snapshot> StatisticsCounters::Read() {
  Snapshot s;
  std::string cursor = "0";
  std::vector<std::string> keys;
  do {
    FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"SCAN", cursor, "MATCH", prefix_ + ":agg:*",
                                                        "COUNT", "1000"}));
    if (r.elements.size() != 2) return absl::InternalError("unexpected SCAN reply");
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) keys.push_back(k.str);
  } while (cursor != "0");
  for (const std::string& key : keys) {
    if (key == prefix_ + ":agg:gen" || key == prefix_ + ":agg:built") continue;
    if (key.rfind(prefix_ + ":agg:due:", 0) == 0) {
      FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"ZRANGE", key, "0", "-1", "WITHSCORES"}));
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        double score = 0;
        (void)absl::SimpleAtod(r.elements[i + 1].str, &score);
        s.due[key][r.elements[i].str] = score;
      }
    } else {
      FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HGETALL", key}));
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(r.elements[i + 1].str, &n)) {
          return absl::DataLossError(absl::StrCat("corrupt counter ", key));
        }
        if (n != 0) s.hashes[key][r.elements[i].str] = n;
      }
    }
  }
  return s;
}

absl::StatusOr<std::optional<v1::Statistics>> StatisticsCounters::Statistics(
    const std::string& tier_path, const std::string& department, absl::Time now) {
  FG_ASSIGN_OR_RETURN(
      std::vector<redis::Reply> replies,
      pool_->Pipeline({{"EXISTS", prefix_ + ":agg:built"}, {"HGETALL", HashKey(tier_path)}}));
  for (const auto& r : replies) {
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
  }
  if (replies[0].integer != 1) return std::nullopt;
  v1::StatisticsRow totals;
  std::map<std::string, v1::StatisticsRow> by_tier, by_department;
  const auto& kv = replies[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    const std::string& field = kv[i].str;
    const size_t bar = field.rfind('|');
    if (bar == std::string::npos) continue;
    int64_t n = 0;
    if (!absl::SimpleAtoi(kv[i + 1].str, &n)) return absl::DataLossError("corrupt counter");
    const std::string row = field.substr(0, bar);
    const std::string bucket = field.substr(bar + 1);
    const size_t slash = row.find('/');
    if (slash != std::string::npos) {
      if (row.substr(slash + 1) != department) continue;
      SetBucket(&by_tier[row.substr(0, slash)], bucket, n);
      continue;
    }
    if (row == department) SetBucket(&totals, bucket, n);
    if (!row.empty() && (department.empty() || row == department)) {
      SetBucket(&by_department[row], bucket, n);
    }
  }
  std::erase_if(by_tier, [](const auto& e) { return !Counted(e.second); });
  std::erase_if(by_department, [](const auto& e) { return !Counted(e.second); });

  // Overdue: the open hazards past their deadline, per row.
  const std::string below_now = absl::StrCat("(", Micros(now));
  std::vector<std::vector<std::string>> counts;
  std::vector<v1::StatisticsRow*> rows;
  auto count = [&](v1::StatisticsRow* r, const std::string& tier, const std::string& d) {
    if (r->open() == 0) return;
    counts.push_back({"ZCOUNT", DueKey(tier, d), "-inf", below_now});
    rows.push_back(r);
  };
  count(&totals, tier_path, department);
  for (auto& [child, r] : by_tier) count(&r, child, department);
  for (auto& [d, r] : by_department) count(&r, tier_path, d);
  if (!counts.empty()) {
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> overdue, pool_->Pipeline(counts));
    for (size_t i = 0; i < overdue.size(); ++i) {
      if (overdue[i].IsError()) return redis::ErrorReplyToStatus(overdue[i].str);
      rows[i]->set_overdue(static_cast<int>(overdue[i].integer));
    }
  }

  v1::Statistics out;
  out.set_tier_path(tier_path);
  *out.mutable_totals() = FinishRow(totals, tier_path);
  for (const auto& [k, r] : by_tier) *out.add_by_tier() = FinishRow(r, k);
  for (const auto& [k, r] : by_department) *out.add_by_department() = FinishRow(r, k);
  *out.mutable_generated_at() = Ts(now);
  return out;
}

absl::StatusOr<int> StatisticsCounters::Build(HazardStore& store) {
  const std::string gen_key = prefix_ + ":agg:gen";
  const std::string built_key = prefix_ + ":agg:built";
  for (int attempt = 0; attempt < kBuildAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> state,
                        pool_->Pipeline({{"EXISTS", built_key}, {"GET", gen_key}}));
    if (state[0].integer == 1) return -1;
    const bool no_gen = state[1].IsNil();
    const std::string gen = state[1].str;
    std::vector<v1::Hazard> all;
    std::string cursor;
    do {
      FG_ASSIGN_OR_RETURN(HazardStore::Page page, store.Scan("", "", cursor, kRecountChunk));
      for (auto& h : page.hazards) all.push_back(std::move(h));
      cursor = page.next_cursor;
    } while (!cursor.empty());
    const Snapshot recount = Recount(all);
    FG_ASSIGN_OR_RETURN(Snapshot stored, Read());

    redis::AtomicWrite w;
    w.preconditions.push_back(Pre{no_gen ? Pre::Kind::kAbsent : Pre::Kind::kEquals, gen_key, "",
                                  gen, absl::StatusCode::kAborted,
                                  "hazards written during the recount"});
    for (const auto& [key, unused] : stored.hashes) w.commands.push_back({"DEL", key});
    for (const auto& [key, unused] : stored.due) w.commands.push_back({"DEL", key});
    for (const auto& [key, fields] : recount.hashes) {
      std::vector<std::string> cmd = {"HSET", key};
      for (const auto& [f, n] : fields) {
        cmd.push_back(f);
        cmd.push_back(absl::StrCat(n));
        if (cmd.size() >= 2 + 2 * kFieldsPerCommand) {
          w.commands.push_back(std::move(cmd));
          cmd = {"HSET", key};
        }
      }
      if (cmd.size() > 2) w.commands.push_back(std::move(cmd));
    }
    for (const auto& [key, members] : recount.due) {
      std::vector<std::string> cmd = {"ZADD", key};
      for (const auto& [id, score] : members) {
        cmd.push_back(absl::StrCat(static_cast<int64_t>(score)));
        cmd.push_back(id);
        if (cmd.size() >= 2 + 2 * kFieldsPerCommand) {
          w.commands.push_back(std::move(cmd));
          cmd = {"ZADD", key};
        }
      }
      if (cmd.size() > 2) w.commands.push_back(std::move(cmd));
    }
    w.commands.push_back({"SET", built_key, "1"});
    absl::Status s = redis::Execute(*pool_, w);
    if (s.code() == absl::StatusCode::kAborted) continue;
    FG_RETURN_IF_ERROR(s);
    return static_cast<int>(all.size());
  }
  return absl::AbortedError("hazards kept changing during the statistics recount; try again");
}

}  // namespace firegrid::hazards
