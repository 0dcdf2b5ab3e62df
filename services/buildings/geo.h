#pragma once

namespace firegrid::buildings {

// Great-circle distance in metres between two WGS-84 points (haversine on a sphere of the radius
// Redis GEO uses, so the in-memory store and Redis agree).
double DistanceMetres(double lat1, double lon1, double lat2, double lon2);

}  // namespace firegrid::buildings
