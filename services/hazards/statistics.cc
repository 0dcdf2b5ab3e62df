#include "services/hazards/statistics.h"

#include <algorithm>
#include <cmath>

#include "services/hazards/store.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {

StatisticsTally::StatisticsTally(std::string scope, std::string department, absl::Time now)
    : scope_(std::move(scope)), department_(std::move(department)), now_(now) {}

void CountInto(v1::StatisticsRow* r, const v1::Hazard& h, absl::Time now) {
  switch (h.status()) {
    case v1::STATUS_REPORTED:
      r->set_reported(r->reported() + 1);
      break;
    case v1::STATUS_REJECTED:
      r->set_rejected(r->rejected() + 1);
      break;
    case v1::STATUS_CLOSED:
      r->set_closed(r->closed() + 1);
      if (h.closed_on_time()) r->set_closed_on_time(r->closed_on_time() + 1);
      break;
    default:
      r->set_open(r->open() + 1);
      if (h.assignment().has_deadline() && FromTs(h.assignment().deadline()) < now) {
        r->set_overdue(r->overdue() + 1);
      }
  }
}

void StatisticsTally::Add(const v1::Hazard& h) {
  if (!h.duplicate_of().empty()) return;
  const size_t group_len = scope_.size() == 6 ? 9 : 12;
  CountInto(&totals_, h, now_);
  if (h.tier_path().size() >= group_len) {
    CountInto(&by_tier_[h.tier_path().substr(0, group_len)], h, now_);
  }
  for (const auto& d : DepartmentIndexes(h)) CountInto(&by_department_[d], h, now_);
}

void DailyTotals::Add(const v1::Hazard& h) {
  if (!h.duplicate_of().empty()) return;
  const std::vector<std::string> departments = DepartmentIndexes(h);
  for (size_t len : {6u, 9u, 12u}) {
    if (h.tier_path().size() < len) break;
    const std::string tier = h.tier_path().substr(0, len);
    CountInto(&rows_[DailyRowKey(tier, "")], h, now_);
    for (const auto& d : departments) CountInto(&rows_[DailyRowKey(tier, d)], h, now_);
  }
}

std::map<std::string, v1::StatisticsRow> DailyTotals::Finish() const {
  std::map<std::string, v1::StatisticsRow> out;
  for (const auto& [key, row] : rows_) out[key] = FinishRow(row, key.substr(0, key.find('/')));
  return out;
}

std::string DailyRowKey(const std::string& tier_path, const std::string& department) {
  return department.empty() ? tier_path : tier_path + "/" + department;
}

absl::CivilDay ShanghaiDay(absl::Time t) {
  return absl::ToCivilDay(t, absl::FixedTimeZone(8 * 3600));
}

std::string DayName(absl::CivilDay day) { return absl::FormatCivilTime(day); }

v1::StatisticsRow FinishRow(v1::StatisticsRow r, const std::string& key) {
  r.set_key(key);
  if (auto rate = RectificationRate(r)) {
    r.set_rectification_rate(*rate);
  } else {
    r.clear_rectification_rate();
  }
  return r;
}

std::optional<double> RectificationRate(const v1::StatisticsRow& r) {
  const int denom = r.open() + r.closed();
  if (denom == 0) return std::nullopt;
  return std::round(1000.0 * r.closed() / denom) / 10.0;
}

v1::Statistics StatisticsTally::Finish() const {
  const auto& finish = FinishRow;
  v1::Statistics out;
  out.set_tier_path(scope_);
  *out.mutable_totals() = finish(totals_, scope_);
  for (const auto& [k, r] : by_tier_) *out.add_by_tier() = finish(r, k);
  for (const auto& [k, r] : by_department_) {
    if (!department_.empty() && k != department_) continue;
    *out.add_by_department() = finish(r, k);
  }
  *out.mutable_generated_at() = Ts(now_);
  return out;
}

}  // namespace firegrid::hazards
