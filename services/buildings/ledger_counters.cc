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

using google::protobuf::util::TimeUtil;

constexpr size_t kTierLengths[] = {6, 9, 12};
constexpr int kRecountChunk = 1000;
constexpr char kUnfiled[] = "unfiled";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

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

redis::CounterSnapshot LedgerCounters::ContributionOf(const v1::Building& b) const {
  redis::CounterSnapshot c;
  const LedgerEntry e = counting_.EntryOf(b);
  const std::string& row = b.tier_path();
  for (size_t len : kTierLengths) {
    if (row.size() < len) break;
    const std::string tier = row.substr(0, len);
    auto& fields = c.hashes[HashKey(tier)];
    auto count = [&](const std::string& f) {
      fields[f] += 1;
      fields[absl::StrCat(row, "|", f)] += 1;
    };
    for (const std::string& f : e.figures) count(f);
    if (e.unfiled) {
      count(kUnfiled);
      c.sets[DueKey(tier)][b.building_id()] = static_cast<double>(Micros(e.filing_due));
    }
  }
  return c;
}

void LedgerCounters::AddDelta(const v1::Building* before, const v1::Building* after,
                              redis::CounterDelta* delta) const {
  delta->Add(before != nullptr ? ContributionOf(*before) : redis::CounterSnapshot(),
             after != nullptr ? ContributionOf(*after) : redis::CounterSnapshot());
}

LedgerCounters::Snapshot LedgerCounters::Recount(const std::vector<v1::Building>& buildings) const {
  Snapshot s;
  for (const auto& b : buildings) s.Merge(ContributionOf(b));
  s.DropZeros();
  return s;
}

absl::StatusOr<LedgerCounters::Snapshot> LedgerCounters::Read() {
  return redis::ReadCounters(*pool_, counters_prefix());
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

absl::StatusOr<redis::CounterSnapshot> LedgerCounters::RecountStore(Store& store,
                                                                    int64_t* counted) const {
  redis::CounterSnapshot s;
  *counted = 0;
  std::string cursor;
  do {
    FG_ASSIGN_OR_RETURN(BuildingPage page, store.ScanBuildings("", cursor, kRecountChunk));
    for (const auto& b : page.buildings) {
      s.Merge(ContributionOf(b));
      ++*counted;
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return s;
}

absl::StatusOr<int> LedgerCounters::Build(Store& store) {
  int64_t counted = 0;
  FG_ASSIGN_OR_RETURN(bool built, redis::RebuildCounters(*pool_, counters_prefix(), [&]() {
                        return RecountStore(store, &counted);
                      }));
  return built ? static_cast<int>(counted) : -1;
}

absl::StatusOr<redis::CounterCheck> LedgerCounters::Check(Store& store) {
  redis::CounterCheck check;
  FG_ASSIGN_OR_RETURN(check.differences, redis::CheckCounters(*pool_, counters_prefix(), [&]() {
                        return RecountStore(store, &check.records);
                      }));
  return check;
}

}  // namespace firegrid::buildings
