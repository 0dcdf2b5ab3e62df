// console_push_bench: how fast a hazard reported over gRPC appears in a grid worker's open
// console inbox, against a baseline measured in the same run: the same notification read off
// the gateway's event stream by a plain HTTP client (no browser). The ratio is what the browser
// and the console add (parsing, rendering) on top of the push path.
//
//   node bench/console_push_bench.mjs [--reports=20]
//
// Needs a build (build/, or FIREGRID_BUILD_DIR) and the browser tests' packages
// (tests/browser: npm ci). Starts its own private demo stack (deploy/run-local.sh, as the browser
// suite does), reports one hazard at a time on buildings of the worker's community that have
// no open hazard of that category (a duplicate would not be pushed), and for each records when
// the page first shows its inbox item (a MutationObserver in the page, not a timer) and when
// the plain client got its event. Prints p50 / p90 / max of both and their ratio.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const support = path.join(here, '../tests/browser/support');
const { startStack, stopStack } = await import(path.join(support, 'stack.mjs'));
const { launchBrowser, newPage, signIn } = await import(path.join(support, 'browser.mjs'));
const { buildingsOf } = await import(path.join(support, 'demo.mjs'));

const reports = Number((process.argv.find((a) => a.startsWith('--reports=')) ?? '--reports=20').split('=')[1]);
if (!Number.isInteger(reports) || reports < 1) {
  console.error('usage: node bench/console_push_bench.mjs [--reports=N]  (N ≥ 1)');
  process.exit(2);
}
const CATEGORIES = ['fire_access_occupied', 'evacuation_blocked', 'fire_facility_fault', 'indoor_hydrant_no_water'];

// Reads the gateway's event stream as the worker and calls onNotification(hazardId, atMs).
async function plainStream(stack, token, onNotification, signal) {
  const res = await fetch(`${stack.baseUrl}/api/v1/events`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    signal,
  });
  if (!res.ok) throw new Error(`event stream: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let caughtUp;
  const ready = new Promise((resolve) => (caughtUp = resolve));
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (event === 'caught_up') caughtUp();
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (event === 'notification' && data) {
            const n = JSON.parse(data);
            if (n.hazardId) onNotification(n.hazardId, Date.now());
          }
        }
      }
    } catch (e) {
      if (!signal.aborted) console.error(`event stream ended: ${e.message}`);
    }
  })();
  return ready;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const stack = await startStack();
const abort = new AbortController();
let browser;
try {
  browser = await launchBrowser();
  const page = await newPage(browser);
  await signIn(page, stack, 'worker');
  await page.getByTestId('inbox-live').and(page.locator('[data-state="live"]')).waitFor();
  await page.evaluate(() => {
    window.__seen = {};
    const note = () => {
      for (const el of document.querySelectorAll('[data-testid="inbox-item"][data-hazard-id]')) {
        const id = el.getAttribute('data-hazard-id');
        if (!(id in window.__seen)) window.__seen[id] = Date.now();
      }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
  });

  const streamSeen = new Map();
  const waiters = new Map();
  await plainStream(stack, await stack.token('worker'), (id, at) => {
    if (!streamSeen.has(id)) streamSeen.set(id, at);
    waiters.get(id)?.();
  }, abort.signal);

  const community = await stack.community();
  const buildings = await buildingsOf(stack, community);
  const open = await stack.ctlJson(['hazards', 'list', '--tier', community, '--all']);
  const busy = new Set(
    (open.hazards ?? [])
      .filter((h) => !['closed', 'rejected', 'STATUS_CLOSED', 'STATUS_REJECTED'].includes(h.status))
      .map((h) => `${h.building_id}/${String(h.category).replace(/^HAZARD_CATEGORY_/, '').toLowerCase()}`),
  );
  const pairs = [];
  for (const category of CATEGORIES) {
    for (const b of buildings) if (!busy.has(`${b}/${category}`)) pairs.push([b, category]);
  }
  if (pairs.length < reports) {
    throw new Error(`only ${pairs.length} building × category pairs without an open hazard; ask for fewer reports`);
  }

  const pageMs = [];
  const streamMs = [];
  for (let i = 0; i < reports; i++) {
    const [building, category] = pairs[i];
    const sent = Date.now();
    const out = await stack.ctlJson([
      'hazards', 'report', '--building', building, '--category', category, '--severity', 'general',
      '--source', 'grid_inspection', '--description', `推送基准 push bench ${i}`,
      '--idempotency-key', randomUUID(),
    ]);
    const id = (out.hazard ?? out).hazard_id;
    if (!id || out.duplicate_of) throw new Error(`report ${i} was not routed: ${JSON.stringify(out)}`);
    await page.locator(`[data-testid="inbox-item"][data-hazard-id="${id}"]`).first().waitFor({ timeout: 20_000 });
    if (!streamSeen.has(id)) {
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the event stream never carried ${id}`)), 20_000);
        waiters.set(id, () => { clearTimeout(t); resolve(); });
      });
    }
    pageMs.push((await page.evaluate((h) => window.__seen[h], id)) - sent);
    streamMs.push(streamSeen.get(id) - sent);
  }

  const show = (name, xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${name.padEnd(28)} p50 ${String(percentile(s, 50)).padStart(5)} ms  p90 ${String(percentile(s, 90)).padStart(5)} ms  max ${String(s[s.length - 1]).padStart(5)} ms`;
  };
  const median = (xs) => percentile([...xs].sort((a, b) => a - b), 50);
  console.log(`report → inbox, ${reports} reports one at a time (times from the start of the report call;`);
  console.log('firegridctl itself, a process per report, is part of both):');
  console.log(show('baseline: gateway stream', streamMs));
  console.log(show('console inbox (chromium)', pageMs));
  console.log(`ratio console / baseline (p50): ${(median(pageMs) / Math.max(1, median(streamMs))).toFixed(2)}×`);
} finally {
  abort.abort();
  await browser?.close();
  await stopStack(stack);
}
