import test from 'node:test';
import assert from 'node:assert/strict';
import { makeProjection } from '../src/geo.js';

test('north is up, east is right, and every point lies inside the view box', () => {
  const pts = [
    { latitude: 29.80, longitude: 106.40 },
    { latitude: 29.85, longitude: 106.45 },
    { latitude: 29.82, longitude: 106.43 },
  ];
  const p = makeProjection(pts, 1000, 20);
  const a = p.project(29.80, 106.40);
  const b = p.project(29.85, 106.45);
  assert.ok(b.y < a.y, 'the northern point is higher');
  assert.ok(b.x > a.x, 'the eastern point is further right');
  for (const q of pts) {
    const { x, y } = p.project(q.latitude, q.longitude);
    assert.ok(x >= 19.99 && x <= 980.01 && y >= 19.99 && y <= p.height - 19.99, `${x},${y}`);
  }
});

test('east-west distances shrink with the cosine of the latitude', () => {
  // 0.05° of longitude at 60° N is as wide as 0.025° of latitude.
  const p = makeProjection([{ latitude: 60, longitude: 10 }, { latitude: 60.025, longitude: 10.05 }]);
  const a = p.project(60, 10);
  const b = p.project(60.025, 10.05);
  assert.ok(Math.abs(Math.abs(b.x - a.x) - Math.abs(b.y - a.y)) < 1, `${b.x - a.x} vs ${a.y - b.y}`);
});

test('points without a place (absent or 0,0) are left out; none at all gives no projection', () => {
  assert.equal(makeProjection([{ latitude: 0, longitude: 0 }, {}]), null);
  const p = makeProjection([{ latitude: 0, longitude: 0 }, { latitude: 29.8, longitude: 106.4 }]);
  const c = p.project(29.8, 106.4);
  assert.ok(Math.abs(c.x - 500) < 1e-9 && Math.abs(c.y - p.height / 2) < 1e-9);
});

test('with a tile server the view is Web Mercator at the zoom that fits, with the covering tiles', async () => {
  const { makeTiledProjection } = await import('../src/geo.js');
  const pts = [{ latitude: 29.80, longitude: 106.40 }, { latitude: 29.85, longitude: 106.45 }];
  const p = makeTiledProjection(pts, 'https://tiles.example.org/{z}/{x}/{y}.png', 1000, 20);
  // At zoom 14 the 0.05° span is ~583 px wide and ~671 px high (fits 960); at 15 twice that.
  assert.equal(p.zoom, 14);
  for (const q of pts) {
    const { x, y } = p.project(q.latitude, q.longitude);
    assert.ok(x >= 0 && x <= 1000 && y >= 0 && y <= p.height, `${x},${y}`);
  }
  // The tile under a point is the one a slippy-map tile server names for it.
  const lat = 29.80;
  const lon = 106.40;
  const n = 2 ** 14;
  const tx = Math.floor(((lon + 180) / 360) * n);
  const ty = Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
  const { x, y } = p.project(lat, lon);
  const under = p.tiles.find((t) => x >= t.x && x < t.x + t.size && y >= t.y && y < t.y + t.size);
  assert.equal(under.href, `https://tiles.example.org/14/${tx}/${ty}.png`);
  assert.ok(p.tiles.length <= 64);
});

test('great-circle distance: a degree of latitude is about 111 km, nothing is 0', async () => {
  const { distanceM } = await import('../src/geo.js');
  const d = distanceM({ latitude: 29, longitude: 106 }, { latitude: 30, longitude: 106 });
  assert.ok(Math.abs(d - 111195) < 50, `${d}`);
  assert.equal(distanceM({ latitude: 29.8, longitude: 106.4 }, { latitude: 29.8, longitude: 106.4 }), 0);
});
