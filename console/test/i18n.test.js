import test from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAMILY_PREFIXES, missingKeys } from '../src/i18n/keys.js';
import { LANGUAGES } from '../src/i18n/index.js';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

async function sources(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.js') && !p.includes(`${path.sep}i18n${path.sep}`)) out.push(p);
  }
  return out;
}

test('every language has the same keys and every shown enum value has a label', () => {
  assert.deepEqual(missingKeys(), []);
});

test('every literal key in the sources exists in zh-CN', async () => {
  // Keys passed to t() directly, and any quoted 'namespace.name' of a namespace the languages
  // use (keys chosen in a ternary before the call).
  const zh = LANGUAGES['zh-CN'];
  const namespaces = new Set(Object.keys(zh).map((k) => k.split('.')[0]));
  const missing = [];
  let count = 0;
  for (const file of await sources(src)) {
    const text = await readFile(file, 'utf8');
    const keys = new Set();
    for (const m of text.matchAll(/\bt\(\s*'([^']+)'/g)) keys.add(m[1]);
    for (const m of text.matchAll(/'([a-z]+(?:\.[A-Za-z_]+)+)'/g)) {
      if (namespaces.has(m[1].split('.')[0])) keys.add(m[1]);
    }
    for (const k of keys) {
      count++;
      if (!(k in zh)) missing.push(`${path.relative(src, file)}: ${k}`);
    }
  }
  assert.ok(count > 20, `found only ${count} t() calls: the scan is broken`);
  assert.deepEqual(missing, []);
});

test('placeholders are the same in every language', () => {
  const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  const zh = LANGUAGES['zh-CN'];
  const bad = Object.keys(zh).filter((k) => names(zh[k]) !== names(LANGUAGES.en[k]));
  assert.deepEqual(bad, []);
});

test('every key of the languages is used: literally in the sources or as a family built at run time', async () => {
  const zh = LANGUAGES['zh-CN'];
  let text = '';
  for (const file of await sources(src)) text += await readFile(file, 'utf8');
  // Families: keys made from a prefix and a run-time name (enum values, roles, error codes, ...).
  // Error codes ('error.<CODE>') are looked up by the code a call failed with.
  const families = [...FAMILY_PREFIXES, 'error.'];
  const unused = Object.keys(zh).filter((k) => !families.some((f) => k.startsWith(f)) && !text.includes(`'${k}'`));
  assert.deepEqual(unused, []);
});
