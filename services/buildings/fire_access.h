#pragma once

#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "services/buildings/rules.h"

namespace firegrid::buildings {

// Assesses a building's fire lanes and rescue sites against the fire-access rules and lists every
// violation (geometry, marking, occupation, missing lane or site). The building's class must
// already be derived: the lane and site requirements of high-rise buildings depend on it.
firegrid::buildings::v1::FireAccessAssessment AssessFireAccess(
    const firegrid::buildings::v1::Building& building, const Rules& rules, absl::Time now);

}  // namespace firegrid::buildings
