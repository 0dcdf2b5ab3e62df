// The console on a phone (390×844, touch): a grid worker signs in, reads the inbox and the
// hazards and opens one; nothing overflows horizontally and the navigation is a bottom bar
// inside the screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack } from './support/stack.mjs';
import { horizontalOverflow, launchBrowser, newPage, signIn } from './support/browser.mjs';

const stack = await useStack();
const browser = await launchBrowser();
const WIDTH = 390;
const HEIGHT = 844;

async function assertFits(page, where) {
  assert.ok((await horizontalOverflow(page)) <= 0, `${where}: the page overflows horizontally`);
}

// The element's box lies inside the viewport's width.
async function assertInside(locator, what) {
  const box = await locator.boundingBox();
  assert.ok(box, `${what} is laid out`);
  assert.ok(box.x >= 0 && box.x + box.width <= WIDTH + 0.5, `${what} is inside the screen's width (${JSON.stringify(box)})`);
  return box;
}

test('on a phone the worker signs in and uses the inbox and hazards without horizontal overflow', async () => {
  const page = await newPage(browser, {
    viewport: { width: WIDTH, height: HEIGHT },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
  await page.goto(`${stack.baseUrl}/#/signin`);
  await page.getByTestId('signin-token').or(page.getByTestId('signin-username')).first().waitFor();
  await assertFits(page, 'sign-in');

  await signIn(page, stack, 'worker');
  await page.getByTestId('inbox-live').and(page.locator('[data-state="live"]')).waitFor();
  await page.getByTestId('inbox-item').first().waitFor();
  await assertFits(page, 'inbox');
  await assertInside(page.getByTestId('inbox-item').first(), 'an inbox item');

  // The navigation is a bottom bar on a phone.
  for (const id of ['nav-inbox', 'nav-hazards']) {
    const box = await assertInside(page.getByTestId(id), id);
    assert.ok(box.y > HEIGHT / 2 && box.y + box.height <= HEIGHT + 0.5, `${id} is in the bottom bar (${JSON.stringify(box)})`);
  }

  await page.getByTestId('nav-hazards').tap();
  await page.waitForURL(/#\/hazards/);
  const row = page.getByTestId('hazard-row').first();
  await row.waitFor();
  await assertFits(page, 'hazards');
  await assertInside(row, 'a hazard row');

  const id = await row.getAttribute('data-hazard-id');
  await row.tap();
  await page.waitForURL(new RegExp(`#/hazards/${id}`));
  await page.getByTestId('hazard-detail').waitFor();
  await assertFits(page, 'hazard detail');
  assert.deepEqual(page.errors, []);
});
