// Checks API requests logged by the development server (FIXTURE_LOG=<file> node dev/server.mjs
// --fixtures, then use the pages) against the protos: every method exists, every field is one
// of its request message (lowerCamelCase or the proto name), enum values are names of the enum,
// repeated fields are arrays, timestamps parse. Needs protoc (the C++ build's).
//
//   node dev/check-requests.mjs <log file>
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const protos = [];
for (const pkg of readdirSync(path.join(repo, 'protos', 'firegrid'))) {
  for (const f of readdirSync(path.join(repo, 'protos', 'firegrid', pkg, 'v1'))) {
    if (f.endsWith('.proto')) protos.push(`firegrid/${pkg}/v1/${f}`);
  }
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fg-desc-'));
execFileSync('protoc', ['-I', path.join(repo, 'protos'), '-I', '/usr/include', '--include_imports',
  `--descriptor_set_out=${path.join(tmp, 'set.pb')}`, ...protos], { stdio: ['ignore', 'ignore', 'ignore'] });
const set = readFileSync(path.join(tmp, 'set.pb'));
rmSync(tmp, { recursive: true });
const text = execFileSync('protoc', ['-I', '/usr/include', '--decode=google.protobuf.FileDescriptorSet',
  'google/protobuf/descriptor.proto'], { input: set, maxBuffer: 64 << 20 }).toString();
// Tiny text-format parser.
const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}]|[^\s{}:]+:?|:/g);
let i = 0;
function block() {
  const node = [];
  while (i < tokens.length) {
    const t = tokens[i++];
    if (t === '}') return node;
    if (t.endsWith(':')) { node.push([t.slice(0, -1), tokens[i++]]); continue; }
    if (tokens[i] === '{') { i++; node.push([t, block()]); continue; }
  }
  return node;
}
const root = block();
const get = (n, k) => (n.find((e) => e[0] === k) || [])[1];
const all = (n, k) => n.filter((e) => e[0] === k).map((e) => e[1]);
const unq = (s) => (s && s.startsWith('"') ? JSON.parse(s) : s);
const messages = new Map(); const enums = new Map(); const methods = new Map();
function walk(prefix, n) {
  for (const m of all(n, 'message_type').concat(all(n, 'nested_type'))) {
    const name = `${prefix}.${unq(get(m, 'name'))}`;
    messages.set(name, all(m, 'field').map((f) => ({ name: unq(get(f, 'name')), json: unq(get(f, 'json_name')),
      type: get(f, 'type'), typeName: unq(get(f, 'type_name')), repeated: get(f, 'label') === 'LABEL_REPEATED' })));
    walk(name, m);
  }
  for (const e of all(n, 'enum_type')) enums.set(`${prefix}.${unq(get(e, 'name'))}`, all(e, 'value').map((v) => unq(get(v, 'name'))));
}
for (const f of all(root, 'file')) {
  const pkg = `.${unq(get(f, 'package'))}`;
  walk(pkg, f);
  for (const s of all(f, 'service')) for (const m of all(s, 'method')) methods.set(`${pkg.slice(1)}.${unq(get(s, 'name'))}/${unq(get(m, 'name'))}`, unq(get(m, 'input_type')));
}
const problems = [];
function check(type, v, where) {
  if (type === '.google.protobuf.Timestamp') { if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) problems.push(`${where}: bad timestamp ${v}`); return; }
  const fields = messages.get(type);
  if (!fields) { problems.push(`${where}: unknown type ${type}`); return; }
  for (const [k, val] of Object.entries(v)) {
    const f = fields.find((x) => x.json === k || x.name === k);
    if (!f) { problems.push(`${where}: no field ${k} in ${type}`); continue; }
    const vals = f.repeated ? (Array.isArray(val) ? val : (problems.push(`${where}.${k}: not an array`), [])) : [val];
    for (const x of vals) {
      if (f.type === 'TYPE_MESSAGE') check(f.typeName, x, `${where}.${k}`);
      else if (f.type === 'TYPE_ENUM') { if (!enums.get(f.typeName).includes(x)) problems.push(`${where}.${k}: ${x} not in ${f.typeName}`); }
      else if (f.type === 'TYPE_STRING' && typeof x !== 'string') problems.push(`${where}.${k}: not a string`);
      else if (f.type === 'TYPE_BOOL' && typeof x !== 'boolean') problems.push(`${where}.${k}: not a bool`);
      else if (/INT|DOUBLE|FLOAT/.test(f.type) && !(typeof x === 'number' || (typeof x === 'string' && /^-?\d+$/.test(x)))) problems.push(`${where}.${k}: not a number ${x}`);
    }
  }
}
const seen = new Set();
for (const line of readFileSync(process.argv[2], 'utf8').trim().split('\n')) {
  const { path, body } = JSON.parse(line);
  const key = path.replace('/api/v1/', '');
  seen.add(key);
  const input = methods.get(key);
  if (!input) { problems.push(`${key}: no such method`); continue; }
  check(input, body, key);
}
console.log('methods exercised:', [...seen].sort().join(' '));
console.log(problems.length ? problems.join('\n') : 'all requests match the protos');
if (problems.length) process.exit(1);
