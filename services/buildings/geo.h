#pragma once

namespace firegrid::buildings {

// Great-circle distance in metres between two WGS-84 points (haversine on a sphere of the radius
// Redis GEO uses, so the in-memory store and Redis agree).
double DistanceMetres(double lat1, double lon1, double lat2, double lon2);

struct LatLon {
  double latitude = 0;
  double longitude = 0;
};

// The point `distance_m` metres from (lat, lon) along the initial bearing `bearing_deg`
// (clockwise from north), on the same sphere as DistanceMetres.
LatLon DestinationPoint(double lat, double lon, double bearing_deg, double distance_m);

}  // namespace firegrid::buildings
