import test from 'node:test';
import assert from 'node:assert/strict';
import { isPending, mergeNotification, sortNotifications } from '../src/inbox_store.js';

test('an acknowledgement is kept when an older view of the notification arrives later', () => {
  const acked = { notificationId: 'n', acknowledged: true, read: true, acknowledgedBy: 'user:w',
    acknowledgementNote: '已安排', acknowledgedAt: '2026-12-06T01:00:00Z' };
  const replayed = { notificationId: 'n', acknowledged: false, read: false, title: 'T' };
  const m = mergeNotification(acked, replayed);
  assert.equal(m.acknowledged, true);
  assert.equal(m.read, true);
  assert.equal(m.acknowledgedBy, 'user:w');
  assert.equal(m.acknowledgementNote, '已安排');
  assert.equal(m.title, 'T');
});

test('a task needing acknowledgement stays pending until acknowledged, even when read', () => {
  assert.equal(isPending({ requiresAck: true, read: true, acknowledged: false }), true);
  assert.equal(isPending({ requiresAck: true, read: true, acknowledged: true }), false);
  assert.equal(isPending({ requiresAck: false, read: false }), true);
  assert.equal(isPending({ requiresAck: false, read: true }), false);
});

test('urgent unacknowledged notifications come first, then the newest', () => {
  const list = sortNotifications([
    { notificationId: 'a', createdAt: '2026-12-06T01:00:00Z' },
    { notificationId: 'b', createdAt: '2026-12-06T03:00:00Z' },
    { notificationId: 'c', createdAt: '2026-12-06T00:00:00Z', priority: 'PRIORITY_URGENT' },
    { notificationId: 'd', createdAt: '2026-12-06T04:00:00Z', priority: 'PRIORITY_URGENT',
      acknowledged: true },
  ]);
  assert.deepEqual(list.map((n) => n.notificationId), ['c', 'd', 'b', 'a']);
});
