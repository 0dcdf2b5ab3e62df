// A private firegrid stack for the browser tests: deploy/run-local.sh --detach --skip-build with
// its own state directory, Redis port and service ports (FIREGRID_PORT_OFFSET), stopped by
// deploy/stop-local.sh (by PID) with the same environment — always, also when a test fails.
//
// run.mjs starts one stack for every test file and hands its description to them in
// FIREGRID_BROWSER_STACK (a JSON file); a test file run on its own (node --test x.test.mjs)
// starts and stops its own stack through useStack().
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// The ports of deploy/lib/stack.sh (FIREGRID_SERVICES), the gateway's HTTP port and the MQTT
// port; every one moves by FIREGRID_PORT_OFFSET.
export const BASE_PORTS = {
  buildings: 50051,
  hazards: 50052,
  notify: 50053,
  credit: 50054,
  monitoring: 50055,
  accounts: 50056,
  gateway: 50057,
  http: 8080,
  mqtt: 1883,
};
const METRICS_PORTS = [9464, 9465, 9466, 9467, 9468, 9469, 9470];

// True when nothing listens on 127.0.0.1:port and we may bind it.
function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// The kernel's ephemeral port range: a port in it may be taken by any outgoing connection
// meanwhile, and a connection attempt to it can even connect to itself (run-local's "in use"
// check then fails).
async function ephemeralRange() {
  try {
    const [lo, hi] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    return { lo, hi };
  } catch {
    return { lo: 32768, hi: 60999 };
  }
}

// An offset that frees every port of the stack, none in the ephemeral range, and a free Redis
// port.
async function choosePorts() {
  const { lo, hi } = await ephemeralRange();
  const outside = (p) => p < lo || p > hi;
  for (let attempt = 0; attempt < 200; attempt++) {
    const offset = 1000 + Math.floor(Math.random() * 14400);
    const redisPort = 20000 + Math.floor(Math.random() * 10000);
    const ports = [...Object.values(BASE_PORTS), ...METRICS_PORTS].map((p) => p + offset);
    if (ports.includes(redisPort)) continue;
    ports.push(redisPort);
    if (!ports.every((p) => p < 65536 && outside(p))) continue;
    let ok = true;
    for (const p of ports) {
      if (!(await portFree(p))) {
        ok = false;
        break;
      }
    }
    if (ok) return { offset, redisPort };
  }
  throw new Error('no free set of ports outside the ephemeral range found for a private stack');
}

function run(file, args, { env, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        err.stdout = stdout;
        err.stderr = stderr;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

// Polls `probe` (async, returns a truthy value when the condition holds) until it holds or
// `timeoutMs` passed; returns its value. The pause between probes is only pacing.
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// The claims of a JWT (not verified: the services do that).
export function jwtClaims(token) {
  const payload = token.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

async function exists(file) {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

// Parses $STATE/demo-users.txt as the demo loader writes it: a comment line
// "# ... Password: <password>", then one user a line, "username role org_unit totp_secret".
export function parseDemoUsers(text) {
  const password = /Password:\s*(\S+)/.exec(text)?.[1];
  const users = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [username, role, orgUnit, totpSecret] = line.split(/\s+/);
    if (username && totpSecret) users.push({ username, role, orgUnit, totpSecret, password });
  }
  return users;
}

export class Stack {
  constructor(desc) {
    Object.assign(this, desc);
    this.ctlPath = path.join(this.buildDir, 'tools/firegridctl/firegridctl');
    this.baseUrl = `http://127.0.0.1:${this.ports.http}`;
  }

  port(name) {
    return this.ports[name];
  }

  stateFile(name) {
    return path.join(this.stateDir, name);
  }

  async token(kind) {
    const files = {
      admin: 'dev-token',
      dept: 'dev-token-urban_management',
      worker: 'dev-token-community',
    };
    return (await readFile(this.stateFile(files[kind]), 'utf8')).trim();
  }

  tokenFile(kind) {
    return this.stateFile(
      { admin: 'dev-token', dept: 'dev-token-urban_management', worker: 'dev-token-community' }[kind],
    );
  }

  // The community (12-digit tier path) of the demo grid worker's token.
  async community() {
    return jwtClaims(await this.token('worker')).tier_path;
  }

  ctlEnv() {
    const env = { ...process.env };
    delete env.FIREGRID_TOKEN;
    delete env.FIREGRID_TOKEN_FILE;
    delete env.FIREGRID_DEV_KEY_FILE;
    env.FIREGRID_ADDR = `127.0.0.1:${this.ports.buildings}`;
    env.FIREGRID_HAZARDS_ADDR = `127.0.0.1:${this.ports.hazards}`;
    env.FIREGRID_NOTIFY_ADDR = `127.0.0.1:${this.ports.notify}`;
    env.FIREGRID_CREDIT_ADDR = `127.0.0.1:${this.ports.credit}`;
    env.FIREGRID_MONITORING_ADDR = `127.0.0.1:${this.ports.monitoring}`;
    env.FIREGRID_ACCOUNTS_ADDR = `127.0.0.1:${this.ports.accounts}`;
    return env;
  }

  // A development token for any principal, minted with the stack's key (firegridctl token), e.g.
  // a micro station's duty staff: { role: 'micro_station', tierPath, orgUnit: 'mfs_…', subject }.
  async mintToken({ role, tierPath, subject, orgUnit = '', department = '' }) {
    const args = ['token', '--role', role, '--tier-path', tierPath, '--subject', subject, '--ttl', '1h',
      '--key-file', this.stateFile('dev-jwt.key')];
    if (orgUnit) args.push('--org-unit', orgUnit);
    if (department) args.push('--department', department);
    return (await this.ctl(args, { as: null })).trim();
  }

  // firegridctl ARGS as `as` (admin | dept | worker, or null for no token); returns stdout.
  async ctl(args, { as = 'admin' } = {}) {
    const full = as ? ['--token-file', this.tokenFile(as), ...args] : args;
    try {
      const { stdout } = await run(this.ctlPath, full, { env: this.ctlEnv(), timeoutMs: 60_000 });
      return stdout;
    } catch (e) {
      throw new Error(`firegridctl ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
    }
  }

  // firegridctl ARGS --output json, parsed.
  async ctlJson(args, opts) {
    return JSON.parse(await this.ctl([...args, '--output', 'json'], opts));
  }

  // True when firegridctl knows the command `words` (e.g. ['accounts', 'totp-code']).
  async ctlHas(words) {
    try {
      await run(this.ctlPath, [...words, '--help'], { env: this.ctlEnv(), timeoutMs: 10_000 });
      return true;
    } catch {
      return false;
    }
  }

  // The demo users of $STATE/demo-users.txt (accounts), [] when there are none.
  async demoUsers() {
    const file = this.stateFile('demo-users.txt');
    if (!(await exists(file))) return [];
    return parseDemoUsers(await readFile(file, 'utf8'));
  }

  // A TOTP code for a demo user (firegridctl accounts totp-code). Accounts takes a code once,
  // so a second sign-in of the same user waits for the next code (the codes used are kept
  // beside the stack, for every test file).
  async totpCode(user) {
    const file = path.join(this.tmp, 'totp-used.json');
    let used = {};
    if (await exists(file)) used = JSON.parse(await readFile(file, 'utf8'));
    const code = await waitFor(
      `a TOTP code for ${user.username} not used yet`,
      async () => {
        const out = await this.ctl(['accounts', 'totp-code', '--secret', user.totpSecret], { as: null });
        const m = /\b(\d{6})\b/.exec(out);
        if (!m) throw new Error(`no code in "${out.trim()}"`);
        return m[1] !== used[user.username] ? m[1] : null;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    used[user.username] = code;
    await writeFile(file, JSON.stringify(used));
    return code;
  }

  // The Open311 demo API keys the run command wrote: { channel: key }.
  async open311Keys() {
    const file = this.stateFile('open311-api-keys');
    const keys = {};
    for (const raw of (await readFile(file, 'utf8')).split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const [channel, key] = line.split(/\s+/);
      keys[channel] = key;
    }
    return keys;
  }
}

function stackEnv(desc) {
  return {
    ...process.env,
    FIREGRID_STATE_DIR: desc.stateDir,
    FIREGRID_BUILD_DIR: desc.buildDir,
    FIREGRID_PORT_OFFSET: String(desc.offset),
    FIREGRID_REDIS_PORT: String(desc.redisPort),
  };
}

// Starts a private demo stack; throws (after stopping what started) when it does not come up.
export async function startStack({ log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  const buildDir = process.env.FIREGRID_BUILD_DIR || path.join(ROOT, 'build');
  const consoleIndex = path.join(ROOT, 'console/dist/index.html');
  for (const [file, hint] of [
    [path.join(buildDir, 'tools/firegridctl/firegridctl'), 'build firegrid first (deploy/test.sh does)'],
    [consoleIndex, 'build the console first: deploy/test.sh does, or (cd console && npm ci && npm run build)'],
  ]) {
    if (!(await exists(file))) throw new Error(`${file} is missing: ${hint}`);
  }
  const tmp = await mkdtemp(path.join(tmpdir(), 'firegrid-browser-'));
  const { offset, redisPort } = await choosePorts();
  const ports = Object.fromEntries(Object.entries(BASE_PORTS).map(([k, v]) => [k, v + offset]));
  const desc = { tmp, stateDir: path.join(tmp, 'state'), buildDir, offset, redisPort, ports, owner: process.pid };
  const env = stackEnv(desc);
  const started = Date.now();
  log(`starting a private stack (state ${desc.stateDir}, port offset ${offset}, redis ${redisPort})`);
  const out = path.join(tmp, 'run-local.out');
  const code = await new Promise((resolve) => {
    const child = spawn('bash', [path.join(ROOT, 'deploy/run-local.sh'), '--detach', '--skip-build'], {
      env,
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('close', async (c) => {
      await writeFile(out, Buffer.concat(chunks));
      resolve(c);
    });
  });
  const stack = new Stack(desc);
  if (code !== 0) {
    const text = await readFile(out, 'utf8');
    await stopStack(desc);
    throw new Error(`deploy/run-local.sh failed (status ${code}):\n${text.split('\n').slice(-40).join('\n')}`);
  }
  stack.runOutput = await readFile(out, 'utf8');
  try {
    // run-local waits for every service's gRPC health; the console is served on the HTTP port.
    await waitFor(`the gateway at ${stack.baseUrl}/`, async () => {
      const res = await fetch(`${stack.baseUrl}/`);
      return res.status === 200 && (await res.text()).includes('<');
    });
  } catch (e) {
    await stopStack(desc);
    throw e;
  }
  log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; console ${stack.baseUrl}/`);
  return stack;
}

// Stops a stack started by startStack (deploy/stop-local.sh with its environment) and removes
// its temp directory.
export async function stopStack(desc) {
  try {
    await run('bash', [path.join(ROOT, 'deploy/stop-local.sh')], { env: stackEnv(desc), timeoutMs: 180_000 });
  } finally {
    if (!process.env.FIREGRID_BROWSER_KEEP_STATE) await rm(desc.tmp, { recursive: true, force: true });
  }
}

export async function writeStackDescription(stack, file) {
  const { tmp, stateDir, buildDir, offset, redisPort, ports, runOutput } = stack;
  await writeFile(file, JSON.stringify({ tmp, stateDir, buildDir, offset, redisPort, ports, runOutput }));
}

// The stack for a test file: the one run.mjs started (FIREGRID_BROWSER_STACK), else a private
// one started now and stopped after the file's tests.
export async function useStack() {
  const file = process.env.FIREGRID_BROWSER_STACK;
  if (file) return new Stack(JSON.parse(await readFile(file, 'utf8')));
  const stack = await startStack();
  after(() => stopStack(stack));
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => stopStack(stack).finally(() => process.exit(130)));
  }
  return stack;
}
