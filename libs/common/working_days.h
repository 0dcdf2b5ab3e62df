#pragma once

#include <set>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace firegrid {

// Working-day arithmetic for filing and rectification deadlines ("within 5 working days").
// Saturdays and Sundays are not working days, nor are the configured public holidays;
// `extra_working_days` are weekend days made working days (调休).
struct WorkCalendar {
  absl::TimeZone zone = absl::FixedTimeZone(8 * 3600);  // China Standard Time
  std::set<absl::CivilDay> holidays;
  std::set<absl::CivilDay> extra_working_days;

  bool IsWorkingDay(absl::CivilDay day) const;
  // The end (24:00 local) of the n-th working day after the day of `start`.
  absl::Time DeadlineAfterWorkingDays(absl::Time start, int n) const;
};

}  // namespace firegrid
