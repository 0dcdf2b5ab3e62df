import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { t } from '../i18n/index.js';
import { call } from '../api.js';
import { departmentName, formatNumber, formatTime, num } from '../format.js';
import { BarChart, TrendChart } from '../components/charts.js';
import { METRICS } from '../fields.js';
import { navigate } from '../router.js';
import { Cell, ErrorBox, Loading, useAsync } from '../components/ui.js';


export function metricRows(rows, metric, label) {
  return (rows || []).map((r) => ({ key: r.key, label: label(r.key), value: num(r[metric]) || 0 }));
}

async function orgUnitNames(prefix) {
  try {
    const res = await call('buildings', 'ListOrgUnits', { tierPathPrefix: prefix, pageSize: 500 });
    return Object.fromEntries((res.orgUnits || []).map((u) => [u.code, u.name]));
  } catch {
    return {};
  }
}

function PlanOverview() {
  const overview = useAsync(() => call('notify', 'GetPlanOverview', {}), []);
  const tasks = useAsync(() => call('notify', 'ListPlanTasks', {}), []);
  const o = overview.data;
  return html`<section>
    <h2>${t('figures.plan')}</h2>
    <${ErrorBox} error=${overview.error} />
    ${o ? html`<p class="small">${t('figures.planSummary', {
      tasks: num(o.tasks) || 0, completed: num(o.completed) || 0, overdue: num(o.overdue) || 0 })}</p>
    <div class="table-wrap"><table class="data" data-testid="plan-overview">
      <thead><tr><th>${t('figures.department')}</th><th class="num">${t('figures.tasks')}</th>
        <th class="num">${t('figures.completed')}</th><th class="num">${t('figures.overdueTasks')}</th>
        <th class="num">${t('figures.progress')}</th></tr></thead>
      <tbody>${(o.departments || []).map((d) => html`<tr data-testid="plan-department" data-department=${d.department}>
        <${Cell} label=${t('figures.department')}>${departmentName(d.department)}<//>
        <${Cell} label=${t('figures.tasks')} cls="num">${formatNumber(d.tasks)}<//>
        <${Cell} label=${t('figures.completed')} cls="num">${formatNumber(d.completed)}<//>
        <${Cell} label=${t('figures.overdueTasks')} cls="num">${formatNumber(d.overdue)}<//>
        <${Cell} label=${t('figures.progress')} cls="num">${formatNumber(
          Math.round((num(d.averageProgressPercent) || 0) * 10) / 10, ' %')}<//>
      </tr>`)}</tbody></table></div>` : html`<${Loading} when=${overview.loading} />`}
    ${tasks.data ? html`<details class="card"><summary>${t('figures.planTasks', { n: (tasks.data.tasks || []).length })}</summary>
      <div class="table-wrap"><table class="data">
      <thead><tr><th class="num">#</th><th>${t('figures.task')}</th><th>${t('figures.deadline')}</th>
        <th class="num">${t('figures.progress')}</th></tr></thead>
      <tbody>${(tasks.data.tasks || []).map((p) => html`<tr data-testid="plan-task" data-number=${p.number}>
        <${Cell} label="#" cls="num">${p.number}<//>
        <${Cell} label=${t('figures.task')}>${p.title}${p.overdue ? html` <span class="tag overdue">${t('hazards.overdue')}</span>` : null}<//>
        <${Cell} label=${t('figures.deadline')}>${p.deadline}<//>
        <${Cell} label=${t('figures.progress')} cls="num">${formatNumber(p.progressPercent, ' %')}<//>
      </tr>`)}</tbody></table></div></details>` : null}
  </section>`;
}

export function FiguresPage({ query }) {
  const tier = query.tier || '';
  const [metric, setMetric] = useState(METRICS.includes(query.metric) ? query.metric : 'open');
  const stats = useAsync(async () => {
    const s = await call('hazards', 'GetStatistics', { tierPath: tier });
    return { s, names: await orgUnitNames(s.tierPath || tier) };
  }, [tier]);
  const trend = useAsync(() => call('hazards', 'GetStatisticsTrend', { tierPath: tier, days: 30 }), [tier]);
  const s = stats.data && stats.data.s;
  const names = (stats.data && stats.data.names) || {};
  const totals = (s && s.totals) || {};
  const days = (trend.data && trend.data.days) || [];
  const choose = (e) => {
    setMetric(e.target.value);
    navigate(['figures'], { ...query, metric: e.target.value === 'open' ? '' : e.target.value });
  };
  return html`<section class="page figures">
    <div class="page-head">
      <h1>${t('figures.title')}</h1>
      ${s ? html`<span class="muted small">${s.tierPath} · ${formatTime(s.generatedAt)}</span>` : null}
      <label class="inline small">${t('figures.metric')}
        <select data-testid="stats-metric" value=${metric} onChange=${choose}>
          ${METRICS.map((m) => html`<option value=${m}>${t(`figures.metric.${m}`)}</option>`)}
        </select></label>
    </div>
    <${ErrorBox} error=${stats.error} /><${Loading} when=${stats.loading && !s} />
    ${s ? html`<div class="kpis">${METRICS.map((m) => html`<div class="kpi" data-testid="stats-total"
        data-key=${m} data-value=${String(num(totals[m]) || 0)}>
      <div class="value">${formatNumber(num(totals[m]) || 0)}</div>
      <div class="label">${t(`figures.metric.${m}`)}</div></div>`)}
      <div class="kpi" data-testid="stats-total" data-key="rectificationRate"
          data-value=${totals.rectificationRate === undefined ? undefined : String(totals.rectificationRate)}>
        <div class="value">${formatNumber(totals.rectificationRate, ' %')}</div>
        <div class="label">${t('figures.rate')}</div></div>
    </div>
    <div class="charts">
      <figure><figcaption>${t('figures.byTier')} · ${t(`figures.metric.${metric}`)}</figcaption>
        <${BarChart} chart="by-tier" metric=${metric} title=${t('figures.byTier')}
          rows=${metricRows(s.byTier, metric, (k) => names[k] || k)} /></figure>
      <figure><figcaption>${t('figures.byDepartment')} · ${t(`figures.metric.${metric}`)}</figcaption>
        <${BarChart} chart="by-department" metric=${metric} title=${t('figures.byDepartment')}
          rows=${metricRows(s.byDepartment, metric, departmentName)} /></figure>
    </div>` : null}
    <h2>${t('figures.trend')}</h2>
    <${ErrorBox} error=${trend.error} />
    ${trend.data ? (days.length ? html`<figure>
      <figcaption class="legend"><span><span class="swatch"></span>${t(`figures.metric.${metric}`)}</span>
        <span><span class="swatch line"></span>${t('figures.metric.overdue')}</span></figcaption>
      <${TrendChart} chart="trend" metric=${metric} title=${t('figures.trend')}
        bars=${days.map((d) => ({ key: d.date, value: num((d.totals || {})[metric]) || 0 }))}
        line=${days.map((d) => ({ key: d.date, value: num((d.totals || {}).overdue) || 0 }))} /></figure>`
      : html`<p class="muted">${t('figures.noTrend')}</p>`) : html`<${Loading} when=${trend.loading} />`}
    <${PlanOverview} />
  </section>`;
}
