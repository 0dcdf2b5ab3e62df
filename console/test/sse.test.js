import test from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, connectEvents, createEventStreamParser } from '../src/sse.js';

function collect(chunks) {
  const events = [];
  const p = createEventStreamParser((e) => events.push(e));
  for (const c of chunks) p.feed(c);
  return { events, parser: p };
}

test('parses events split anywhere across chunks', () => {
  const text = 'id: a=1\nevent: notification\ndata: {"notificationId":"ntf_1"}\n\n' +
    ': heartbeat\n\nid: a=2\nevent: caught_up\n\n';
  for (let cut = 1; cut < text.length; cut++) {
    const { events } = collect([text.slice(0, cut), text.slice(cut)]);
    assert.deepEqual(events, [
      { type: 'notification', data: '{"notificationId":"ntf_1"}', id: 'a=1' },
      { type: 'caught_up', data: '', id: 'a=2' },
    ], `cut at ${cut}`);
  }
});

test('accepts CRLF and CR line ends, even with CR and LF in separate chunks', () => {
  const { events } = collect(['event: notification\r', '\ndata: x\r\r', 'data: y\rdata: z\r\n\r\n']);
  assert.deepEqual(events.map((e) => e.data), ['x', 'y\nz']);
});

test('joins data lines, drops one leading space, ignores comments and unknown fields', () => {
  const { events } = collect(['data:  two spaces\ndata:none\nretry: 5\nfoo: bar\n: c\n\n']);
  assert.deepEqual(events, [{ type: 'message', data: ' two spaces\nnone', id: '' }]);
});

test('keeps the last event id for later events and ignores an id with NUL', () => {
  const { events, parser } = collect(['id: 7\ndata: a\n\nid: bad\0id\ndata: b\n\n']);
  assert.deepEqual(events.map((e) => e.id), ['7', '7']);
  assert.equal(parser.lastEventId, '7');
});

test('does not dispatch a blank line with neither type nor data', () => {
  const { events } = collect(['\n\n: only a comment\n\n']);
  assert.equal(events.length, 0);
});

test('backoff doubles from half a second up to thirty seconds, jitter lowering it at most 30 %', () => {
  assert.equal(backoffDelay(0, () => 0), 500);
  assert.equal(backoffDelay(1, () => 0), 1000);
  assert.equal(backoffDelay(3, () => 0), 4000);
  assert.equal(backoffDelay(20, () => 0), 30000);
  assert.equal(backoffDelay(20, () => 1), 21000);
});

function streamOf(text) {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes.slice(0, 10));
      c.enqueue(bytes.slice(10));
      c.close();
    },
  });
}

test('reconnects after the stream ends, sending the last event id, and reports its states', async () => {
  const requests = [];
  const states = [];
  const got = [];
  let conn;
  const done = new Promise((resolve) => {
    const fetchImpl = async (url, init) => {
      requests.push(init.headers['Last-Event-ID'] || '');
      if (requests.length === 1) {
        return { ok: true, status: 200, body: streamOf(
          'id: r=1\nevent: notification\ndata: {"notificationId":"ntf_1"}\n\nevent: caught_up\n\n') };
      }
      resolve();
      return new Promise(() => {});
    };
    conn = connectEvents({
      fetchImpl,
      onState: (s) => states.push(s),
      onNotification: (n, { live }) => got.push([n.notificationId, live]),
    });
  });
  await done;
  conn.close();
  assert.deepEqual(requests, ['', 'r=1']);
  assert.deepEqual(got, [['ntf_1', false]]);
  assert.deepEqual(states, ['connecting', 'live', 'offline', 'connecting']);
});

test('keeps the last event id in storage and resumes from it', async () => {
  const store = new Map([['k', 'r=9']]);
  const storage = { getItem: (k) => store.get(k) || null, setItem: (k, v) => store.set(k, v) };
  let seen = null;
  let conn;
  await new Promise((resolve) => {
    conn = connectEvents({
      storage,
      storageKey: 'k',
      fetchImpl: async (url, init) => {
        if (seen === null) {
          seen = init.headers['Last-Event-ID'];
          return { ok: true, status: 200, body: streamOf('id: r=10\nevent: caught_up\n\n') };
        }
        resolve();
        return new Promise(() => {});
      },
      onState: () => {},
      onNotification: () => {},
    });
  });
  conn.close();
  assert.equal(seen, 'r=9');
  assert.equal(store.get('k'), 'r=10');
});

test('a stream that goes silent past the idle limit is reopened from the last event id', async () => {
  const requests = [];
  let conn;
  await new Promise((resolve) => {
    conn = connectEvents({
      idleMs: 100,
      fetchImpl: async (url, init) => {
        requests.push(init.headers['Last-Event-ID'] || '');
        if (requests.length === 2) {
          resolve();
          return new Promise(() => {});
        }
        // Sends one event and then nothing, never ending (a half-open connection); only the
        // abort of the idle check ends the read.
        const body = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('id: r=3\nevent: caught_up\n\n'));
            init.signal.addEventListener('abort', () => c.error(new Error('aborted')));
          },
        });
        return { ok: true, status: 200, body };
      },
      onState: () => {},
      onNotification: () => {},
    });
  });
  conn.close();
  assert.deepEqual(requests, ['', 'r=3']);
});

test('a refused resume point (400) is dropped and the stream starts over with a full replay', async () => {
  const store = new Map([['k', 'stale']]);
  const storage = { getItem: (k) => store.get(k) || null, setItem: (k, v) => store.set(k, v),
    removeItem: (k) => store.delete(k) };
  const requests = [];
  let conn;
  await new Promise((resolve) => {
    conn = connectEvents({
      storage,
      storageKey: 'k',
      fetchImpl: async (url, init) => {
        requests.push(init.headers['Last-Event-ID'] || '');
        if (requests.length === 1) return { ok: false, status: 400, body: null };
        resolve();
        return new Promise(() => {});
      },
      onState: () => {},
      onNotification: () => {},
    });
  });
  conn.close();
  assert.deepEqual(requests, ['stale', '']);
  assert.equal(store.has('k'), false);
});
