#include "services/buildings/filing.h"

#include "google/protobuf/util/time_util.h"

namespace firegrid::buildings {

using google::protobuf::util::TimeUtil;

namespace {
absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(ts));
}

// Working days from the end of the filing period (`due`, 24:00 of its last day) until `t`,
// counting the day of `t`; at least 1 for any `t` at or after `due`.
int WorkingDaysAfter(absl::Time due, absl::Time t, const WorkCalendar& calendar) {
  int n = 0;
  const absl::CivilDay last = absl::ToCivilDay(t, calendar.zone);
  for (absl::CivilDay d = absl::ToCivilDay(due, calendar.zone); d <= last; ++d) {
    if (calendar.IsWorkingDay(d)) ++n;
  }
  return n < 1 ? 1 : n;
}
}  // namespace

void ComputeFilingState(v1::Responsibility* r, absl::Time now, const WorkCalendar& calendar,
                        int period_working_days) {
  r->clear_filing_due();
  r->clear_working_days_late();
  if (!r->has_chain() || !r->has_changed_at()) {
    r->set_filing_state(v1::FILING_STATE_MISSING);
    return;
  }
  const absl::Time changed = ToTime(r->changed_at());
  if (r->has_filing() && r->filing().has_filed_at() && !r->filing().document_number().empty()) {
    // A filing dated (by day) on or after the change covers it.
    const absl::CivilDay filed_day =
        absl::ToCivilDay(ToTime(r->filing().filed_at()), calendar.zone);
    const absl::CivilDay changed_day = absl::ToCivilDay(changed, calendar.zone);
    if (filed_day >= changed_day) {
      const absl::Time due = calendar.DeadlineAfterWorkingDays(changed, period_working_days);
      *r->mutable_filing_due() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(due));
      const absl::Time filed = ToTime(r->filing().filed_at());
      if (filed < due) {
        r->set_filing_state(v1::FILING_STATE_FILED);
      } else {
        r->set_filing_state(v1::FILING_STATE_FILED_LATE);
        r->set_working_days_late(WorkingDaysAfter(due, filed, calendar));
      }
      return;
    }
  }
  const absl::Time due = calendar.DeadlineAfterWorkingDays(changed, period_working_days);
  *r->mutable_filing_due() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(due));
  if (now < due) {
    r->set_filing_state(v1::FILING_STATE_PENDING);
  } else {
    r->set_filing_state(v1::FILING_STATE_LATE);
    r->set_working_days_late(WorkingDaysAfter(due, now, calendar));
  }
}

}  // namespace firegrid::buildings
