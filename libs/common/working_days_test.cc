#include "libs/common/working_days.h"

#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(WorkCalendar, SkipsWeekends) {
  WorkCalendar cal;
  // Friday 2026-11-27 10:00 CST + 5 working days = end of Friday 2026-12-04.
  absl::Time start = absl::FromCivil(absl::CivilSecond(2026, 11, 27, 10, 0, 0), cal.zone);
  absl::Time deadline = cal.DeadlineAfterWorkingDays(start, 5);
  EXPECT_EQ(deadline, absl::FromCivil(absl::CivilDay(2026, 12, 5), cal.zone));
}

TEST(WorkCalendar, HolidaysAndSwappedWorkdays) {
  WorkCalendar cal;
  cal.holidays.insert(absl::CivilDay(2026, 11, 30));            // Monday off
  cal.extra_working_days.insert(absl::CivilDay(2026, 11, 28));  // Saturday worked
  EXPECT_FALSE(cal.IsWorkingDay(absl::CivilDay(2026, 11, 30)));
  EXPECT_TRUE(cal.IsWorkingDay(absl::CivilDay(2026, 11, 28)));
  absl::Time start = absl::FromCivil(absl::CivilDay(2026, 11, 27), cal.zone);
  // Sat 28 (worked), Tue 1, Wed 2.
  EXPECT_EQ(cal.DeadlineAfterWorkingDays(start, 3),
            absl::FromCivil(absl::CivilDay(2026, 12, 3), cal.zone));
}

}  // namespace
}  // namespace firegrid
