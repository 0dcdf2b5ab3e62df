import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call } from '../api.js';
import { DEPARTMENT_SLUGS, departmentName, formatDate, formatTime } from '../format.js';
import { HAZARD_CATEGORIES, HAZARD_STATUSES } from '../enums.js';
import { navigate } from '../router.js';
import { listRequest } from '../requests.js';
import { Cell, Empty, ErrorBox, Loading, useAsync } from '../components/ui.js';

export function StatusTag({ status, overdue }) {
  return html`<span class=${`tag status-${status}`}>${enumLabel(status)}</span>
    ${overdue ? html` <span class="tag overdue">${t('hazards.overdue')}</span>` : null}`;
}

export function HazardTable({ hazards }) {
  const open = (id) => navigate(['hazards', id]);
  return html`<div class="table-wrap"><table class="data">
    <thead><tr>
      <th>${t('hazards.col.hazard')}</th><th>${t('hazards.col.building')}</th>
      <th>${t('hazards.col.category')}</th><th>${t('hazards.col.status')}</th>
      <th>${t('hazards.col.deadline')}</th><th>${t('hazards.col.reported')}</th>
    </tr></thead>
    <tbody>${hazards.map((h) => html`<tr key=${h.hazardId} class="clickable"
        data-testid="hazard-row" data-hazard-id=${h.hazardId} data-status=${h.status}
        onClick=${() => open(h.hazardId)}>
      <${Cell} label=${t('hazards.col.hazard')}>
        <a href=${`#/hazards/${encodeURIComponent(h.hazardId)}`}>${h.description || h.hazardId}</a>
        ${h.severity === 'SEVERITY_MAJOR' ? html` <span class="tag overdue">${enumLabel(h.severity)}</span>` : null}
      <//>
      <${Cell} label=${t('hazards.col.building')}>${h.buildingName || (h.unmatched ? t('hazards.unmatched') : '—')}<//>
      <${Cell} label=${t('hazards.col.category')}>${enumLabel(h.category)}<//>
      <${Cell} label=${t('hazards.col.status')}><${StatusTag} status=${h.status} overdue=${h.overdue} /><//>
      <${Cell} label=${t('hazards.col.deadline')}>${formatDate(h.assignment && h.assignment.deadline)}<//>
      <${Cell} label=${t('hazards.col.reported')}>${formatTime(h.reportedAt)}<//>
    </tr>`)}</tbody>
  </table></div>`;
}

export function HazardsPage({ query }) {
  const [more, setMore] = useState({ key: '', hazards: [], next: '' });
  const key = JSON.stringify(query);
  const { data, error, loading } = useAsync(
    () => call('hazards', 'ListHazards', listRequest(query)), [key]);
  const [moreError, setMoreError] = useState(null);
  const extra = more.key === key ? more : { hazards: [], next: '' };
  const hazards = data ? [...(data.hazards || []), ...extra.hazards] : [];
  const next = extra.next || (data && !extra.hazards.length ? data.nextPageToken : '');

  function setFilter(name, value) {
    const q = { ...query, [name]: value };
    if (!value) delete q[name];
    navigate(['hazards'], q);
  }
  async function loadMore() {
    try {
      const res = await call('hazards', 'ListHazards', listRequest(query, next));
      setMore({ key, hazards: [...extra.hazards, ...(res.hazards || [])], next: res.nextPageToken || '' });
    } catch (e) {
      setMoreError(e);
    }
  }

  return html`<section class="page hazards">
    <div class="page-head"><h1>${t('hazards.title')}</h1></div>
    <div class="filters">
      <label>${t('hazards.filter.status')}
        <select data-testid="hazards-filter-status" value=${query.status || ''}
            onChange=${(e) => setFilter('status', e.target.value)}>
          <option value="">${t('common.all')}</option>
          ${HAZARD_STATUSES.map((s) => html`<option value=${s}>${enumLabel(s)}</option>`)}
        </select></label>
      <label>${t('hazards.filter.category')}
        <select data-testid="hazards-filter-category" value=${query.category || ''}
            onChange=${(e) => setFilter('category', e.target.value)}>
          <option value="">${t('common.all')}</option>
          ${HAZARD_CATEGORIES.map((c) => html`<option value=${c}>${enumLabel(c)}</option>`)}
        </select></label>
      <label>${t('hazards.filter.department')}
        <select data-testid="hazards-filter-department" value=${query.department || ''}
            onChange=${(e) => setFilter('department', e.target.value)}>
          <option value="">${t('common.all')}</option>
          ${DEPARTMENT_SLUGS.map((d) => html`<option value=${d}>${departmentName(d)}</option>`)}
        </select></label>
      <label>${t('hazards.filter.tier')}
        <input data-testid="hazards-filter-tier" inputmode="numeric" size="12"
          value=${query.tier || ''} placeholder=${t('hazards.filter.tierPlaceholder')}
          onChange=${(e) => setFilter('tier', e.target.value.trim())} /></label>
      <label class="inline">
        <input type="checkbox" data-testid="hazards-filter-overdue" checked=${query.overdue === 'true'}
          onChange=${(e) => setFilter('overdue', e.target.checked ? 'true' : '')} />
        ${t('hazards.filter.overdue')}</label>
      <label class="inline">
        <input type="checkbox" data-testid="hazards-filter-unmatched" checked=${query.unmatched === 'true'}
          onChange=${(e) => setFilter('unmatched', e.target.checked ? 'true' : '')} />
        ${t('hazards.filter.unmatched')}</label>
    </div>
    <${ErrorBox} error=${error || moreError} />
    <${Loading} when=${loading && !data} />
    <${Empty} when=${data && !hazards.length} />
    ${hazards.length ? html`<${HazardTable} hazards=${hazards} />` : null}
    ${next ? html`<p><button type="button" onClick=${loadMore}>${t('common.more')}</button></p>` : null}
  </section>`;
}
