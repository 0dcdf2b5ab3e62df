import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { enumLabel, t } from '../i18n/index.js';
import { call } from '../api.js';
import { formatNumber, formatTime, num } from '../format.js';
import { decodeCsv, recordStartLines } from '../csv.js';
import { LEDGER_KPIS } from '../fields.js';
import { navigate } from '../router.js';
import { Cell, Empty, ErrorBox, Loading, useAsync } from '../components/ui.js';


function Kpis({ totals }) {
  return html`<div class="kpis">${LEDGER_KPIS.map((k) => {
    const v = num(totals[k]);
    const pct = k.endsWith('Pct');
    return html`<div class="kpi" data-testid="ledger-kpi" data-kpi=${k}
        data-value=${v === undefined ? undefined : String(v)}>
      <div class="value">${v === undefined ? '—' : formatNumber(v, pct ? ' %' : '')}</div>
      <div class="label">${t(`ledger.kpi.${k}`)}</div>
    </div>`;
  })}</div>`;
}

function CsvImport({ onImported }) {
  const [file, setFile] = useState(null);
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [report, setReport] = useState(null);

  async function submit(e) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const content = decodeCsv(new Uint8Array(await file.arrayBuffer()));
      const res = await call('buildings', 'ImportBuildingsCsv', { content, dryRun });
      setReport({ res, lines: recordStartLines(content).slice(1), dryRun });
      if (!dryRun && num(res.imported)) onImported();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  let rows = [];
  let other = [];
  if (report) {
    const byLine = new Map();
    for (const err of report.res.errors || []) {
      const l = num(err.line) || 0;
      if (!byLine.has(l)) byLine.set(l, []);
      byLine.get(l).push(err);
    }
    const lines = new Set(report.lines);
    rows = report.lines.map((line) => ({ line, errors: byLine.get(line) || [] }));
    other = [...byLine.entries()].filter(([l]) => !lines.has(l)).flatMap(([, errs]) => errs);
  }
  const r = report && report.res;
  return html`<section class="card csv-import">
    <h2>${t('ledger.csv.title')}</h2>
    <form class="row" onSubmit=${submit}>
      <input type="file" data-testid="csv-file" accept=".csv,text/csv"
        onChange=${(e) => setFile(e.target.files[0] || null)} />
      <label class="inline"><input type="checkbox" data-testid="csv-dry-run" checked=${dryRun}
        onChange=${(e) => setDryRun(e.target.checked)} />${t('ledger.csv.dryRun')}</label>
      <button type="submit" class="primary" data-testid="csv-import-submit" disabled=${busy || !file}>
        ${t('ledger.csv.submit')}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${r ? html`<p class="small" data-testid="csv-report-summary">${t(report.dryRun
      ? 'ledger.csv.summaryDry' : 'ledger.csv.summary', {
      rows: num(r.rows) || 0, imported: num(r.imported) || 0, created: num(r.created) || 0,
      updated: num(r.updated) || 0, unchanged: num(r.unchanged) || 0, errors: (r.errors || []).length,
      encoding: r.encoding || '—' })}</p>
      ${other.map((err) => html`<p class="error small">${t('ledger.csv.line', { line: num(err.line) || 0 })}
        ${err.column ? ` ${err.column}` : ''}: ${err.message}</p>`)}
      <div class="table-wrap"><table class="data">
        <thead><tr><th class="num">${t('ledger.csv.lineCol')}</th><th>${t('ledger.csv.result')}</th></tr></thead>
        <tbody>${rows.map((row) => html`<tr data-testid="csv-report-row" data-row=${row.line}
            data-ok=${row.errors.length ? 'false' : 'true'}>
          <${Cell} label=${t('ledger.csv.lineCol')} cls="num">${row.line}<//>
          <${Cell} label=${t('ledger.csv.result')}>${row.errors.length
            ? row.errors.map((err) => html`<div class="error small">${err.column ? `${err.column}: ` : ''}${err.message}</div>`)
            : html`<span class="ok">${t('ledger.csv.ok')}</span>`}<//>
        </tr>`)}</tbody>
      </table></div>` : null}
  </section>`;
}

function Buildings({ tier, version }) {
  const { data, error, loading } = useAsync(
    () => call('buildings', 'ListBuildings', { tierPathPrefix: tier || '', pageSize: 200 }),
    [tier, version]);
  const list = (data && data.buildings) || [];
  return html`<section>
    <h2>${t('ledger.buildings')}</h2>
    <${ErrorBox} error=${error} /><${Loading} when=${loading && !data} />
    <${Empty} when=${data && !list.length} />
    ${list.length ? html`<div class="table-wrap"><table class="data">
      <thead><tr><th>${t('building.name')}</th><th>${t('building.address')}</th>
        <th>${t('building.class')}</th><th>${t('building.filing')}</th>
        <th>${t('building.fireAccess')}</th></tr></thead>
      <tbody>${list.map((b) => html`<tr data-testid="ledger-building" data-building-id=${b.buildingId}
          class="clickable" onClick=${() => navigate(['buildings', b.buildingId])}>
        <${Cell} label=${t('building.name')}><a href=${`#/buildings/${encodeURIComponent(b.buildingId)}`}>${b.name}</a><//>
        <${Cell} label=${t('building.address')}>${b.address}<//>
        <${Cell} label=${t('building.class')}>${enumLabel(b.buildingClass)}<//>
        <${Cell} label=${t('building.filing')}>${enumLabel((b.responsibility || {}).filingState || 'FILING_STATE_MISSING')}<//>
        <${Cell} label=${t('building.fireAccess')}>${b.fireAccessCompliant ? t('common.yes') : t('common.no')}<//>
      </tr>`)}</tbody></table></div>` : null}
    ${data && data.nextPageToken ? html`<p class="muted small">${t('ledger.moreBuildings')}</p>` : null}
  </section>`;
}

export function LedgerPage({ query }) {
  const tier = query.tier || '';
  const [version, setVersion] = useState(0);
  const { data, error, loading } = useAsync(
    () => call('buildings', 'GetLedger', { tierPath: tier }), [tier, version]);
  const totals = (data && data.totals) || {};
  return html`<section class="page ledger">
    <div class="page-head">
      <h1>${t('ledger.title')}${data && data.name ? ` · ${data.name}` : ''}</h1>
      ${data ? html`<span class="muted small">${data.tierPath} · ${formatTime(data.generatedAt)}</span>` : null}
    </div>
    <${ErrorBox} error=${error} /><${Loading} when=${loading && !data} />
    ${data ? html`<${Kpis} totals=${totals} />
      <h2>${t('ledger.rows')}</h2>
      <div class="table-wrap"><table class="data">
        <thead><tr><th>${t('ledger.tier')}</th><th class="num">${t('ledger.kpi.buildings')}</th>
          <th class="num">${t('ledger.kpi.responsibilityFiledPct')}</th>
          <th class="num">${t('ledger.kpi.fireAccessNonCompliant')}</th>
          <th class="num">${t('ledger.kpi.threeNos')}</th></tr></thead>
        <tbody>${(data.rows || []).map((row) => {
          const c = row.counts || {};
          return html`<tr data-testid="ledger-row" data-tier=${row.tierPath}>
            <${Cell} label=${t('ledger.tier')}><a href=${`#/ledger?tier=${encodeURIComponent(row.tierPath)}`}>${row.name || row.tierPath}</a><//>
            <${Cell} label=${t('ledger.kpi.buildings')} cls="num">${formatNumber(c.buildings)}<//>
            <${Cell} label=${t('ledger.kpi.responsibilityFiledPct')} cls="num">${formatNumber(c.responsibilityFiledPct, ' %')}<//>
            <${Cell} label=${t('ledger.kpi.fireAccessNonCompliant')} cls="num">${formatNumber(c.fireAccessNonCompliant)}<//>
            <${Cell} label=${t('ledger.kpi.threeNos')} cls="num">${formatNumber(c.threeNos)}<//>
          </tr>`;
        })}</tbody></table></div>` : null}
    <${Buildings} tier=${tier} version=${version} />
    <${CsvImport} onImported=${() => setVersion(version + 1)} />
  </section>`;
}
