import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { authorizedFetch, call, uploadEvidence } from '../api.js';
import { departmentName, endOfDayCst, formatDate, formatTime } from '../format.js';
import { currentClaims } from '../session.js';
import { allowedHazardActions } from '../hazard_actions.js';
import { ErrorBox, Loading, useAsync } from '../components/ui.js';
import { StatusTag } from './hazards.js';
import { AUDIT_ACTIONS } from '../fields.js';
import { distanceM } from '../geo.js';

// What the gateway's evidence store takes by default (GatewayConfig.evidence): checked here
// first so that a wrong file is named before anything is sent; the gateway checks again (and
// sniffs the content).
export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'];
export const EVIDENCE_MAX_BYTES = 10 * 1024 * 1024;

export function evidenceProblem(file) {
  if (!EVIDENCE_TYPES.includes(file.type)) return t('hazard.submit.badType', { name: file.name });
  if (file.size > EVIDENCE_MAX_BYTES) return t('hazard.submit.tooLarge', { name: file.name, mb: 10 });
  if (file.size === 0) return t('hazard.submit.empty', { name: file.name });
  return '';
}

const METHOD = {
  match: 'MatchPublicReport',
  verify: 'VerifyHazard',
  reject: 'RejectHazard',
  assign: 'AssignHazard',
  start: 'StartRectification',
  submit: 'SubmitRectification',
  review: 'ReviewRectification',
};

// Builds the request of `action` from the dialog's fields (the hazard's version guards against
// acting on a stale view: ABORTED).
async function requestFor(action, hazard, form) {
  const base = { hazardId: hazard.hazardId, expectedVersion: hazard.version || '0' };
  switch (action) {
    case 'verify':
    case 'start':
      return { ...base, note: form.note };
    case 'match':
      return { ...base, buildingId: form.buildingId, note: form.note };
    case 'reject':
      return { ...base, reason: form.note };
    case 'assign': {
      const req = { ...base, note: form.note, responsibleParty: form.party };
      if (form.deadline) req.deadline = endOfDayCst(form.deadline);
      return req;
    }
    case 'submit': {
      const evidence = [];
      for (const file of form.files || []) {
        const problem = evidenceProblem(file);
        if (problem) throw Object.assign(new Error(problem), { code: 'INVALID_ARGUMENT' });
      }
      for (const file of form.files || []) {
        const up = await uploadEvidence(file);
        evidence.push({ uri: up.uri, description: file.name });
      }
      return { ...base, note: form.note, evidence };
    }
    case 'review':
      return { ...base, passed: form.passed, note: form.note };
    default:
      throw new Error(`unknown action ${action}`);
  }
}

// The registered buildings of the report's street, nearest to the place it gives first.
function BuildingChoice({ hazard, value, onChange }) {
  const { data, error } = useAsync(async () => {
    const res = await call('buildings', 'ListBuildings', { tierPathPrefix: hazard.tierPath || '', pageSize: 500 });
    const at = hazard.location;
    const list = (res.buildings || []).map((b) => ({ ...b,
      distance: at && b.location ? distanceM(at, b.location) : Infinity }));
    return list.sort((x, y) => x.distance - y.distance);
  }, [hazard.hazardId]);
  return html`<label>${t('hazard.match.building')}
    <select data-testid="match-building" value=${value} onChange=${(e) => onChange(e.target.value)}>
      <option value="">—</option>
      ${(data || []).map((b) => html`<option value=${b.buildingId}>${b.name} · ${b.address}${
        Number.isFinite(b.distance) ? ` · ${Math.round(b.distance)} m` : ''}</option>`)}
    </select><${ErrorBox} error=${error} /></label>`;
}

function ActionDialog({ action, hazard, onDone, onCancel }) {
  const [form, setForm] = useState({ note: '', party: '', deadline: '', files: [], passed: true, buildingId: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.type === 'file'
    ? [...e.target.files] : e.target.value });

  async function confirm(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const req = await requestFor(action, hazard, form);
      onDone(await call('hazards', METHOD[action], req));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card form dialog" onSubmit=${confirm} aria-label=${t(`hazard.action.${action}`)}>
    <h2>${t(`hazard.action.${action}`)}</h2>
    ${action === 'match' ? html`<${BuildingChoice} hazard=${hazard} value=${form.buildingId}
      onChange=${(v) => setForm({ ...form, buildingId: v })} />` : null}
    ${action === 'assign' ? html`
      <label>${t('hazard.assign.party')}
        <input data-testid="assign-responsible-party" value=${form.party} onInput=${set('party')} /></label>
      <label>${t('hazard.assign.deadline')}
        <input type="date" data-testid="assign-deadline" value=${form.deadline}
          onInput=${set('deadline')} onChange=${set('deadline')} /></label>` : null}
    ${action === 'submit' ? html`
      <label>${t('hazard.submit.evidence')}
        <input type="file" data-testid="evidence-file" multiple
          accept=${EVIDENCE_TYPES.join(',')} onChange=${set('files')} /></label>` : null}
    ${action === 'review' ? html`
      <label>${t('hazard.review.result')}
        <select data-testid="review-result" value=${form.passed ? 'pass' : 'fail'}
            onChange=${(e) => setForm({ ...form, passed: e.target.value === 'pass' })}>
          <option value="pass">${t('hazard.review.pass')}</option>
          <option value="fail">${t('hazard.review.fail')}</option>
        </select></label>` : null}
    <label>${t(action === 'reject' ? 'hazard.rejectReason' : 'hazard.note')}
      <textarea data-testid="hazard-action-note" rows="2" maxlength="1000" value=${form.note}
        onInput=${set('note')}></textarea></label>
    <div class="row">
      <button type="submit" class="primary" data-testid="hazard-action-confirm" disabled=${busy}>
        ${t('hazard.confirm')}</button>
      <button type="button" onClick=${onCancel}>${t('common.cancel')}</button>
    </div>
    ${error ? html`<${ErrorBox} error=${error} testid="hazard-action-error" />` : null}
  </form>`;
}

function Evidence({ hazard, list }) {
  if (!list || !list.length) return html`<span>—</span>`;
  return html`<ul class="plain">${list.map((e) => {
    const m = /^sha256:([0-9a-f]{64})$/.exec(e.uri || '');
    const href = m ? `/api/v1/hazards/${encodeURIComponent(hazard.hazardId)}/evidence/${m[1]}` : e.uri;
    return html`<li>${m ? html`<${EvidenceLink} href=${href} label=${e.description || e.uri} />`
      : html`<a href=${href} rel="noopener noreferrer" target="_blank">${e.description || e.uri}</a>`}</li>`;
  })}</ul>`;
}

// Evidence is served only with the caller's token: fetched with it and shown from a blob URL.
function EvidenceLink({ href, label }) {
  const [error, setError] = useState(null);
  async function open(e) {
    e.preventDefault();
    try {
      const res = await authorizedFetch(href);
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
      const url = URL.createObjectURL(await res.blob());
      window.open(url, '_blank', 'noopener');
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      setError(err);
    }
  }
  return html`<a href="#" onClick=${open}>${label}</a><${ErrorBox} error=${error} />`;
}

export function HazardDetailPage({ id }) {
  const [current, setCurrent] = useState(null);
  const [action, setAction] = useState('');
  const { data, error, loading } = useAsync(() => call('hazards', 'GetHazard', { hazardId: id }), [id]);
  const hazard = current && current.hazardId === id ? current : data;
  const claims = currentClaims();
  if (!hazard) {
    return html`<section class="page"><${Loading} when=${loading} /><${ErrorBox} error=${error} /></section>`;
  }
  const actions = allowedHazardActions(claims, hazard);
  const routing = hazard.routing || {};
  const a = hazard.assignment || {};
  const done = (h) => {
    setCurrent(h);
    setAction('');
  };
  return html`<section class="page hazard" data-testid="hazard-detail" data-status=${hazard.status}
      data-hazard-id=${hazard.hazardId}>
    <p class="small"><a href="#/hazards">← ${t('hazards.title')}</a></p>
    <div class="page-head">
      <h1>${enumLabel(hazard.category)}</h1>
      <${StatusTag} status=${hazard.status} overdue=${hazard.overdue} />
    </div>
    <p>${hazard.description}</p>
    <dl class="card detail-grid">
      <div><dt>${t('hazard.id')}</dt><dd class="mono">${hazard.hazardId}</dd></div>
      <div><dt>${t('hazards.col.building')}</dt><dd>${hazard.buildingId
        ? html`<a href=${`#/buildings/${encodeURIComponent(hazard.buildingId)}`}>${hazard.buildingName || hazard.buildingId}</a>`
        : t('hazards.unmatched')}</dd></div>
      <div><dt>${t('hazard.severity')}</dt><dd>${enumLabel(hazard.severity)}</dd></div>
      <div><dt>${t('hazard.source')}</dt><dd>${enumLabel(hazard.source)}</dd></div>
      <div><dt>${t('hazard.lead')}</dt><dd>${(routing.leadDepartments || []).map(departmentName).join('、') || '—'}</dd></div>
      <div><dt>${t('hazard.assisting')}</dt><dd>${(routing.assistingDepartments || []).map(departmentName).join('、') || '—'}</dd></div>
      <div><dt>${t('hazard.responsible')}</dt><dd>${a.responsibleParty || '—'}</dd></div>
      <div><dt>${t('hazards.col.deadline')}</dt><dd>${formatDate(a.deadline)}</dd></div>
      <div><dt>${t('hazards.col.reported')}</dt><dd>${formatTime(hazard.reportedAt)}</dd></div>
      ${hazard.liableParty && hazard.liableParty.name ? html`<div><dt>${t('hazard.liable')}</dt>
        <dd>${hazard.liableParty.name}</dd></div>` : null}
      ${hazard.duplicateOf ? html`<div><dt>${t('hazard.duplicateOf')}</dt><dd>
        <a href=${`#/hazards/${encodeURIComponent(hazard.duplicateOf)}`}>${hazard.duplicateOf}</a></dd></div>` : null}
      ${hazard.location && (hazard.location.address || hazard.location.latitude) ? html`<div><dt>${t('hazard.place')}</dt>
        <dd>${hazard.location.address || ''} ${hazard.location.latitude ? html`<span class="muted small mono">
          ${Number(hazard.location.latitude).toFixed(5)}, ${Number(hazard.location.longitude).toFixed(5)}</span>` : null}</dd></div>` : null}
      ${hazard.channel ? html`<div><dt>${t('hazard.channel')}</dt><dd>${hazard.channel}</dd></div>` : null}
      ${hazard.rejectionReason ? html`<div><dt>${t('hazard.rejectReason')}</dt><dd>${hazard.rejectionReason}</dd></div>` : null}
      <div><dt>${t('hazard.evidence')}</dt><dd><${Evidence} hazard=${hazard} list=${hazard.evidence} /></dd></div>
      <div><dt>${t('hazard.rectificationEvidence')}</dt><dd>
        <${Evidence} hazard=${hazard} list=${hazard.rectificationEvidence} /></dd></div>
    </dl>
    <div class="actions">
      ${actions.map((name) => html`<button type="button" class=${action === name ? 'primary' : ''}
          data-testid=${`hazard-action-${name}`} onClick=${() => setAction(name)}>
        ${t(`hazard.action.${name}`)}</button>`)}
    </div>
    ${action ? html`<${ActionDialog} key=${action} action=${action} hazard=${hazard}
      onDone=${done} onCancel=${() => setAction('')} />` : null}
    <h2>${t('hazard.audit')}</h2>
    <ol class="audit">${(hazard.audit || []).map((e) => html`<li data-testid="hazard-audit-entry"
        data-action=${e.action}>
      <span class="small muted">${formatTime(e.at)}</span>
      <strong> ${AUDIT_ACTIONS.includes(e.action) ? t(`audit.${e.action}`) : e.action}</strong>
      <span class="small"> ${e.actor}${e.role ? ` (${t(`role.${e.role}`)})` : ''}</span>
      ${e.from && e.to && e.from !== e.to && e.from !== 'STATUS_UNSPECIFIED' ? html`<span class="small"> ${enumLabel(e.from)} → ${enumLabel(e.to)}</span>` : null}
      ${e.note ? html`<div class="small">${e.note}</div>` : null}
    </li>`)}</ol>
  </section>`;
}
