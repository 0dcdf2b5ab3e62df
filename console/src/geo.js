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

// Great-circle distance in metres.
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(h));
}

const TILE = 256;

// Web Mercator world pixels at zoom z (the tile servers' projection).
function mercator(lat, lon, z) {
  const n = TILE * 2 ** z;
  const phi = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180;
  return {
    x: ((lon + 180) / 360) * n,
    y: ((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n,
  };
}

// A Web Mercator projection at the largest zoom (up to 18) at which the points fit `width`
// pixels, with the map tiles that cover the view: [{href, x, y, size}] from a URL template
// with {z}, {x}, {y} (for a tile server configured in /api/v1/auth/config; at most 64 tiles).
export function makeTiledProjection(points, template, width = 1000, margin = 20) {
  const valid = points.filter((p) => Number.isFinite(p.latitude) && Number.isFinite(p.longitude) &&
    !(p.latitude === 0 && p.longitude === 0));
  if (!valid.length) return null;
  let z = 18;
  let box;
  for (; z >= 0; z--) {
    const px = valid.map((p) => mercator(p.latitude, p.longitude, z));
    box = {
      minX: Math.min(...px.map((p) => p.x)), maxX: Math.max(...px.map((p) => p.x)),
      minY: Math.min(...px.map((p) => p.y)), maxY: Math.max(...px.map((p) => p.y)),
    };
    if (box.maxX - box.minX <= width - 2 * margin && box.maxY - box.minY <= width - 2 * margin) break;
  }
  z = Math.max(z, 0);
  const height = Math.round(Math.max(box.maxY - box.minY + 2 * margin, (width - 2 * margin) * 0.4 + 2 * margin));
  const ox = (box.minX + box.maxX) / 2 - width / 2;
  const oy = (box.minY + box.maxY) / 2 - height / 2;
  const tiles = [];
  const count = 2 ** z;
  for (let ty = Math.floor(oy / TILE); ty * TILE < oy + height && tiles.length < 64; ty++) {
    for (let tx = Math.floor(ox / TILE); tx * TILE < ox + width && tiles.length < 64; tx++) {
      if (ty < 0 || ty >= count) continue;
      const wx = ((tx % count) + count) % count;
      tiles.push({
        href: template.replace('{z}', String(z)).replace('{x}', String(wx)).replace('{y}', String(ty)),
        x: tx * TILE - ox, y: ty * TILE - oy, size: TILE,
      });
    }
  }
  return {
    width,
    height,
    zoom: z,
    tiles,
    project(lat, lon) {
      const p = mercator(lat, lon, z);
      return { x: p.x - ox, y: p.y - oy };
    },
  };
}
