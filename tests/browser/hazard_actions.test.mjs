// A lead department's officer verifies and assigns a reported hazard in the browser; the
// hazards service has it ASSIGNED with what the officer entered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack } from './support/stack.mjs';
import { goHash, launchBrowser, newPage, signIn, statusName } from './support/browser.mjs';
import { buildingWithoutOpen, reportHazard } from './support/demo.mjs';

const stack = await useStack();
const browser = await launchBrowser();

// A date `days` from now in China time (the deadline input's YYYY-MM-DD).
function chinaDate(days) {
  const t = new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000);
  return t.toISOString().slice(0, 10);
}

async function act(page, action, fill = async () => {}) {
  await page.getByTestId(`hazard-action-${action}`).click();
  await fill();
  await page.getByTestId('hazard-action-confirm').click();
}

test('a department officer verifies and assigns a hazard in the browser and the service has it assigned', async () => {
  // Fire access unmarked: urban management leads (config/hazards_rules.textproto).
  const community = await stack.community();
  const category = 'fire_access_unmarked';
  const building = await buildingWithoutOpen(stack, community, category);
  const hazardId = await reportHazard(stack, {
    building,
    category,
    description: `消防车道标识缺失（浏览器测试 ${Date.now()}）`,
  });

  const page = await newPage(browser);
  await signIn(page, stack, 'dept');
  await goHash(page, `#/hazards/${hazardId}`);
  const detail = page.getByTestId('hazard-detail');
  await page.locator('[data-testid="hazard-detail"][data-status="STATUS_REPORTED"]').waitFor();
  assert.ok((await page.getByTestId('hazard-audit-entry').count()) >= 1, 'the audit trail shows the report');

  await act(page, 'verify', () => page.getByTestId('hazard-action-note').fill('现场核实属实'));
  await page.locator('[data-testid="hazard-detail"][data-status="STATUS_VERIFIED"]').waitFor();

  const deadline = chinaDate(10);
  const party = '北碚区测试物业管理有限公司';
  await act(page, 'assign', async () => {
    await page.getByTestId('assign-responsible-party').fill(party);
    await page.getByTestId('assign-deadline').fill(deadline);
    await page.getByTestId('hazard-action-note').fill('请于期限内整改');
  });
  await page.locator('[data-testid="hazard-detail"][data-status="STATUS_ASSIGNED"]').waitFor();
  assert.equal(await detail.getAttribute('data-status'), 'STATUS_ASSIGNED');
  assert.equal(await page.getByTestId('hazard-action-error').count(), 0);

  const got = await stack.ctlJson(['hazards', 'get', hazardId]);
  const hazard = got.hazard ?? got;
  assert.equal(statusName(hazard.status), 'STATUS_ASSIGNED');
  assert.equal(hazard.assignment?.responsible_party, party);
  const due = new Date(Date.parse(hazard.assignment.deadline) + 8 * 3_600_000).toISOString().slice(0, 10);
  assert.equal(due, deadline, 'the deadline is the date entered (China time)');
  const actions = JSON.stringify(hazard.audit ?? got.audit ?? []);
  assert.match(actions, /verif/i, 'the audit records the verification');
  assert.match(actions, /assign/i, 'the audit records the assignment');
  assert.deepEqual(page.errors, []);
});
