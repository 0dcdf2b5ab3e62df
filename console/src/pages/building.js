import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call } from '../api.js';
import { formatDate, formatNumber, num } from '../format.js';
import { Cell, Empty, ErrorBox, Loading, useAsync } from '../components/ui.js';
import { HazardTable } from './hazards.js';

function marked(m) {
  m = m || {};
  return m.linesPainted && m.nameMarked && m.signInstalled;
}

function Lanes({ building }) {
  const lanes = building.fireLanes || [];
  const sites = building.rescueSites || [];
  if (!lanes.length && !sites.length) return html`<p class="muted">${t('building.noLanes')}</p>`;
  return html`<div class="table-wrap"><table class="data">
    <thead><tr><th>${t('building.lane')}</th><th class="num">${t('building.width')}</th>
      <th>${t('building.marked')}</th><th>${t('building.occupied')}</th></tr></thead>
    <tbody>
      ${lanes.map((l) => html`<tr data-testid="building-lane">
        <${Cell} label=${t('building.lane')}>${l.name || l.laneId}<//>
        <${Cell} label=${t('building.width')} cls="num">${formatNumber(l.clearWidthM, ' m')}<//>
        <${Cell} label=${t('building.marked')}>${marked(l.marking) ? t('common.yes') : t('common.no')}<//>
        <${Cell} label=${t('building.occupied')}>${l.occupied ? t('common.yes') : t('common.no')}<//>
      </tr>`)}
      ${sites.map((s) => html`<tr data-testid="building-rescue-site">
        <${Cell} label=${t('building.lane')}>${t('building.rescueSite')}: ${s.name || s.siteId}<//>
        <${Cell} label=${t('building.width')} cls="num">${formatNumber(s.widthM, ' m')}<//>
        <${Cell} label=${t('building.marked')}>${marked(s.marking) ? t('common.yes') : t('common.no')}<//>
        <${Cell} label=${t('building.occupied')}>${s.occupied ? t('common.yes') : t('common.no')}<//>
      </tr>`)}
    </tbody></table></div>`;
}

function Hydrants({ id }) {
  const { data, error } = useAsync(() => call('buildings', 'FindNearby', {
    buildingId: id, kind: 'NEARBY_KIND_HYDRANT', radiusM: 500, limit: 10 }), [id]);
  const results = (data && data.results) || [];
  return html`<${ErrorBox} error=${error} />
    <${Empty} when=${data && !results.length} text=${t('building.noHydrants')} />
    ${results.length ? html`<ul class="list">${results.map((r) => html`<li class="card small" data-testid="building-hydrant">
      ${r.hydrant && r.hydrant.hydrantId} · ${enumLabel(r.hydrant && r.hydrant.status)} ·
      ${formatNumber(Math.round(num(r.distanceM) || 0), ' m')}</li>`)}</ul>` : null}`;
}

function BuildingHazards({ id }) {
  const { data, error } = useAsync(() => call('hazards', 'ListHazards', {
    buildingId: id, pageSize: 100, tierPathPrefix: '' }), [id]);
  const list = (data && data.hazards) || [];
  return html`<${ErrorBox} error=${error} />
    <${Empty} when=${data && !list.length} />
    ${list.length ? html`<${HazardTable} hazards=${list} />` : null}`;
}

export function BuildingPage({ id }) {
  const { data: b, error, loading } = useAsync(() => call('buildings', 'GetBuilding', { buildingId: id }), [id]);
  if (!b) return html`<section class="page"><${Loading} when=${loading} /><${ErrorBox} error=${error} /></section>`;
  const r = b.responsibility || {};
  const chain = r.chain || {};
  const person = (p) => (p && p.name ? p.name : '—');
  return html`<section class="page building" data-testid="building-detail" data-building-id=${b.buildingId}>
    <p class="small"><a href=${`#/ledger?tier=${encodeURIComponent(b.tierPath || '')}`}>← ${t('ledger.title')}</a></p>
    <div class="page-head"><h1>${b.name}</h1><span class="tag">${enumLabel(b.buildingClass)}</span></div>
    <dl class="card detail-grid">
      <div><dt>${t('building.address')}</dt><dd>${b.address}</dd></div>
      <div><dt>${t('building.use')}</dt><dd>${enumLabel(b.use)}</dd></div>
      <div><dt>${t('building.height')}</dt><dd>${formatNumber(b.heightM, ' m')}</dd></div>
      <div><dt>${t('building.tier')}</dt><dd class="mono">${b.tierPath}</dd></div>
      <div><dt>${t('building.filing')}</dt><dd>${enumLabel(r.filingState || 'FILING_STATE_MISSING')}
        ${r.filingDue ? html` <span class="muted small">(${formatDate(r.filingDue)})</span>` : null}</dd></div>
      <div><dt>${t('building.managementUnit')}</dt><dd>${chain.managementUnit || '—'}</dd></div>
      <div><dt>${t('building.responsiblePerson')}</dt><dd>${person(chain.responsiblePerson)}</dd></div>
      <div><dt>${t('building.manager')}</dt><dd>${person(chain.manager)}</dd></div>
      <div><dt>${t('building.propertyCompany')}</dt><dd>${chain.propertyCompany || '—'}</dd></div>
      <div><dt>${t('building.fireAccess')}</dt><dd>${b.fireAccessCompliant ? t('common.yes') : t('common.no')}</dd></div>
      <div><dt>${t('building.flags')}</dt><dd>${[b.threeNos && t('ledger.kpi.threeNos'),
        b.oldResidential && t('ledger.kpi.oldResidential')].filter(Boolean).join('、') || '—'}</dd></div>
    </dl>
    <h2>${t('building.lanes')}</h2>
    <${Lanes} building=${b} />
    <h2>${t('building.facilities')}</h2>
    ${(b.facilities || []).length ? html`<ul class="list">${b.facilities.map((f) => html`<li class="card small">
      ${enumLabel(f.kind)}: ${enumLabel(f.status)}${f.note ? ` · ${f.note}` : ''}</li>`)}</ul>`
      : html`<p class="muted">${t('common.empty')}</p>`}
    <h2>${t('building.hydrants')}</h2>
    <${Hydrants} id=${b.buildingId} />
    <h2>${t('building.hazards')}</h2>
    <${BuildingHazards} id=${b.buildingId} />
  </section>`;
}
