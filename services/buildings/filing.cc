#include "services/buildings/filing.h"

#include "google/protobuf/util/time_util.h"

namespace firegrid::buildings {

using google::protobuf::util::TimeUtil;

namespace {
absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(ts));
}
}  // namespace

void ComputeFilingState(v1::Responsibility* r, absl::Time now, const WorkCalendar& calendar,
                        int period_working_days) {
  r->clear_filing_due();
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
      r->set_filing_state(v1::FILING_STATE_FILED);
      return;
    }
  }
  const absl::Time due = calendar.DeadlineAfterWorkingDays(changed, period_working_days);
  *r->mutable_filing_due() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(due));
  r->set_filing_state(now < due ? v1::FILING_STATE_PENDING : v1::FILING_STATE_LATE);
}

}  // namespace firegrid::buildings
