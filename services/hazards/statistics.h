#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"

namespace firegrid::hazards {


// Hazard statistics (统计): counts by status for the scope, per next-level division and per
// department. Duplicates are not counted (they are the same hazard reported again). A hazard
// counts as open from verification to submission, as overdue when open past its deadline, and
// as closed on time when closed by its deadline.
class StatisticsTally {
 public:
  // `scope` is a 6, 9 or 12-digit division code; rows per division group by the next level
  // (street under a district, community under a street or a community); an unmatched public
  // report kept at a level above the rows' (a street's under a street, a district's under a
  // district) counts in the totals only. `department` non-empty
  // keeps only that department's row.
  StatisticsTally(std::string scope, std::string department, absl::Time now);

  void Add(const v1::Hazard& h);
  v1::Statistics Finish() const;

 private:
  std::string scope_;
  std::string department_;
  absl::Time now_;
  v1::StatisticsRow totals_;
  std::map<std::string, v1::StatisticsRow> by_tier_, by_department_;
};

// Counts one hazard into a row by its status: reported, rejected, closed (and closed on time),
// or open (and overdue when past its deadline at `now`).
void CountInto(v1::StatisticsRow* row, const v1::Hazard& h, absl::Time now);

// The row as served: its key and its rectification rate (unset when undefined).
v1::StatisticsRow FinishRow(v1::StatisticsRow row, const std::string& key);

// The rows a daily snapshot keeps, from one pass over every hazard: for each district, street
// and community a hazard lies in, its totals under DailyRowKey(tier, "") and, per department the
// hazard is routed to or supervised by, under DailyRowKey(tier, department) — what
// GetStatistics' totals would say for that scope and caller at `now`. Duplicates are not
// counted; an unmatched public report counts as reported in the street (or district) it is
// kept in.
class DailyTotals {
 public:
  explicit DailyTotals(absl::Time now) : now_(now) {}
  void Add(const v1::Hazard& h);
  // Keyed by DailyRowKey; each row finished (FinishRow) with its scope as key.
  std::map<std::string, v1::StatisticsRow> Finish() const;

 private:
  absl::Time now_;
  std::map<std::string, v1::StatisticsRow> rows_;
};

// "500109001" for a division's totals, "500109001/urban_management" for a department's there.
std::string DailyRowKey(const std::string& tier_path, const std::string& department);

// The statistics day of `t`: its date in Asia/Shanghai (UTC+8), e.g. "2026-12-05".
absl::CivilDay ShanghaiDay(absl::Time t);
std::string DayName(absl::CivilDay day);

// The share of hazards rectified: closed / (open + closed) in percent, one decimal; nothing when
// there are neither open nor closed hazards (undefined, not 100 %).
std::optional<double> RectificationRate(const v1::StatisticsRow& r);

}  // namespace firegrid::hazards
