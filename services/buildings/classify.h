#pragma once

#include "firegrid/buildings/v1/buildings.pb.h"
#include "services/buildings/rules.h"

namespace firegrid::buildings {

// GB 50016 table 5.1.1 with the configured thresholds:
// - super high-rise: height above super_high_rise_m, whatever the use;
// - residential: high-rise above residential_high_rise_m, class I above residential_class_i_m;
// - other uses: high-rise above public_high_rise_m when more than one storey above ground;
//   class I above public_class_i_m, or when the use is one of class_i_uses, or large_mixed_use.
firegrid::buildings::v1::BuildingClass DeriveClass(const firegrid::buildings::v1::Building& b,
                                                   const Rules& rules);

bool IsHighRise(firegrid::buildings::v1::BuildingClass c);

}  // namespace firegrid::buildings
