#include "services/buildings/classify.h"

namespace firegrid::buildings {

using firegrid::buildings::v1::Building;
using firegrid::buildings::v1::BuildingClass;

BuildingClass DeriveClass(const Building& b, const Rules& rules) {
  const auto& r = rules.building_class();
  const double h = b.height_m();
  if (h > r.super_high_rise_m()) return v1::BUILDING_CLASS_SUPER_HIGH_RISE;
  if (b.use() == v1::BUILDING_USE_RESIDENTIAL) {
    if (h > r.residential_class_i_m()) return v1::BUILDING_CLASS_I;
    if (h > r.residential_high_rise_m()) return v1::BUILDING_CLASS_II;
    return v1::BUILDING_CLASS_NOT_HIGH_RISE;
  }
  // A single-storey building is never high-rise, however tall (GB 50016 2.1.1).
  if (h <= r.public_high_rise_m() || b.floors_above_ground() <= 1) {
    return v1::BUILDING_CLASS_NOT_HIGH_RISE;
  }
  if (h > r.public_class_i_m() || b.large_mixed_use()) return v1::BUILDING_CLASS_I;
  for (int use : r.class_i_uses()) {
    if (use == b.use()) return v1::BUILDING_CLASS_I;
  }
  return v1::BUILDING_CLASS_II;
}

bool IsHighRise(BuildingClass c) {
  return c == v1::BUILDING_CLASS_II || c == v1::BUILDING_CLASS_I ||
         c == v1::BUILDING_CLASS_SUPER_HIGH_RISE;
}

}  // namespace firegrid::buildings
