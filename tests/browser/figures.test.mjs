// The numbers the console draws are the services' numbers: a street's ledger KPIs equal
// GetLedger's, and the per-tier chart's bars equal GetStatistics'.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack } from './support/stack.mjs';
import { goHash, launchBrowser, newPage, poll, signIn } from './support/browser.mjs';

const stack = await useStack();
const browser = await launchBrowser();
// One sign-in for both tests (the district admin, who sees every street).
let page;
before(async () => {
  page = await newPage(browser);
  await signIn(page, stack, 'admin');
});

const snake = (camel) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// The figures of an answer without when they were computed.
const figures = (answer) => JSON.stringify({ ...answer, generated_at: undefined });

// Reads what `readPage` shows and what `readApi` answers until the API gives the same figures
// before and after the page was read (the demo's devices may report a hazard meanwhile).
async function stableRead(readApi, readPage) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await readApi();
    const shown = await readPage();
    const afterwards = await readApi();
    if (figures(before) === figures(afterwards)) return { api: before, shown };
  }
  throw new Error('the figures kept changing while they were read');
}

test('the ledger KPIs of a street equal GetLedger over gRPC', async () => {
  const street = '500109002';
  const kpis = page.getByTestId('ledger-kpi');
  const { api: ledger, shown } = await stableRead(
    () => stack.ctlJson(['ledger', '--tier', street]),
    async () => {
      await goHash(page, '#/inbox');
      await goHash(page, `#/ledger?tier=${street}`);
      await page.locator('[data-testid="ledger-kpi"][data-kpi="buildings"]').waitFor();
      return kpis.evaluateAll((els) => els.map((e) => [e.getAttribute('data-kpi'), e.getAttribute('data-value')]));
    },
  );
  assert.ok(ledger.totals.buildings > 0, 'the demo street has buildings');
  assert.ok(shown.length >= 4, `the page shows the ledger's KPIs (${shown.length})`);
  for (const [kpi, value] of shown) {
    const field = snake(kpi);
    const expected = field in ledger.totals ? ledger.totals[field] : ledger[field];
    if (expected === undefined || expected === null) {
      // An unset percentage (nothing to divide by) is shown as no number.
      assert.ok(value === null || value === '' || Number.isNaN(Number(value)), `${kpi}: unset in GetLedger, the page says ${value}`);
    } else {
      assert.equal(Number(value), Number(expected), `KPI ${kpi}`);
    }
  }
  assert.ok(
    (await page.getByTestId('ledger-building').count()) > 0 || (await page.getByTestId('ledger-row').count()) > 0,
    'the ledger lists what it counts',
  );
  assert.deepEqual(page.errors, []);
});

test('the per-tier statistics chart draws GetStatistics numbers over gRPC', async () => {
  const chart = page.locator('[data-testid="stats-chart"][data-chart="by-tier"]');
  const { api: stats, shown } = await stableRead(
    () => stack.ctlJson(['hazards', 'stats']),
    async () => {
      await goHash(page, '#/inbox');
      await goHash(page, '#/figures');
      await chart.getByTestId('stats-bar').first().waitFor();
      return chart.evaluate((svg) => ({
        metric: svg.getAttribute('data-metric') || 'open',
        bars: [...svg.querySelectorAll('[data-testid="stats-bar"]')].map((b) => {
          const box = b.getBoundingClientRect();
          return { key: b.getAttribute('data-key'), value: b.getAttribute('data-value'), area: box.width * box.height };
        }),
      }));
    },
  );
  const rows = stats.by_tier ?? [];
  assert.ok(rows.length > 0, 'GetStatistics has rows per tier');
  const field = snake(shown.metric);
  const expected = Object.fromEntries(rows.map((r) => [r.key, Number(r[field] ?? 0)]));
  assert.ok(Object.values(expected).some((v) => v > 0), `some tier has ${field} hazards in the demo data`);
  const drawn = Object.fromEntries(shown.bars.map((b) => [b.key, Number(b.value)]));
  assert.deepEqual(drawn, expected, `the bars (${shown.metric}) per tier`);
  for (const b of shown.bars) {
    if (Number(b.value) > 0) assert.ok(b.area > 0, `the bar of ${b.key} is drawn`);
  }
  await poll('the plan overview', async () => (await page.getByTestId('plan-overview').count()) > 0);
  assert.deepEqual(page.errors, []);
});
