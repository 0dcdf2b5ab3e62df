#include "services/hazards/aggregates.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "services/hazards/statistics.h"
#include "services/hazards/store.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {
namespace {

constexpr int kTierLengths[] = {6, 9, 12};
constexpr int kRecountChunk = 1000;

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

redis::CounterSnapshot StatisticsCounters::ContributionOf(const v1::Hazard& h) const {
  redis::CounterSnapshot c;
  if (!h.duplicate_of().empty()) return c;
  std::vector<std::string> depts = DepartmentIndexes(h);
  depts.insert(depts.begin(), "");
  const std::string bucket = BucketOf(h);
  const bool on_time = h.status() == v1::STATUS_CLOSED && h.closed_on_time();
  const bool due = IsOpen(h) && h.assignment().has_deadline();
  const std::string& tier = h.tier_path();
  for (size_t len : kTierLengths) {
    if (tier.size() < len) break;
    const std::string scope = tier.substr(0, len);
    auto& fields = c.hashes[HashKey(scope)];
    const size_t group = GroupLength(len);
    const std::string child = tier.size() >= group ? tier.substr(0, group) + "/" : "";
    for (const std::string& d : depts) {
      fields[absl::StrCat(d, "|", bucket)] += 1;
      if (on_time) fields[absl::StrCat(d, "|closed_on_time")] += 1;
      if (!child.empty()) {
        fields[absl::StrCat(child, d, "|", bucket)] += 1;
        if (on_time) fields[absl::StrCat(child, d, "|closed_on_time")] += 1;
      }
      if (due) {
        c.sets[DueKey(scope, d)][h.hazard_id()] =
            static_cast<double>(Micros(FromTs(h.assignment().deadline())));
      }
    }
  }
  return c;
}

void StatisticsCounters::AddDelta(const v1::Hazard* before, const v1::Hazard* after,
                                  redis::CounterDelta* delta) const {
  delta->Add(before != nullptr ? ContributionOf(*before) : redis::CounterSnapshot(),
             after != nullptr ? ContributionOf(*after) : redis::CounterSnapshot());
}

StatisticsCounters::Snapshot StatisticsCounters::Recount(
    const std::vector<v1::Hazard>& hazards) const {
  Snapshot s;
  for (const auto& h : hazards) s.Merge(ContributionOf(h));
  s.DropZeros();
  return s;
}

absl::StatusOr<StatisticsCounters::Snapshot> StatisticsCounters::Read() {
  return redis::ReadCounters(*pool_, counters_prefix());
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

absl::StatusOr<std::optional<std::map<std::string, v1::StatisticsRow>>>
StatisticsCounters::DailyRows(absl::Time now) {
  FG_ASSIGN_OR_RETURN(bool built, redis::CountersBuilt(*pool_, counters_prefix()));
  if (!built) return std::nullopt;
  // The districts: the first hazard of each in the tier index, skipping to the next district.
  std::vector<std::string> tiers;
  std::string after = "-";
  while (true) {
    FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"ZRANGEBYLEX", prefix_ + ":idx:tier", after,
                                                        "+", "LIMIT", "0", "1"}));
    if (r.elements.empty()) break;
    const std::string& first = r.elements[0].str;
    if (first.size() < 6 || first.find('|') < 6) {
      after = "(" + first;  // a tier shorter than a district's: not in any district's rows
      continue;
    }
    tiers.push_back(first.substr(0, 6));
    after = "[" + tiers.back() + std::string(1, '\xff');  // past every member of it
  }
  // Level by level: a division's hash names its next level's divisions ("<child>/...").
  std::map<std::string, v1::StatisticsRow> rows;         // DailyRowKey → row
  std::vector<std::pair<std::string, std::string>> due;  // (tier, dept) of rows with open ones
  while (!tiers.empty()) {
    std::vector<std::vector<std::string>> reads;
    for (const auto& t : tiers) reads.push_back({"HGETALL", HashKey(t)});
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> hashes, pool_->Pipeline(reads));
    std::set<std::string> next;
    for (size_t i = 0; i < tiers.size(); ++i) {
      if (hashes[i].IsError()) return redis::ErrorReplyToStatus(hashes[i].str);
      const auto& kv = hashes[i].elements;
      std::map<std::string, v1::StatisticsRow> here;
      for (size_t j = 0; j + 1 < kv.size(); j += 2) {
        const std::string& field = kv[j].str;
        const size_t bar = field.rfind('|');
        if (bar == std::string::npos) continue;
        const std::string row = field.substr(0, bar);
        const size_t slash = row.find('/');
        if (slash != std::string::npos) {
          const std::string child = row.substr(0, slash);
          if (child != tiers[i]) next.insert(child);
          continue;
        }
        int64_t n = 0;
        if (!absl::SimpleAtoi(kv[j + 1].str, &n)) return absl::DataLossError("corrupt counter");
        SetBucket(&here[row], field.substr(bar + 1), n);
      }
      for (auto& [d, r] : here) {
        if (!Counted(r)) continue;
        if (r.open() > 0) due.emplace_back(tiers[i], d);
        rows[DailyRowKey(tiers[i], d)] = std::move(r);
      }
    }
    tiers.assign(next.begin(), next.end());
  }
  const std::string below_now = absl::StrCat("(", Micros(now));
  std::vector<std::vector<std::string>> counts;
  for (const auto& [t, d] : due) counts.push_back({"ZCOUNT", DueKey(t, d), "-inf", below_now});
  if (!counts.empty()) {
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> overdue, pool_->Pipeline(counts));
    for (size_t i = 0; i < overdue.size(); ++i) {
      if (overdue[i].IsError()) return redis::ErrorReplyToStatus(overdue[i].str);
      rows[DailyRowKey(due[i].first, due[i].second)].set_overdue(
          static_cast<int>(overdue[i].integer));
    }
  }
  std::map<std::string, v1::StatisticsRow> out;
  for (auto& [key, row] : rows) out[key] = FinishRow(std::move(row), key.substr(0, key.find('/')));
  return out;
}

absl::StatusOr<redis::CounterSnapshot> StatisticsCounters::RecountStore(HazardStore& store,
                                                                        int64_t* counted) const {
  redis::CounterSnapshot s;
  *counted = 0;
  std::string cursor;
  do {
    FG_ASSIGN_OR_RETURN(HazardStore::Page page, store.Scan("", "", cursor, kRecountChunk));
    for (const auto& h : page.hazards) {
      s.Merge(ContributionOf(h));
      ++*counted;
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return s;
}

absl::StatusOr<int> StatisticsCounters::Build(HazardStore& store) {
  int64_t counted = 0;
  FG_ASSIGN_OR_RETURN(bool built, redis::RebuildCounters(*pool_, counters_prefix(), [&]() {
                        return RecountStore(store, &counted);
                      }));
  return built ? static_cast<int>(counted) : -1;
}

absl::StatusOr<redis::CounterCheck> StatisticsCounters::Check(HazardStore& store) {
  redis::CounterCheck check;
  FG_ASSIGN_OR_RETURN(check.differences, redis::CheckCounters(*pool_, counters_prefix(), [&]() {
                        return RecountStore(store, &check.records);
                      }));
  return check;
}

}  // namespace firegrid::hazards
