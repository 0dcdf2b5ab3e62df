// Chromium (Debian's /usr/bin/chromium, headless) through playwright-core, and the console's
// sign-in as the demo users. Waits are on page conditions (locators, expect-style polling),
// never on timers.
import { chromium } from 'playwright-core';
import { after } from 'node:test';

export const CHROMIUM = process.env.FIREGRID_CHROMIUM || '/usr/bin/chromium';

// Launches headless chromium once per test file; closed after the file's tests.
export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  after(() => browser.close());
  return browser;
}

// A new context (its own storage) with zh-CN as the browser language; the page fails the test
// on an uncaught page error.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  page.setDefaultTimeout(15_000);
  return page;
}

// Which demo user of demo-users.txt plays `who`: the district admin, the urban management
// officer, the grid worker of the community the development worker token is for (the one the
// tests report hazards in).
function pickDemoUser(users, who, community) {
  const match = {
    admin: (u) => u.role === 'district_admin' && u.orgUnit === '500109',
    dept: (u) => u.role === 'department_officer' && u.orgUnit === '500109.urban_management',
    worker: (u) => u.role === 'community_worker' && u.orgUnit === community,
  }[who];
  return users.find((u) => match(u) && u.password && u.totpSecret) ?? null;
}

// How `who` signs in: with a password and TOTP when the run command made demo accounts (and
// firegridctl prints TOTP codes), else with the development token form.
export async function signInMethod(stack, who) {
  const community = who === 'worker' ? await stack.community() : undefined;
  const user = pickDemoUser(await stack.demoUsers(), who, community);
  if (user && (await stack.ctlHas(['accounts', 'totp-code']))) return { kind: 'password', user };
  return { kind: 'token' };
}

// Signs in to the console as `who` (worker | dept | admin) and waits for the inbox.
export async function signIn(page, stack, who) {
  await page.goto(`${stack.baseUrl}/#/signin`);
  const method = await signInMethod(stack, who);
  if (method.kind === 'password') {
    await page.getByTestId('signin-username').fill(method.user.username);
    await page.getByTestId('signin-password').fill(method.user.password);
    await page.getByTestId('signin-totp').fill(await stack.totpCode(method.user));
    await page.getByTestId('signin-submit').click();
  } else {
    await page.getByTestId('signin-token').fill(await stack.token(who));
    await page.getByTestId('signin-token-submit').click();
  }
  await page.waitForURL(/#\/inbox/);
  await page.getByTestId('whoami').waitFor();
  return method;
}

// Moves the single-page app to a hash route without reloading the document.
export async function goHash(page, hash) {
  await page.evaluate((h) => {
    window.location.hash = h;
  }, hash);
  await page.waitForURL((url) => url.hash === hash);
}

// The page's horizontal overflow in CSS pixels (0: nothing sticks out to the right).
export function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// Polls `probe` on the page side until it returns a truthy value (like expect.poll).
export async function poll(what, probe, { timeoutMs = 15_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The status name a page shows (STATUS_ASSIGNED) for firegridctl's JSON label ("assigned").
export function statusName(label) {
  return label.startsWith('STATUS_') ? label : `STATUS_${label.toUpperCase()}`;
}
