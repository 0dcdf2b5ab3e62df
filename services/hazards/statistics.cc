#include "services/hazards/statistics.h"

#include <algorithm>
#include <cmath>

#include "services/hazards/store.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {

StatisticsTally::StatisticsTally(std::string scope, std::string department, absl::Time now)
    : scope_(std::move(scope)), department_(std::move(department)), now_(now) {}

void StatisticsTally::Count(v1::StatisticsRow* r, const v1::Hazard& h) const {
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
      if (h.assignment().has_deadline() && FromTs(h.assignment().deadline()) < now_) {
        r->set_overdue(r->overdue() + 1);
      }
  }
}

void StatisticsTally::Add(const v1::Hazard& h) {
  if (!h.duplicate_of().empty()) return;
  const size_t group_len = scope_.size() == 6 ? 9 : 12;
  Count(&totals_, h);
  Count(&by_tier_[h.tier_path().substr(0, std::min(group_len, h.tier_path().size()))], h);
  for (const auto& d : DepartmentIndexes(h)) Count(&by_department_[d], h);
}

std::optional<double> RectificationRate(const v1::StatisticsRow& r) {
  const int denom = r.open() + r.closed();
  if (denom == 0) return std::nullopt;
  return std::round(1000.0 * r.closed() / denom) / 10.0;
}

v1::Statistics StatisticsTally::Finish() const {
  auto finish = [](v1::StatisticsRow r, const std::string& key) {
    r.set_key(key);
    if (auto rate = RectificationRate(r)) {
      r.set_rectification_rate(*rate);
    } else {
      r.clear_rectification_rate();
    }
    return r;
  };
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
