import test from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseDepartments } from '../build.mjs';

test('reads every department of config/departments.textproto with its name', async () => {
  const text = await readFile(new URL('../../config/departments.textproto', import.meta.url), 'utf8');
  const d = parseDepartments(text);
  assert.equal(d.urban_management, '区城市管理局');
  assert.equal(d.power_company, '供电企业');
  assert.equal(Object.keys(d).length, (text.match(/^departments \{/gm) || []).length);
});
