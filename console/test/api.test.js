import test from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, call, refreshAccessToken } from '../src/api.js';
import { accessToken, setAccessToken } from '../src/session.js';

function json(status, body) {
  return { ok: status >= 200 && status < 300, status, json: async () => body, text: async () => JSON.stringify(body) };
}

function withFetch(handler, fn) {
  const calls = [];
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    const headers = new Headers(init.headers || {});
    calls.push({ url, method: init.method, auth: headers.get('Authorization'), csrf: headers.get('X-Firegrid-CSRF'),
      body: init.body });
    return handler(url, headers, calls.length);
  };
  return fn(calls).finally(() => {
    globalThis.fetch = saved;
  });
}

test('a call posts proto3 JSON to /api/v1/<service>/<Method> with the bearer token', async () => {
  setAccessToken('tok-1');
  await withFetch(() => json(200, { hazards: [] }), async (calls) => {
    const res = await call('hazards', 'ListHazards', { pageSize: 5 });
    assert.deepEqual(res, { hazards: [] });
    assert.equal(calls[0].url, '/api/v1/firegrid.hazards.v1.HazardService/ListHazards');
    assert.equal(calls[0].method, 'POST');
    assert.equal(calls[0].auth, 'Bearer tok-1');
    assert.equal(calls[0].body, '{"pageSize":5}');
  });
});

test('a 401 refreshes once with the CSRF header and retries with the new token', async () => {
  setAccessToken('old');
  await withFetch((url, headers) => {
    if (url === '/api/v1/auth/refresh') return json(200, { accessToken: 'new' });
    return headers.get('Authorization') === 'Bearer new' ? json(200, { ok: 1 }) : json(401, { code: 'UNAUTHENTICATED' });
  }, async (calls) => {
    assert.deepEqual(await call('notify', 'ListInbox', {}), { ok: 1 });
    assert.deepEqual(calls.map((c) => c.url), [
      '/api/v1/firegrid.notify.v1.NotifyService/ListInbox', '/api/v1/auth/refresh',
      '/api/v1/firegrid.notify.v1.NotifyService/ListInbox']);
    assert.equal(calls[1].csrf, '1');
    assert.equal(accessToken(), 'new');
  });
});

test('when the refresh fails the session ends and the caller gets UNAUTHENTICATED', async () => {
  setAccessToken('old');
  await withFetch((url) => (url === '/api/v1/auth/refresh' ? json(401, {}) : json(401, { code: 'UNAUTHENTICATED', message: 'expired' })),
    async (calls) => {
      await assert.rejects(call('notify', 'ListInbox', {}), (e) => e instanceof ApiError && e.status === 401 && e.code === 'UNAUTHENTICATED');
      assert.equal(calls.filter((c) => c.url === '/api/v1/auth/refresh').length, 1);
      assert.equal(accessToken(), null);
    });
});

test('concurrent refreshes share one request (the refresh token is single use)', async () => {
  await withFetch(async () => json(200, { accessToken: 'x' }), async (calls) => {
    const [a, b] = await Promise.all([refreshAccessToken(), refreshAccessToken()]);
    assert.equal(a, true);
    assert.equal(b, true);
    assert.equal(calls.length, 1);
  });
});

test('an error answer becomes an ApiError with the gRPC code and the message', async () => {
  setAccessToken('t');
  await withFetch(() => json(409, { code: 'FAILED_PRECONDITION', message: 'cannot verify a hazard in status STATUS_ASSIGNED' }),
    async () => {
      await assert.rejects(call('hazards', 'VerifyHazard', {}), (e) =>
        e.status === 409 && e.code === 'FAILED_PRECONDITION' && /STATUS_ASSIGNED/.test(e.message));
    });
});
