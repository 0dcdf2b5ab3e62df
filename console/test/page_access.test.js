import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FALLBACK_PAGES, PAGES_BY_ROLE, homePage, mayUse, pagesFor } from '../src/page_access.js';
import { ROLES } from '../src/enums.js';

// pages/index.js's NAV and ROUTES' names, read from its text (the page modules need the build's
// department import, so node does not load them).
const INDEX = readFileSync(new URL('../src/pages/index.js', import.meta.url), 'utf8');
const NAV = JSON.parse(/export const NAV = (\[[^\]]*\])/.exec(INDEX)[1].replace(/'/g, '"'));
const ROUTE_NAMES = [.../export const ROUTES = \{([\s\S]*?)\n\};/.exec(INDEX)[1].matchAll(/^  (\w+):/gm)]
  .map((m) => m[1]);
// The entries the navigation shows a role (NAV of pages/index.js, filtered like app.js does).
const navOf = (role) => NAV.filter((page) => mayUse(role, page));

test('district-level and area roles get every navigation entry and the building page', () => {
  for (const role of ['district_admin', 'department_officer', 'street_officer', 'community_worker']) {
    assert.deepEqual(navOf(role), NAV, role);
    assert.ok(mayUse(role, 'buildings'), role);
  }
});

test('a micro station gets its inbox and the alarms, nothing that lists hazards or buildings', () => {
  assert.deepEqual(navOf('micro_station'), ['inbox', 'alarms']);
  for (const page of ['hazards', 'ledger', 'buildings', 'figures', 'credit', 'map']) {
    assert.equal(mayUse('micro_station', page), false, page);
  }
});

test('a building manager gets its inbox, hazards, map and its buildings, not the ledger, figures, credit or alarms', () => {
  assert.deepEqual(navOf('building_manager'), ['inbox', 'hazards', 'map']);
  assert.ok(mayUse('building_manager', 'buildings'));
});

test('service agencies, IoT gateways and internal services get the inbox only', () => {
  for (const role of ['service_agency', 'iot_gateway', 'internal_service']) {
    assert.deepEqual(pagesFor(role), ['inbox'], role);
  }
});

test('a public channel gets its hazards and no inbox, and lands on the hazards', () => {
  assert.deepEqual(pagesFor('public_channel'), ['hazards']);
  assert.equal(mayUse('public_channel', 'inbox'), false);
  assert.equal(homePage('public_channel'), 'hazards');
});

test('an unknown role, an empty role and no role get the inbox only (fail closed)', () => {
  for (const role of ['mayor', 'DISTRICT_ADMIN', '', undefined, null, 'constructor', '__proto__', 'toString']) {
    assert.deepEqual(pagesFor(role), ['inbox'], String(role));
    assert.equal(mayUse(role, 'hazards'), false, String(role));
    assert.equal(homePage(role), 'inbox', String(role));
  }
  assert.deepEqual(FALLBACK_PAGES, ['inbox']);
});

test('the table names exactly the console roles, and only pages the router has', () => {
  assert.deepEqual(Object.keys(PAGES_BY_ROLE).sort(), [...ROLES].sort());
  assert.deepEqual(NAV, ['inbox', 'hazards', 'ledger', 'figures', 'credit', 'alarms', 'map']);
  const pages = new Set(ROUTE_NAMES);
  assert.ok(pages.has('buildings') && pages.has('inbox'), `routes read: ${ROUTE_NAMES}`);
  for (const [role, list] of Object.entries(PAGES_BY_ROLE)) {
    for (const page of list) assert.ok(pages.has(page), `${role}: ${page}`);
  }
});

test('every role but public_channel lands on the inbox', () => {
  for (const role of ROLES.filter((r) => r !== 'public_channel')) assert.equal(homePage(role), 'inbox', role);
});
