import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { authConfig, call } from '../api.js';
import { makeProjection, makeTiledProjection } from '../geo.js';
import { navigate } from '../router.js';
import { Empty, ErrorBox, Loading, useAsync } from '../components/ui.js';

const OPEN = ['STATUS_REPORTED', 'STATUS_VERIFIED', 'STATUS_ASSIGNED', 'STATUS_RECTIFYING', 'STATUS_SUBMITTED'];

async function listAll(service, method, request, field, max = 2000) {
  const out = [];
  let pageToken = '';
  do {
    const res = await call(service, method, { ...request, pageToken });
    out.push(...(res[field] || []));
    pageToken = res.nextPageToken || '';
  } while (pageToken && out.length < max);
  return out;
}

// Buildings (dots, red with open hazards) and open hazards (rings; dashed for public reports
// not yet matched to a building, at the place they give), projected from latitude/longitude:
// no tile server needed (tiles from the configured template when there is one).
export function MapPage() {
  const { data, error, loading } = useAsync(async () => {
    const [buildings, hazards, config] = await Promise.all([
      listAll('buildings', 'ListBuildings', { pageSize: 500 }, 'buildings'),
      listAll('hazards', 'ListHazards', { pageSize: 500, statuses: OPEN }, 'hazards'),
      authConfig(),
    ]);
    return { buildings, hazards, tiles: typeof config.tiles === 'string' ? config.tiles : '' };
  }, []);
  if (!data) return html`<section class="page"><h1>${t('map.title')}</h1><${Loading} when=${loading} /><${ErrorBox} error=${error} /></section>`;
  const byId = new Map(data.buildings.map((b) => [b.buildingId, b]));
  const openBy = new Map();
  for (const h of data.hazards) if (h.buildingId) openBy.set(h.buildingId, (openBy.get(h.buildingId) || 0) + 1);
  const place = (h) => {
    const b = byId.get(h.buildingId);
    if (b && b.location) return b.location;
    return h.location || null;
  };
  const points = [
    ...data.buildings.map((b) => b.location || {}),
    ...data.hazards.map((h) => place(h) || {}),
  ].map((p) => ({ latitude: Number(p.latitude), longitude: Number(p.longitude) }));
  // Map tiles only when a tile server is configured (the gateway then allows its origin in the
  // Content-Security-Policy); otherwise the plain projection, with no request anywhere.
  const proj = data.tiles ? makeTiledProjection(points, data.tiles) : makeProjection(points);
  if (!proj) return html`<section class="page"><h1>${t('map.title')}</h1><${Empty} when=${true} text=${t('map.noPlaces')} /></section>`;
  const r = proj.width / 90;
  return html`<section class="page map-page">
    <div class="page-head"><h1>${t('map.title')}</h1>
      <span class="muted small">${t('map.summary', { buildings: data.buildings.length, hazards: data.hazards.length })}</span></div>
    <svg class="map" data-testid="map-svg" viewBox=${`0 0 ${proj.width} ${proj.height}`} role="img" aria-label=${t('map.title')}>
      ${(proj.tiles || []).map((tile) => html`<image href=${tile.href} x=${tile.x} y=${tile.y}
        width=${tile.size} height=${tile.size} />`)}
      ${data.buildings.map((b) => {
        if (!b.location) return null;
        const { x, y } = proj.project(Number(b.location.latitude), Number(b.location.longitude));
        if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
        const n = openBy.get(b.buildingId) || 0;
        return html`<circle data-testid="map-building" data-building-id=${b.buildingId} class=${`building${n ? ' with-hazards' : ''}`}
          cx=${x} cy=${y} r=${r} onClick=${() => navigate(['buildings', b.buildingId])}>
          <title>${b.name}${n ? ` · ${t('map.openHazards', { n })}` : ''}</title></circle>`;
      })}
      ${data.hazards.map((h, i) => {
        const p = place(h);
        if (!p) return null;
        const { x, y } = proj.project(Number(p.latitude), Number(p.longitude));
        if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
        const k = i % 8;
        return html`<circle data-testid="map-hazard" data-hazard-id=${h.hazardId} data-status=${h.status}
          class=${`hazard${h.unmatched ? ' unmatched' : ''}`} cx=${x + (k % 3) - 1} cy=${y + (k % 2)} r=${r * 1.8}
          onClick=${() => navigate(['hazards', h.hazardId])}>
          <title>${enumLabel(h.category)} · ${enumLabel(h.status)}</title></circle>`;
      })}
    </svg>
    <p class="legend"><span><span class="swatch alt"></span>${t('map.legend.building')}</span>
      <span><span class="swatch"></span>${t('map.legend.withHazards')}</span>
      <span>◯ ${t('map.legend.hazard')}</span></p>
  </section>`;
}
