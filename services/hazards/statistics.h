#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"

namespace firegrid::hazards {

namespace v1 = ::firegrid::hazards::v1;

// Hazard statistics (统计): counts by status for the scope, per next-level division and per
// department. Duplicates are not counted (they are the same hazard reported again). A hazard
// counts as open from verification to submission, as overdue when open past its deadline, and
// as closed on time when closed by its deadline.
class StatisticsTally {
 public:
  // `scope` is a 6, 9 or 12-digit division code; rows per division group by the next level
  // (street under a district, community under a street or a community). `department` non-empty
  // keeps only that department's row.
  StatisticsTally(std::string scope, std::string department, absl::Time now);

  void Add(const v1::Hazard& h);
  v1::Statistics Finish() const;

 private:
  void Count(v1::StatisticsRow* r, const v1::Hazard& h) const;

  std::string scope_;
  std::string department_;
  absl::Time now_;
  v1::StatisticsRow totals_;
  std::map<std::string, v1::StatisticsRow> by_tier_, by_department_;
};

// The share of hazards rectified: closed / (open + closed) in percent, one decimal; nothing when
// there are neither open nor closed hazards (undefined, not 100 %).
std::optional<double> RectificationRate(const v1::StatisticsRow& r);

}  // namespace firegrid::hazards
