import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call, uploadEvidence } from '../api.js';
import { currentClaims } from '../session.js';
import { HAZARD_CATEGORIES, SEVERITIES } from '../enums.js';
import { evidenceProblem, EVIDENCE_TYPES } from './hazard_detail.js';
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

function BuildingHazards({ id, version }) {
  const { data, error } = useAsync(() => call('hazards', 'ListHazards', {
    buildingId: id, pageSize: 100, tierPathPrefix: '' }), [id, version]);
  const list = (data && data.hazards) || [];
  return html`<${ErrorBox} error=${error} />
    <${Empty} when=${data && !list.length} />
    ${list.length ? html`<${HazardTable} hazards=${list} />` : null}`;
}

// Who may report a hazard on a building (services/hazards/lifecycle.cc CanReport; the service
// checks the jurisdiction and, for a building manager, that the building names them).
const REPORTERS = ['district_admin', 'street_officer', 'community_worker', 'department_officer', 'building_manager'];
const STAFF_SOURCES = ['SOURCE_GRID_INSPECTION', 'SOURCE_DEPARTMENT_INSPECTION', 'SOURCE_FIRE_INSPECTION'];

function newKey() {
  return globalThis.crypto && crypto.randomUUID ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// A hazard found on an inspection, with photos; the idempotency key makes a repeated submit
// (a double tap, a retry after a lost answer) one hazard.
function ReportHazard({ building, onReported }) {
  const claims = currentClaims();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ category: HAZARD_CATEGORIES[0], severity: 'SEVERITY_GENERAL',
    source: claims && claims.role === 'department_officer' ? 'SOURCE_DEPARTMENT_INSPECTION' : 'SOURCE_GRID_INSPECTION',
    description: '', files: [], key: newKey() });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  if (!claims || !REPORTERS.includes(claims.role)) return null;
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.type === 'file' ? [...e.target.files] : e.target.value });

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      for (const f of form.files) {
        const problem = evidenceProblem(f);
        if (problem) throw Object.assign(new Error(problem), { code: 'INVALID_ARGUMENT' });
      }
      const evidence = [];
      for (const f of form.files) evidence.push({ uri: (await uploadEvidence(f)).uri, description: f.name });
      const res = await call('hazards', 'ReportHazard', {
        buildingId: building.buildingId, category: form.category, severity: form.severity,
        source: form.source, description: form.description.trim(), evidence, idempotencyKey: form.key,
      });
      setResult(res);
      setOpen(false);
      onReported();
      setForm({ ...form, description: '', files: [], key: newKey() });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`<section>
    ${result ? html`<p class="ok" data-testid="report-result">${result.message || t('report.done')}
      ${result.hazard ? html` <a href=${`#/hazards/${encodeURIComponent(result.duplicateOf || result.hazard.hazardId)}`}>
        ${result.duplicateOf || result.hazard.hazardId}</a>` : null}</p>` : null}
    ${open ? html`<form class="card form" onSubmit=${submit} data-testid="report-form">
      <h2>${t('report.title')}</h2>
      <label>${t('hazards.col.category')}<select data-testid="report-category" value=${form.category} onChange=${set('category')}>
        ${HAZARD_CATEGORIES.map((c) => html`<option value=${c}>${enumLabel(c)}</option>`)}</select></label>
      <label>${t('hazard.severity')}<select data-testid="report-severity" value=${form.severity} onChange=${set('severity')}>
        ${SEVERITIES.map((c) => html`<option value=${c}>${enumLabel(c)}</option>`)}</select></label>
      <label>${t('hazard.source')}<select data-testid="report-source" value=${form.source} onChange=${set('source')}>
        ${STAFF_SOURCES.map((c) => html`<option value=${c}>${enumLabel(c)}</option>`)}</select></label>
      <label>${t('report.description')}<textarea data-testid="report-description" rows="3" required maxlength="2000"
        value=${form.description} onInput=${set('description')}></textarea></label>
      <label>${t('report.photos')}<input type="file" data-testid="report-evidence" multiple capture="environment"
        accept=${EVIDENCE_TYPES.join(',')} onChange=${set('files')} /></label>
      <div class="row">
        <button type="submit" class="primary" data-testid="report-submit" disabled=${busy}>${t('report.submit')}</button>
        <button type="button" onClick=${() => setOpen(false)}>${t('common.cancel')}</button>
      </div>
      <${ErrorBox} error=${error} testid="report-error" />
    </form>` : html`<p><button type="button" class="primary" data-testid="report-open"
        onClick=${() => { setOpen(true); setResult(null); }}>${t('report.open')}</button></p>`}
  </section>`;
}

export function BuildingPage({ id }) {
  const { data: b, error, loading } = useAsync(() => call('buildings', 'GetBuilding', { buildingId: id }), [id]);
  const [reports, setReports] = useState(0);
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
    <${ReportHazard} building=${b} onReported=${() => setReports(reports + 1)} />
    <${BuildingHazards} id=${b.buildingId} version=${reports} />
  </section>`;
}
