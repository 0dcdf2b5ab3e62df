import test from 'node:test';
import assert from 'node:assert/strict';
import { hashFor, parseHash } from '../src/router.js';

test('parses the page, its id and the query of a hash route', () => {
  assert.deepEqual(parseHash('#/hazards/hzd_01?status=STATUS_REPORTED&overdue=true'),
    { parts: ['hazards', 'hzd_01'], query: { status: 'STATUS_REPORTED', overdue: 'true' } });
  assert.deepEqual(parseHash('#/ledger?tier=500109002'), { parts: ['ledger'], query: { tier: '500109002' } });
  assert.deepEqual(parseHash(''), { parts: [], query: {} });
});

test('builds a hash that parses back, leaving out empty filters', () => {
  const h = hashFor(['credit'], { subject: 'sbj a/1', empty: '', off: false });
  assert.equal(h, '#/credit?subject=sbj+a%2F1');
  assert.deepEqual(parseHash(h), { parts: ['credit'], query: { subject: 'sbj a/1' } });
});
