import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call } from '../api.js';
import { formatDate, formatTime, num } from '../format.js';
import { navigate } from '../router.js';
import { Cell, Empty, ErrorBox, Loading, useAsync } from '../components/ui.js';
import { SUBJECT_TYPES } from '../enums.js';

function Profile({ subject }) {
  const profile = useAsync(() => call('credit', 'GetProfile', { subjectId: subject }), [subject]);
  const ledger = useAsync(() => call('credit', 'ListLedger', { subjectId: subject, pageSize: 100 }), [subject]);
  const p = profile.data;
  const records = (ledger.data && ledger.data.records) || [];
  return html`<section>
    <${ErrorBox} error=${profile.error} /><${Loading} when=${profile.loading && !p} />
    ${p ? html`<div class="card" data-testid="credit-profile" data-score=${String(num(p.score) ?? '')}
        data-level=${p.level} data-blacklisted=${p.blacklisted ? 'true' : 'false'}>
      <h2>${(p.subject && p.subject.name) || subject}</h2>
      <div class="kpis">
        <div class="kpi"><div class="value">${num(p.score) ?? '—'}</div><div class="label">${t('credit.score')}</div></div>
        <div class="kpi"><div class="value">${enumLabel(p.level)}</div><div class="label">${t('credit.level')}</div></div>
        <div class="kpi"><div class="value">${p.blacklisted ? t('common.yes') : t('common.no')}</div>
          <div class="label">${t('credit.blacklisted')}</div></div>
      </div>
      <p class="small muted">${[p.subject && p.subject.subjectId, p.subject && p.subject.creditCode,
        t('credit.rules', { version: p.rulesVersion || '—' }), formatTime(p.updatedAt)].filter(Boolean).join(' · ')}</p>
    </div>` : null}
    <h2>${t('credit.ledger')}</h2>
    <${ErrorBox} error=${ledger.error} />
    <${Empty} when=${ledger.data && !records.length} />
    ${records.length ? html`<div class="table-wrap"><table class="data">
      <thead><tr><th class="num">#</th><th>${t('credit.when')}</th><th>${t('credit.kind')}</th>
        <th>${t('credit.cause')}</th><th class="num">${t('credit.delta')}</th><th class="num">${t('credit.after')}</th></tr></thead>
      <tbody>${records.map((r) => html`<tr data-testid="credit-ledger-row" data-record-id=${r.recordId}>
        <${Cell} label="#" cls="num">${r.seq}<//>
        <${Cell} label=${t('credit.when')}>${formatTime(r.at)}<//>
        <${Cell} label=${t('credit.kind')}>${enumLabel(r.kind)}${r.ruleId ? html` <span class="muted small">${r.ruleId}</span>` : null}<//>
        <${Cell} label=${t('credit.cause')}>${(r.cause && r.cause.description) || '—'}
          ${r.cause && r.cause.hazardId ? html` <a href=${`#/hazards/${encodeURIComponent(r.cause.hazardId)}`}>${r.cause.hazardId}</a>` : null}<//>
        <${Cell} label=${t('credit.delta')} cls="num">${num(r.delta) > 0 ? `+${num(r.delta)}` : num(r.delta) || 0}<//>
        <${Cell} label=${t('credit.after')} cls="num">${num(r.scoreAfter)} ${enumLabel(r.levelAfter)}<//>
      </tr>`)}</tbody></table></div>` : null}
  </section>`;
}

function Blacklist() {
  const { data, error, loading } = useAsync(() => call('credit', 'ListBlacklist', { pageSize: 100 }), []);
  const entries = (data && data.entries) || [];
  return html`<section>
    <h2>${t('credit.blacklist')}</h2>
    <${ErrorBox} error=${error} /><${Loading} when=${loading && !data} />
    <${Empty} when=${data && !entries.length} />
    ${entries.length ? html`<div class="table-wrap"><table class="data">
      <thead><tr><th>${t('credit.subject')}</th><th>${t('credit.state')}</th><th>${t('credit.reason')}</th>
        <th>${t('credit.deadline')}</th></tr></thead>
      <tbody>${entries.map((e) => html`<tr data-testid="blacklist-row" data-entry-id=${e.entryId} data-state=${e.state}>
        <${Cell} label=${t('credit.subject')}><a href=${`#/credit?subject=${encodeURIComponent(e.subjectId)}`}>${e.subjectName || e.subjectId}</a><//>
        <${Cell} label=${t('credit.state')}>${enumLabel(e.state)}<//>
        <${Cell} label=${t('credit.reason')}>${e.reason}<//>
        <${Cell} label=${t('credit.deadline')}>${formatDate(e.state === 'BLACKLIST_STATE_ACTIVE' ? e.expiresAt : e.objectionDeadline)}<//>
      </tr>`)}</tbody></table></div>` : null}
  </section>`;
}

// The lowest-rated subjects of a kind in the caller's area (ListRanking, worst first): where a
// look-up usually starts.
function Ranking({ type, onType }) {
  const { data, error, loading } = useAsync(() => call('credit', 'ListRanking', {
    type, worstFirst: true, pageSize: 20 }), [type]);
  const subjects = (data && data.subjects) || [];
  return html`<section>
    <div class="page-head"><h2>${t('credit.ranking')}</h2>
      <select data-testid="credit-ranking-type" value=${type} onChange=${(e) => onType(e.target.value)}>
        ${SUBJECT_TYPES.map((s) => html`<option value=${s}>${enumLabel(s)}</option>`)}
      </select></div>
    <${ErrorBox} error=${error} /><${Loading} when=${loading && !data} />
    <${Empty} when=${data && !subjects.length} />
    ${subjects.length ? html`<div class="table-wrap"><table class="data">
      <thead><tr><th class="num">${t('credit.rank')}</th><th>${t('credit.subject')}</th>
        <th class="num">${t('credit.score')}</th><th>${t('credit.level')}</th></tr></thead>
      <tbody>${subjects.map((r) => html`<tr data-testid="credit-ranking-row" data-subject-id=${r.subjectId}>
        <${Cell} label=${t('credit.rank')} cls="num">${r.rank}<//>
        <${Cell} label=${t('credit.subject')}><a href=${`#/credit?subject=${encodeURIComponent(r.subjectId)}`}>${r.name || r.subjectId}</a>
          ${r.blacklisted ? html` <span class="tag overdue">${t('credit.blacklist')}</span>` : null}<//>
        <${Cell} label=${t('credit.score')} cls="num">${r.score}<//>
        <${Cell} label=${t('credit.level')}>${enumLabel(r.level)}<//>
      </tr>`)}</tbody></table></div>` : null}
  </section>`;
}

export function CreditPage({ query }) {
  const subject = query.subject || '';
  const [input, setInput] = useState(subject);
  const submit = (e) => {
    e.preventDefault();
    navigate(['credit'], { subject: input.trim() });
  };
  return html`<section class="page credit">
    <div class="page-head"><h1>${t('credit.title')}</h1></div>
    <form class="row" onSubmit=${submit}>
      <label>${t('credit.subjectId')}
        <input data-testid="credit-subject-input" value=${input} placeholder=${t('credit.subjectPlaceholder')}
          onInput=${(e) => setInput(e.target.value)} /></label>
      <button type="submit" class="primary" data-testid="credit-subject-submit">${t('common.search')}</button>
    </form>
    ${subject ? html`<${Profile} key=${subject} subject=${subject} />` : null}
    <${Blacklist} />
    <${Ranking} type=${SUBJECT_TYPES.includes(query.type) ? query.type : SUBJECT_TYPES[0]}
      onType=${(type) => navigate(['credit'], { ...query, type })} />
  </section>`;
}
