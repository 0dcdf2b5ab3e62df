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

test('the inbox merges the listing and the live stream, and an acknowledgement updates the item', async () => {
  const { inbox } = await import('../src/inbox_store.js');
  const { setAccessToken } = await import('../src/session.js');
  setAccessToken('t');
  const json = (body) => ({ ok: true, status: 200, json: async () => body, text: async () => JSON.stringify(body) });
  const acked = [];
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    if (url.endsWith('/ListInbox')) {
      return json({ notifications: [{ notificationId: 'ntf_old', requiresAck: true, acknowledged: false, createdAt: '2026-12-06T01:00:00Z' }] });
    }
    if (url === '/api/v1/events') {
      const text = 'id: o=1\nevent: notification\ndata: {"notificationId":"ntf_old","requiresAck":true}\n\n' +
        'event: caught_up\ndata: {}\n\n' +
        'id: o=2\nevent: notification\ndata: {"notificationId":"ntf_new","requiresAck":true,"hazardId":"hzd_1"}\n\n';
      const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(text)); } });
      return { ok: true, status: 200, body };
    }
    if (url.endsWith('/Acknowledge')) {
      const req = JSON.parse(init.body);
      acked.push(req);
      return json({ notificationId: req.notificationId, acknowledged: true, read: true, acknowledgementNote: req.note });
    }
    throw new Error(`unexpected ${url}`);
  };
  try {
    const ready = new Promise((resolve) => {
      const off = inbox.subscribe((s) => {
        if (s.stream === 'live' && s.listed && s.items.has('ntf_new')) {
          off();
          resolve();
        }
      });
    });
    inbox.start('user:w');
    await ready;
    assert.deepEqual([...inbox.state.items.keys()].sort(), ['ntf_new', 'ntf_old']);
    await inbox.acknowledge('ntf_new', '已安排');
    assert.deepEqual(acked, [{ notificationId: 'ntf_new', note: '已安排' }]);
    const n = inbox.state.items.get('ntf_new');
    assert.equal(n.acknowledged, true);
    assert.equal(n.hazardId, 'hzd_1', 'what the stream said is kept');
    assert.equal(n.acknowledgementNote, '已安排');
  } finally {
    inbox.stop();
    globalThis.fetch = saved;
  }
});
