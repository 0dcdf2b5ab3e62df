// Projects WGS-84 points into an SVG view box: equirectangular around the points' mean
// latitude (east-west distances shrink by cos(latitude)), north up, the points' bounding box
// fitted with a margin and its aspect ratio kept. Good enough for a district (tens of km).
export function makeProjection(points, width = 1000, margin = 20) {
  const valid = points.filter((p) => Number.isFinite(p.latitude) && Number.isFinite(p.longitude) &&
    !(p.latitude === 0 && p.longitude === 0));
  if (!valid.length) return null;
  let minLat = Infinity;
  let maxLat = -Infinity;
  let minLon = Infinity;
  let maxLon = -Infinity;
  for (const p of valid) {
    minLat = Math.min(minLat, p.latitude);
    maxLat = Math.max(maxLat, p.latitude);
    minLon = Math.min(minLon, p.longitude);
    maxLon = Math.max(maxLon, p.longitude);
  }
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  // At least ~100 m across, so that one building does not fill the map.
  const spanX = Math.max((maxLon - minLon) * k, 0.001);
  const spanY = Math.max(maxLat - minLat, 0.001);
  const inner = width - 2 * margin;
  const scale = inner / Math.max(spanX, spanY);
  const height = Math.round(Math.max(spanY * scale, inner * 0.4) + 2 * margin);
  const cx = (minLon + maxLon) / 2;
  const cy = (minLat + maxLat) / 2;
  return {
    width,
    height,
    project(lat, lon) {
      return {
        x: width / 2 + (lon - cx) * k * scale,
        y: height / 2 - (lat - cy) * scale,
      };
    },
  };
}
