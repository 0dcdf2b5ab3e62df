// A community grid worker's inbox: a hazard reported over gRPC in the worker's community is
// pushed into the open page (SSE) without a reload; the worker acknowledges it with a note and
// notify has the acknowledgement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack } from './support/stack.mjs';
import { launchBrowser, newPage, poll, signIn } from './support/browser.mjs';
import { buildingWithoutOpen, reportHazard } from './support/demo.mjs';

const stack = await useStack();
const browser = await launchBrowser();

test('a hazard reported over gRPC appears in the open worker inbox without a reload and the acknowledgement with its note reaches notify', async () => {
  const page = await newPage(browser);
  const method = await signIn(page, stack, 'worker');
  console.log(`worker signed in with ${method.kind === 'password' ? `password + TOTP as ${method.user.username}` : 'the development token form'}`);
  await page.getByTestId('inbox-live').and(page.locator('[data-state="live"]')).waitFor();

  // Records, in the page, when each hazard's inbox item first appears; and a marker that a
  // reload would wipe out.
  await page.evaluate(() => {
    window.__firegridNoReload = true;
    window.__firegridSeen = {};
    const note = () => {
      for (const el of document.querySelectorAll('[data-testid="inbox-item"][data-hazard-id]')) {
        const id = el.getAttribute('data-hazard-id');
        if (!(id in window.__firegridSeen)) window.__firegridSeen[id] = Date.now();
      }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
  });

  const community = await stack.community();
  const category = 'fire_access_occupied';
  const building = await buildingWithoutOpen(stack, community, category);
  const sent = Date.now();
  const hazardId = await reportHazard(stack, {
    building,
    category,
    description: `消防通道被占用（浏览器测试 ${sent}）`,
  });
  const answered = Date.now();

  const item = page.locator(`[data-testid="inbox-item"][data-hazard-id="${hazardId}"]`).first();
  await item.waitFor({ timeout: 20_000 });
  const seen = await page.evaluate((id) => window.__firegridSeen[id], hazardId);
  assert.equal(await page.evaluate(() => window.__firegridNoReload), true, 'the page was reloaded');
  console.log(
    `inbox push: hazard ${hazardId} appeared ${seen - sent} ms after the report was sent ` +
      `(the report call took ${answered - sent} ms)`,
  );

  assert.equal(await item.getAttribute('data-acknowledged'), 'false');
  // The task shows its guidance steps (its category's) and its deadline.
  await item.getByTestId('inbox-guidance').locator('li').first().waitFor();
  await item.getByTestId('inbox-deadline').waitFor();
  const notificationId = await item.getAttribute('data-notification-id');
  assert.ok(notificationId, 'the item names its notification');
  const note = `已安排人员核查 ${sent}`;
  await item.getByTestId('inbox-ack-note').fill(note);
  await item.getByTestId('inbox-ack-submit').click();

  // The acknowledged item: in place, or under the acknowledged tab.
  const acked = page.locator(`[data-testid="inbox-item"][data-notification-id="${notificationId}"][data-acknowledged="true"]`);
  await poll('the acknowledged item', async () => {
    if (await acked.count()) return true;
    const tab = page.getByTestId('inbox-tab-acknowledged');
    if ((await tab.count()) && (await page.locator(`[data-testid="inbox-item"][data-notification-id="${notificationId}"]`).count()) === 0) {
      await tab.click();
    }
    return (await acked.count()) > 0;
  });

  const inbox = await stack.ctlJson(['inbox', '--all'], { as: 'worker' });
  const n = (inbox.notifications ?? []).find((x) => x.notification_id === notificationId);
  assert.ok(n, `notify has notification ${notificationId} in the worker's inbox`);
  assert.equal(n.hazard_id, hazardId);
  assert.equal(n.acknowledged, true);
  assert.equal(n.acknowledgement_note, note);
  assert.deepEqual(page.errors, []);
});
