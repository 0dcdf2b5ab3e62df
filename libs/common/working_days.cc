#include "libs/common/working_days.h"

namespace firegrid {

bool WorkCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (extra_working_days.count(day) > 0) return true;
  if (holidays.count(day) > 0) return false;
  const absl::Weekday wd = absl::GetWeekday(day);
  return wd != absl::Weekday::saturday && wd != absl::Weekday::sunday;
}

absl::Time WorkCalendar::DeadlineAfterWorkingDays(absl::Time start, int n) const {
  absl::CivilDay day = absl::ToCivilDay(start, zone);
  int counted = 0;
  while (counted < n) {
    day += 1;
    if (IsWorkingDay(day)) ++counted;
  }
  return absl::FromCivil(day + 1, zone);
}

}  // namespace firegrid
