// Runs the browser suite: starts one private demo stack (support/stack.mjs), runs the test files
// against it with node:test (one file at a time), and stops the stack — also when a test fails
// or the run is interrupted. Exit status: node --test's (non-zero when a test failed), 1 when the
// stack did not start.
//
//   node tests/browser/run.mjs [TEST FILE...]    (default: every *.test.mjs here)
//
// Environment: FIREGRID_BUILD_DIR (default build/), FIREGRID_CHROMIUM (default
// /usr/bin/chromium), FIREGRID_BROWSER_KEEP_STATE=1 keeps the stack's state directory (logs).
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, stopStack, writeStackDescription } from './support/stack.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let files = process.argv.slice(2).map((f) => path.resolve(f));
if (files.length === 0) {
  const top = (await readdir(here)).filter((f) => f.endsWith('.test.mjs')).map((f) => path.join(here, f));
  const support = (await readdir(path.join(here, 'support')))
    .filter((f) => f.endsWith('.test.mjs'))
    .map((f) => path.join(here, 'support', f));
  files = [...support, ...top.sort()];
}

let stack;
try {
  stack = await startStack();
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}

let child;
let stopping;
const stop = () => (stopping ??= stopStack(stack).catch((e) => console.error(`error stopping the stack: ${e.message}`)));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    child?.kill('SIGTERM');
    await stop();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
  });
}

let code;
try {
  const description = path.join(stack.tmp, 'stack.json');
  await writeStackDescription(stack, description);
  code = await new Promise((resolve) => {
    child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { stdio: 'inherit', env: { ...process.env, FIREGRID_BROWSER_STACK: description }, cwd: here },
    );
    child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
} finally {
  if (code !== 0 && code !== undefined) {
    console.error(`the stack's logs: ${path.join(stack.stateDir, 'logs')} (kept only with FIREGRID_BROWSER_KEEP_STATE=1)`);
  }
  await stop();
}
process.exit(code ?? 1);
