// Sign-in with an OpenID Connect provider instead of the built-in accounts: a second gateway on
// the private stack is configured with sign_in.oidc pointing at a provider this test runs on
// loopback. The provider signs in whoever arrives (as a provider with a live single sign-on
// session would) and issues RS256 access tokens with the stack's token key, which every service
// of the stack already verifies. The browser runs the whole code flow (gateway → provider →
// gateway callback → console), the worker's live inbox opens with the provider's token, and the
// refresh cookie renews it through the provider's refresh grant.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, useStack, waitFor } from './support/stack.mjs';
import { launchBrowser, newPage } from './support/browser.mjs';

const stack = await useStack();
const browser = await launchBrowser();

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// A free loopback port (the kernel's choice, released for the gateway to bind).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function readForm(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

// The provider: /auth redirects straight back with a code bound to the PKCE challenge; /token
// redeems codes (verifier checked) and refresh tokens.
async function startProvider(signingKeyPem, claims) {
  const key = createPrivateKey(signingKeyPem);
  const codes = new Map();
  const seen = { authorize: [], token: [] };
  let refresh = '';
  const accessToken = () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'test-provider' }));
    const payload = b64url(JSON.stringify({ ...claims, iat: now, exp: now + 600 }));
    return `${header}.${payload}.${b64url(sign('sha256', Buffer.from(`${header}.${payload}`), key))}`;
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/auth') {
      const q = Object.fromEntries(url.searchParams);
      seen.authorize.push(q);
      const code = b64url(randomBytes(16));
      codes.set(code, q.code_challenge);
      const back = new URL(q.redirect_uri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.state);
      res.writeHead(302, { Location: back.toString() }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const form = await readForm(req);
      seen.token.push(Object.fromEntries(form));
      const refuse = () => res.writeHead(400, { 'Content-Type': 'application/json' })
        .end('{"error":"invalid_grant"}');
      if (form.get('grant_type') === 'authorization_code') {
        const challenge = codes.get(form.get('code'));
        codes.delete(form.get('code'));
        const verifier = form.get('code_verifier') || '';
        if (!challenge || b64url(createHash('sha256').update(verifier).digest()) !== challenge) return refuse();
      } else if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== refresh) {
        return refuse();
      }
      refresh = b64url(randomBytes(24));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({
        access_token: accessToken(), token_type: 'Bearer', expires_in: 600, refresh_token: refresh,
      }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  after(() => server.close());
  return { port: server.address().port, seen };
}

// A gateway like the run command's, but with sign_in.oidc; stopped by PID after the tests.
async function startOidcGateway(providerPort) {
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const config = path.join(stack.tmp, 'gateway-oidc.textproto');
  const provider = `http://127.0.0.1:${providerPort}`;
  await writeFile(config, `sign_in { oidc {
  issuer: "${provider}"
  client_id: "firegrid-console"
  authorization_endpoint: "${provider}/auth"
  token_endpoint: "${provider}/token"
  redirect_uri: "${base}/api/v1/auth/oidc/callback"
} }
`);
  const addr = (name) => `127.0.0.1:${stack.port(name)}`;
  const logFile = path.join(stack.tmp, 'gateway-oidc.log');
  let log = '';
  const bootstrap = (await readFile(stack.stateFile('kafka.bootstrap'), 'utf8')).trim();
  const child = spawn(path.join(stack.buildDir, 'services/gateway/firegrid-gateway'), [
    '--grpc-address=127.0.0.1:0', '--metrics-address=127.0.0.1:0', `--redis-addr=127.0.0.1:${stack.redisPort}`, `--kafka-bootstrap=${bootstrap}`,
    `--jwt-hs256-key-file=${stack.stateFile('dev-jwt.key')}`, '--jwt-allow-hs256',
    `--jwt-rs256-public-key-file=${stack.stateFile('accounts-signing-key.pub.pem')}`,
    '--http-address=127.0.0.1', `--http-port=${httpPort}`, `--config-file=${config}`, `--evidence-dir=${path.join(stack.tmp, 'evidence-oidc')}`,
    `--console-dir=${path.join(ROOT, 'console', 'dist')}`,
    ...['buildings', 'hazards', 'notify', 'credit', 'monitoring', 'accounts'].map((s) => `--${s}-addr=${addr(s)}`),
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c) => { log += c; });
  child.stderr.on('data', (c) => { log += c; });
  after(async () => {
    // Stopped by its PID; waited for (SIGKILL if it has not exited within 10 s).
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await writeFile(logFile, log);
  });
  await waitFor(`the OIDC gateway at ${base}/ (log: ${logFile})`, async () => {
    if (child.exitCode !== null) throw new Error(`the gateway exited ${child.exitCode}:\n${log}`);
    try {
      return (await fetch(`${base}/api/v1/auth/config`)).ok;
    } catch {
      return false;
    }
  }, { timeoutMs: 30_000 });
  return base;
}

const community = await stack.community();
const provider = await startProvider(await readFile(stack.stateFile('accounts-signing-key.pem'), 'utf8'), {
  sub: 'oidc:grid-worker-7',
  role: 'community_worker',
  org_unit: community,
  tier_path: community,
});
const gateway = await startOidcGateway(provider.port);

test('a worker signs in through the OpenID provider, the live inbox opens with its token, and refresh renews it at the provider', async () => {
  const page = await newPage(browser);
  await page.goto(`${gateway}/#/signin`);
  await page.getByTestId('signin-oidc').click();
  await page.waitForURL(/#\/inbox/);
  assert.match(await page.getByTestId('whoami').textContent(), /oidc:grid-worker-7/);
  await page.getByTestId('inbox-live').and(page.locator('[data-state="live"]')).waitFor();

  assert.equal(provider.seen.authorize.length, 1);
  const asked = provider.seen.authorize[0];
  assert.equal(asked.code_challenge_method, 'S256');
  assert.equal(asked.client_id, 'firegrid-console');
  assert.equal(asked.redirect_uri, `${gateway}/api/v1/auth/oidc/callback`);
  assert.equal(provider.seen.token.length, 1);
  assert.equal(provider.seen.token[0].grant_type, 'authorization_code');
  assert.ok(!page.url().includes('code='), 'no code or token in the console URL');

  // The refresh token is in the HttpOnly cookie only: the page cannot read it, and refresh
  // renews the access token through the provider.
  assert.equal(await page.evaluate(() => document.cookie), '');
  const renewed = await page.evaluate(async () => {
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST', headers: { 'X-Firegrid-CSRF': '1', 'Content-Type': 'application/json' }, body: '{}',
    });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  assert.equal(renewed.body.user.subject, 'oidc:grid-worker-7');
  assert.equal(provider.seen.token.at(-1).grant_type, 'refresh_token');
  assert.deepEqual(page.errors, []);
});

test('a callback whose state is not the browser\'s own ends on the sign-in page with an error', async () => {
  const page = await newPage(browser);
  await page.goto(`${gateway}/api/v1/auth/oidc/callback?code=stolen&state=forged`);
  await page.waitForURL(/#\/signin\?oidc=state/);
  await page.getByTestId('signin-error').waitFor();
  assert.equal(await page.getByTestId('whoami').count(), 0);
});
