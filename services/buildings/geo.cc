#include "services/buildings/geo.h"

#include <cmath>

namespace firegrid::buildings {

double DistanceMetres(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthRadiusM = 6372797.560856;  // as Redis GEO
  constexpr double kDeg = M_PI / 180.0;
  const double dlat = (lat2 - lat1) * kDeg;
  const double dlon = (lon2 - lon1) * kDeg;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kDeg) * std::cos(lat2 * kDeg) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(a));
}

}  // namespace firegrid::buildings
