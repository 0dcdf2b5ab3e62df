import test from 'node:test';
import assert from 'node:assert/strict';
import { listRequest } from '../src/requests.js';

test('the hazards filters in the hash become the ListHazards request', () => {
  assert.deepEqual(listRequest({
    status: 'STATUS_REPORTED', category: 'HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED',
    department: 'urban_management', overdue: 'true', unmatched: 'true', tier: '500109002',
  }, 'next'), {
    pageSize: 100, statuses: ['STATUS_REPORTED'], categories: ['HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED'],
    department: 'urban_management', overdue: true, unmatchedOnly: true, tierPathPrefix: '500109002',
    pageToken: 'next',
  });
});

test('no filter asks for everything in the caller\'s area; overdue is left unset, not false', () => {
  assert.deepEqual(listRequest({}), { pageSize: 100 });
  assert.deepEqual(listRequest({ overdue: '' }), { pageSize: 100 });
});
