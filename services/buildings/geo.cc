#include "services/buildings/geo.h"

#include <cmath>

namespace firegrid::buildings {

namespace {
constexpr double kEarthRadiusM = 6372797.560856;  // as Redis GEO
constexpr double kDeg = M_PI / 180.0;
}  // namespace

LatLon DestinationPoint(double lat, double lon, double bearing_deg, double distance_m) {
  const double d = distance_m / kEarthRadiusM;
  const double t = bearing_deg * kDeg;
  const double p1 = lat * kDeg;
  const double p2 =
      std::asin(std::sin(p1) * std::cos(d) + std::cos(p1) * std::sin(d) * std::cos(t));
  const double l2 = lon * kDeg + std::atan2(std::sin(t) * std::sin(d) * std::cos(p1),
                                            std::cos(d) - std::sin(p1) * std::sin(p2));
  return {p2 / kDeg, l2 / kDeg};
}

double DistanceMetres(double lat1, double lon1, double lat2, double lon2) {
  const double dlat = (lat2 - lat1) * kDeg;
  const double dlon = (lon2 - lon1) * kDeg;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kDeg) * std::cos(lat2 * kDeg) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(a));
}

}  // namespace firegrid::buildings
