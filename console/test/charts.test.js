import test from 'node:test';
import assert from 'node:assert/strict';
import { BarChart, TrendChart, scaleMax } from '../src/components/charts.js';

// The elements of a rendered vnode tree (components here are plain functions of their props).
function elements(vnode, out = []) {
  if (vnode == null || typeof vnode !== 'object') return out;
  if (Array.isArray(vnode)) {
    for (const v of vnode) elements(v, out);
    return out;
  }
  out.push(vnode);
  elements(vnode.props && vnode.props.children, out);
  return out;
}
const bars = (vnode) => elements(vnode).filter((e) => e.props && e.props['data-testid'] === 'stats-bar');

test('each row is one bar carrying its key and the number it draws, longer for more', () => {
  const chart = BarChart({ chart: 'by-tier', metric: 'open', title: 't', rows: [
    { key: '500109001', label: '天生街道', value: 6 },
    { key: '500109002', label: '北温泉街道', value: 3 },
    { key: '500109003', label: '东阳街道', value: 0 },
  ] });
  assert.equal(chart.props['data-chart'], 'by-tier');
  assert.equal(chart.props['data-metric'], 'open');
  const b = bars(chart);
  assert.deepEqual(b.map((x) => [x.props['data-key'], x.props['data-value']]),
    [['500109001', '6'], ['500109002', '3'], ['500109003', '0']]);
  assert.ok(Math.abs(b[0].props.width - 2 * b[1].props.width) < 1e-9, 'twice the value, twice the length');
  assert.equal(b[2].props.width, 0, 'a zero draws no bar');
});

test('all-zero data draws empty bars rather than dividing by zero', () => {
  assert.equal(scaleMax([0, 0]), 1);
  const b = bars(BarChart({ chart: 'by-department', metric: 'overdue', title: 't',
    rows: [{ key: 'a', label: 'a', value: 0 }] }));
  assert.equal(b[0].props.width, 0);
});

test('the trend draws one column per day, highest for the largest value', () => {
  const chart = TrendChart({ chart: 'trend', metric: 'open', title: 't',
    bars: [{ key: '2026-12-04', value: 2 }, { key: '2026-12-05', value: 4 }],
    line: [{ key: '2026-12-04', value: 1 }, { key: '2026-12-05', value: 0 }] });
  const b = bars(chart);
  assert.deepEqual(b.map((x) => x.props['data-key']), ['2026-12-04', '2026-12-05']);
  assert.ok(Math.abs(b[1].props.height - 2 * b[0].props.height) < 1e-9);
});
