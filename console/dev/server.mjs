// Development server for the console: serves dist/ with the gateway's security headers (so that
// a CSP violation shows up here too) and either proxies /api/ and /.well-known/ to a running
// gateway (--gateway http://127.0.0.1:8080) or, with --fixtures, answers from the small
// made-up data set in dev/fixtures.mjs (UI work without the services; never used by tests of
// the services or in production). Listens on loopback only.
//
//   node dev/server.mjs [--port 5173] [--gateway URL | --fixtures]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist');
const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const port = Number(arg('--port', '5173'));
const gateway = arg('--gateway', '');
const fixtures = args.includes('--fixtures') ? await import('./fixtures.mjs') : null;

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'; form-action 'self'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.map': 'application/json' };

function secure(res) {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

async function serveStatic(req, res) {
  const url = new URL(req.url, 'http://x');
  let file = path.normalize(path.join(dist, decodeURIComponent(url.pathname)));
  if (!file.startsWith(dist) || url.pathname === '/') file = path.join(dist, 'index.html');
  let body;
  try {
    body = await readFile(file);
  } catch {
    file = path.join(dist, 'index.html');
    body = await readFile(file);
  }
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
    'Cache-Control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable' });
  res.end(body);
}

function proxy(req, res) {
  const target = new URL(req.url, gateway);
  const up = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } },
    (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
  up.on('error', (e) => {
    res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: 'UNAVAILABLE', message: `gateway: ${e.message}` }));
  });
  req.pipe(up);
}

http.createServer(async (req, res) => {
  secure(res);
  const api = req.url.startsWith('/api/') || req.url.startsWith('/.well-known/');
  try {
    if (api && gateway) return proxy(req, res);
    if (api && fixtures) return await fixtures.handle(req, res);
    if (api) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      return res.end('{"code":"UNAVAILABLE","message":"no --gateway and no --fixtures"}');
    }
    return await serveStatic(req, res);
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: 'INTERNAL', message: String(e.message || e) }));
  }
}).listen(port, '127.0.0.1', () => {
  console.log(`console dev server: http://127.0.0.1:${port}/ (${gateway ? `API → ${gateway}` : fixtures ? 'fixtures' : 'no API'})`);
});
