// Small SVG charts (no chart library: the bundle stays small). Every bar carries the number it
// draws in data-value and its row's key in data-key.
import { html } from '../html.js';

// The view box's width: about the screen's width on a phone, so that the labels keep a
// readable size when the SVG is scaled to fit.
function viewWidth() {
  return globalThis.matchMedia && matchMedia('(max-width: 480px)').matches ? 380 : 600;
}

// Scale maximum: the largest value, at least 1 so that all-zero data draws empty bars.
export function scaleMax(values) {
  return Math.max(1, ...values.filter((v) => Number.isFinite(v)));
}

// Horizontal bars, one row per item: [{key, label, value}].
export function BarChart({ chart, metric, rows, title }) {
  const W = viewWidth();
  const rowH = 24;
  const labelW = W < 600 ? 120 : 190;
  const valueW = 50;
  const top = 6;
  const h = top * 2 + Math.max(1, rows.length) * rowH;
  const max = scaleMax(rows.map((r) => r.value));
  const span = W - labelW - valueW;
  return html`<svg class="chart" data-testid="stats-chart" data-chart=${chart} data-metric=${metric}
      viewBox=${`0 0 ${W} ${h}`} role="img" aria-label=${title}>
    <title>${title}</title>
    <line class="axis" x1=${labelW} y1="0" x2=${labelW} y2=${h} />
    ${rows.map((r, i) => {
      const y = top + i * rowH;
      const w = r.value > 0 ? Math.max(1, (r.value / max) * span) : 0;
      const maxChars = W < 600 ? 9 : 16;
      const label = r.label.length > maxChars ? `${r.label.slice(0, maxChars - 1)}…` : r.label;
      return html`<g>
        <text x=${labelW - 6} y=${y + rowH / 2 + 4} text-anchor="end">${label}<title>${r.label}</title></text>
        <rect class="bar" data-testid="stats-bar" data-key=${r.key} data-value=${String(r.value)}
          x=${labelW} y=${y + 4} width=${w} height=${rowH - 8} rx="2" />
        <text class="value" x=${labelW + w + 4} y=${y + rowH / 2 + 4}>${r.value}</text>
      </g>`;
    })}
  </svg>`;
}

// Daily columns (bars: [{key: date, value}]) with an optional line ([{key, value}]) over them.
export function TrendChart({ chart, metric, bars, line, title }) {
  const W = viewWidth();
  const h = W < 600 ? 200 : 220;
  const left = 36;
  const bottom = 24;
  const top = 10;
  const plotW = W - left - 8;
  const plotH = h - top - bottom;
  const n = Math.max(1, bars.length);
  const step = plotW / n;
  const max = scaleMax([...bars.map((b) => b.value), ...(line || []).map((p) => p.value)]);
  const y = (v) => top + plotH - (v / max) * plotH;
  const points = (line || []).map((p, i) => `${left + step * i + step / 2},${y(p.value)}`).join(' ');
  const every = Math.max(1, Math.ceil(n / 6));
  return html`<svg class="chart" data-testid="stats-chart" data-chart=${chart} data-metric=${metric}
      viewBox=${`0 0 ${W} ${h}`} role="img" aria-label=${title}>
    <title>${title}</title>
    <line class="axis" x1=${left} y1=${top + plotH} x2=${W - 8} y2=${top + plotH} />
    <text x=${left - 4} y=${top + 8} text-anchor="end">${max}</text>
    <text x=${left - 4} y=${top + plotH} text-anchor="end">0</text>
    ${bars.map((b, i) => {
      const bh = (b.value / max) * plotH;
      return html`<rect class="bar" data-testid="stats-bar" data-key=${b.key} data-value=${String(b.value)}
        x=${left + step * i + step * 0.15} y=${top + plotH - bh} width=${step * 0.7} height=${bh}>
        <title>${b.key}: ${b.value}</title></rect>`;
    })}
    ${points ? html`<polyline class="line" points=${points} />` : null}
    ${bars.map((b, i) => (i % every === 0 ? html`<text x=${left + step * i + step / 2} y=${h - 6}
      text-anchor="middle">${b.key.slice(5)}</text>` : null))}
  </svg>`;
}
