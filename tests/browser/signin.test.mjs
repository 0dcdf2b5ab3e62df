// The sign-in page's other paths: a wrong password is refused on the page and nothing is
// signed in; the development token form signs in with a development token; signing out returns
// to the sign-in page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, jwtClaims } from './support/stack.mjs';
import { launchBrowser, newPage } from './support/browser.mjs';

const stack = await useStack();
const browser = await launchBrowser();

test('a wrong password shows the sign-in error and signs no one in', async () => {
  const page = await newPage(browser);
  await page.goto(`${stack.baseUrl}/#/signin`);
  await page.getByTestId('signin-username').fill('district');
  await page.getByTestId('signin-password').fill('not-the-password');
  await page.getByTestId('signin-totp').fill('000000');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('signin-error').waitFor();
  assert.match(page.url(), /#\/signin/);
  assert.equal(await page.getByTestId('whoami').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'no token kept');
});

test('the development token form signs in with a token and sign-out returns to sign-in', async () => {
  const page = await newPage(browser);
  await page.goto(`${stack.baseUrl}/#/signin`);
  const token = await stack.token('dept');
  await page.getByTestId('signin-token').fill(token);
  await page.getByTestId('signin-token-submit').click();
  await page.waitForURL(/#\/inbox/);
  const who = await page.getByTestId('whoami').textContent();
  assert.ok(who.includes(jwtClaims(token).sub), `whoami names the subject: ${who}`);
  await page.getByTestId('signout').click();
  await page.waitForURL(/#\/signin/);
  await page.getByTestId('signin-token').waitFor();
  assert.equal(await page.getByTestId('whoami').count(), 0);
  assert.deepEqual(page.errors, []);
});
