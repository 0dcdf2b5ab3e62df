#include "services/buildings/ledger_counters.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/status.h"
#include "services/buildings/filing.h"
#include "services/buildings/ledger.h"

namespace firegrid::buildings {
namespace {

using Pre = redis::AtomicWrite::Precondition;
using google::protobuf::util::TimeUtil;

constexpr size_t kTierLengths[] = {6, 9, 12};
constexpr int kRecountChunk = 1000;
constexpr int kBuildAttempts = 20;
constexpr size_t kFieldsPerCommand = 2000;  // well under the script's argument limit
constexpr char kUnfiled[] = "unfiled";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// Appends `cmd` to `w`, split every kFieldsPerCommand pairs after its first two arguments.
void AddChunked(const std::string& verb, const std::string& key,
                const std::vector<std::pair<std::string, std::string>>& pairs,
                redis::AtomicWrite* w) {
  std::vector<std::string> cmd = {verb, key};
  for (const auto& [a, b] : pairs) {
    cmd.push_back(a);
    cmd.push_back(b);
    if (cmd.size() >= 2 + 2 * kFieldsPerCommand) {
      w->commands.push_back(std::move(cmd));
      cmd = {verb, key};
    }
  }
  if (cmd.size() > 2) w->commands.push_back(std::move(cmd));
}

}  // namespace

LedgerCounting::LedgerCounting(const Rules& rules)
    : period_working_days_(rules.filing().filing_period_working_days()) {
  auto cal = CalendarFromRules(rules);
  if (cal.ok()) calendar_ = *cal;  // rules are validated before the store is built
}

LedgerEntry LedgerCounting::EntryOf(v1::Building b) const {
  // The filing state at the beginning of time: pending when changed and not filed (late only
  // once the due time has passed, which the read decides), otherwise as at any time.
  ComputeFilingState(b.mutable_responsibility(), absl::InfinitePast(), calendar_,
                     period_working_days_);
  LedgerEntry e;
  for (std::string& f : LedgerFiguresOf(b)) {
    if (f == "filing_pending" || f == "filing_late") continue;
    e.figures.push_back(std::move(f));
  }
  if (b.responsibility().filing_state() == v1::FILING_STATE_PENDING) {
    e.unfiled = true;
    e.filing_due =
        absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(b.responsibility().filing_due()));
  }
  return e;
}

LedgerCounters::LedgerCounters(redis::Pool* pool, std::string prefix, LedgerCounting counting)
    : pool_(pool), prefix_(std::move(prefix)), counting_(std::move(counting)) {}

void LedgerCounters::AddTo(const v1::Building& b, int sign, Snapshot* s) const {
  const LedgerEntry e = counting_.EntryOf(b);
  const std::string& row = b.tier_path();
  for (size_t len : kTierLengths) {
    if (row.size() < len) break;
    const std::string tier = row.substr(0, len);
    auto& fields = s->hashes[HashKey(tier)];
    auto count = [&](const std::string& f) {
      fields[f] += sign;
      fields[absl::StrCat(row, "|", f)] += sign;
    };
    for (const std::string& f : e.figures) count(f);
    if (e.unfiled) {
      count(kUnfiled);
      if (sign > 0) s->due[DueKey(tier)][b.building_id()] = Micros(e.filing_due);
    }
  }
}

void LedgerCounters::AddDelta(const v1::Building* before, const v1::Building* after,
                              redis::AtomicWrite* w) const {
  Snapshot delta, was, now;
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

LedgerCounters::Snapshot LedgerCounters::Recount(const std::vector<v1::Building>& buildings) const {
  Snapshot s;
  for (const auto& b : buildings) AddTo(b, +1, &s);
  for (auto& [key, fields] : s.hashes) std::erase_if(fields, [](auto& f) { return f.second == 0; });
  return s;
}

absl::StatusOr<LedgerCounters::Snapshot> LedgerCounters::Read() {
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

absl::StatusOr<std::optional<LedgerTally>> LedgerCounters::Tally(const std::string& tier_path,
                                                                 absl::Time now) {
  FG_ASSIGN_OR_RETURN(
      std::vector<redis::Reply> replies,
      pool_->Pipeline({{"EXISTS", prefix_ + ":agg:built"}, {"HGETALL", HashKey(tier_path)}}));
  for (const auto& r : replies) {
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
  }
  if (replies[0].integer != 1) return std::nullopt;
  LedgerTally t;
  const auto& kv = replies[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(kv[i + 1].str, &n)) return absl::DataLossError("corrupt counter");
    const std::string& field = kv[i].str;
    const size_t bar = field.find('|');
    if (bar == std::string::npos) {
      t.totals[field] = n;
    } else {
      t.rows[field.substr(0, bar)][field.substr(bar + 1)] = n;
    }
  }
  // Filing late: the unfiled buildings whose due time has come (ComputeFilingState: late from
  // the due time on); the others are pending.
  const std::string up_to_now = absl::StrCat(Micros(now));
  std::vector<std::vector<std::string>> counts;
  std::vector<std::map<std::string, int64_t>*> figures;
  auto late = [&](const std::string& tier, std::map<std::string, int64_t>* f) {
    if ((*f)[kUnfiled] <= 0) return;
    counts.push_back({"ZCOUNT", DueKey(tier), "-inf", up_to_now});
    figures.push_back(f);
  };
  late(tier_path, &t.totals);
  for (auto& [code, f] : t.rows) late(code, &f);
  std::vector<redis::Reply> lates;
  if (!counts.empty()) {
    FG_ASSIGN_OR_RETURN(lates, pool_->Pipeline(counts));
  }
  auto resolve = [](std::map<std::string, int64_t>* f, int64_t late_n) {
    const int64_t unfiled = (*f)[kUnfiled];
    f->erase(kUnfiled);
    (*f)["filing_late"] = late_n;
    (*f)["filing_pending"] = unfiled - late_n;
  };
  for (size_t i = 0; i < lates.size(); ++i) {
    if (lates[i].IsError()) return redis::ErrorReplyToStatus(lates[i].str);
    resolve(figures[i], lates[i].integer);
  }
  // Those with no unfiled building (no ZCOUNT sent) have none late.
  if (t.totals.contains(kUnfiled)) resolve(&t.totals, 0);
  for (auto& [code, f] : t.rows) {
    if (f.contains(kUnfiled)) resolve(&f, 0);
  }
  return t;
}

absl::StatusOr<int> LedgerCounters::Build(Store& store) {
  const std::string gen_key = prefix_ + ":agg:gen";
  const std::string built_key = prefix_ + ":agg:built";
  for (int attempt = 0; attempt < kBuildAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> state,
                        pool_->Pipeline({{"EXISTS", built_key}, {"GET", gen_key}}));
    if (state[0].integer == 1) return -1;
    const bool no_gen = state[1].IsNil();
    const std::string gen = state[1].str;
    std::vector<v1::Building> all;
    std::string cursor;
    do {
      FG_ASSIGN_OR_RETURN(BuildingPage page, store.ScanBuildings("", cursor, kRecountChunk));
      for (auto& b : page.buildings) all.push_back(std::move(b));
      cursor = page.next_cursor;
    } while (!cursor.empty());
    const Snapshot recount = Recount(all);
    FG_ASSIGN_OR_RETURN(Snapshot stored, Read());

    redis::AtomicWrite w;
    w.preconditions.push_back(Pre{no_gen ? Pre::Kind::kAbsent : Pre::Kind::kEquals, gen_key, "",
                                  gen, absl::StatusCode::kAborted,
                                  "buildings written during the recount"});
    for (const auto& [key, unused] : stored.hashes) w.commands.push_back({"DEL", key});
    for (const auto& [key, unused] : stored.due) w.commands.push_back({"DEL", key});
    for (const auto& [key, fields] : recount.hashes) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& [f, n] : fields) pairs.emplace_back(f, absl::StrCat(n));
      AddChunked("HSET", key, pairs, &w);
    }
    for (const auto& [key, members] : recount.due) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& [id, score] : members) {
        pairs.emplace_back(absl::StrCat(static_cast<int64_t>(score)), id);
      }
      AddChunked("ZADD", key, pairs, &w);
    }
    w.commands.push_back({"SET", built_key, "1"});
    absl::Status s = redis::Execute(*pool_, w);
    if (s.code() == absl::StatusCode::kAborted) continue;
    FG_RETURN_IF_ERROR(s);
    return static_cast<int>(all.size());
  }
  return absl::AbortedError("buildings kept changing during the ledger recount; try again");
}

}  // namespace firegrid::buildings
