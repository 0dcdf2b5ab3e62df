// Each role sees only the console pages it can use (console/src/page_access.js): a micro fire
// station's duty staff (a development token of a micro_station with its station as org_unit)
// gets its inbox and the alarms, and the hazards page reached by URL shows the not-available
// panel without asking the hazards service; a district admin still gets every page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack } from './support/stack.mjs';
import { goHash, launchBrowser, newPage, signIn } from './support/browser.mjs';

const stack = await useStack();
const browser = await launchBrowser();

const ALL_PAGES = ['inbox', 'hazards', 'ledger', 'figures', 'credit', 'alarms', 'map'];

// The navigation's entries, in order ("nav-inbox" → "inbox").
function navEntries(page) {
  return page.locator('nav [data-testid^="nav-"]')
    .evaluateAll((links) => links.map((a) => a.dataset.testid.slice('nav-'.length)));
}

// Records the JSON API methods the page calls ("HazardService/ListHazards").
function recordCalls(page) {
  const calls = [];
  page.on('request', (req) => {
    const m = /\/api\/v1\/firegrid\.[a-z]+\.v1\.(\w+\/\w+)$/.exec(new URL(req.url()).pathname);
    if (m) calls.push(m[1]);
  });
  return calls;
}

async function signInWithToken(page, token) {
  await page.goto(`${stack.baseUrl}/#/signin`);
  await page.getByTestId('signin-token').fill(token);
  await page.getByTestId('signin-token-submit').click();
  await page.waitForURL(/#\/inbox/);
  await page.getByTestId('whoami').waitFor();
}

test('a micro station sees only its inbox and alarms; #/hazards shows the not-available panel, no error', async () => {
  const street = (await stack.community()).slice(0, 9);
  const token = await stack.mintToken({
    role: 'micro_station', tierPath: street, orgUnit: 'mfs_browser_test', subject: 'duty-mfs_browser_test',
  });
  const page = await newPage(browser);
  const calls = recordCalls(page);
  await signInWithToken(page, token);
  assert.match(await page.getByTestId('whoami').textContent(), /micro_station/);
  await page.getByTestId('inbox-live').and(page.locator('[data-state="live"]')).waitFor();
  assert.deepEqual(await navEntries(page), ['inbox', 'alarms']);
  assert.equal(await page.locator('main [role="alert"]').count(), 0, 'the inbox shows no error');

  // The alarms page it does get loads without an error (ListAlarms of its street).
  await goHash(page, '#/alarms');
  const alarms = page.locator('main .alarms');
  await alarms.locator('.empty, [data-testid="alarm-building"], [role="alert"]').first().waitFor();
  assert.equal(await alarms.locator('[role="alert"]').count(), 0, 'the alarms page shows no error');

  const before = calls.length;
  await goHash(page, '#/hazards');
  await page.getByTestId('page-not-available').waitFor();
  assert.equal(await page.locator('main [role="alert"]').count(), 0, 'no error on the hazards route');
  assert.equal(await page.getByTestId('hazard-row').count(), 0);
  assert.deepEqual(calls.slice(before).filter((c) => c === 'HazardService/ListHazards'), [],
    'the hazards page is not opened, so nothing is listed');
  assert.deepEqual(page.errors, []);
});

test('a district admin still sees every page, and #/hazards lists hazards', async () => {
  const page = await newPage(browser);
  await signIn(page, stack, 'admin');
  assert.deepEqual(await navEntries(page), ALL_PAGES);
  await goHash(page, '#/hazards');
  await page.getByTestId('hazard-row').first().waitFor();
  assert.equal(await page.getByTestId('page-not-available').count(), 0);
  assert.equal(await page.locator('main [role="alert"]').count(), 0);
  assert.deepEqual(page.errors, []);
});
