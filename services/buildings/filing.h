#pragma once

#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "libs/common/working_days.h"

namespace firegrid::buildings {

// Fills responsibility.filing_state and filing_due as of `now`:
// - MISSING: no chain recorded;
// - FILED: a filing whose filed_at is not before the last change;
// - PENDING / LATE: changed and not filed, before / after `period_working_days` working days.
void ComputeFilingState(firegrid::buildings::v1::Responsibility* responsibility, absl::Time now,
                        const WorkCalendar& calendar, int period_working_days);

}  // namespace firegrid::buildings
