#pragma once

#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "libs/common/working_days.h"

namespace firegrid::buildings {

// Fills responsibility.filing_state and filing_due as of `now`:
// - MISSING: no chain recorded;
// - FILED / FILED_LATE: a filing whose filed_at is not before the last change (by day), made
//   before / after the end of the filing period (`period_working_days` working days);
// - PENDING / LATE: changed and not filed, before / after the end of the filing period.
// working_days_late counts the working days after the period's end (FILED_LATE: until the
// filing; LATE: until `now`, the injected clock's time).
void ComputeFilingState(firegrid::buildings::v1::Responsibility* responsibility, absl::Time now,
                        const WorkCalendar& calendar, int period_working_days);

}  // namespace firegrid::buildings
