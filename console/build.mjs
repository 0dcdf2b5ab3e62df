// Builds the console into dist/: one JS bundle and one CSS file with content hashes in their
// names, and an index.html that references them (no inline script or style: the gateway's
// Content-Security-Policy allows only 'self'). `--check` bundles in memory only (syntax and
// imports) and checks that every language has the same keys.
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const check = process.argv.includes('--check');

// `import departments from 'firegrid:departments'`: {slug: name} from the one list of
// departments (config/departments.textproto), read at build time so that the console shows the
// names the services use without a copy of its own.
export function parseDepartments(text) {
  const out = {};
  const re = /departments\s*\{([^}]*)\}/g;
  let m;
  while ((m = re.exec(text))) {
    const slug = /slug:\s*"([^"]*)"/.exec(m[1]);
    const name = /\bname:\s*"([^"]*)"/.exec(m[1]);
    if (slug) out[slug[1]] = name ? name[1] : slug[1];
  }
  return out;
}

const departmentsPlugin = {
  name: 'firegrid-departments',
  setup(build) {
    const file = path.join(here, '..', 'config', 'departments.textproto');
    build.onResolve({ filter: /^firegrid:departments$/ }, () => ({
      path: file,
      namespace: 'firegrid-departments',
    }));
    build.onLoad({ filter: /.*/, namespace: 'firegrid-departments' }, async () => {
      const departments = parseDepartments(await readFile(file, 'utf8'));
      if (!Object.keys(departments).length) throw new Error(`no departments in ${file}`);
      return { contents: JSON.stringify(departments), loader: 'json', watchFiles: [file] };
    });
  },
};

async function checkLanguages() {
  const { missingKeys } = await import('./src/i18n/keys.js');
  const problems = missingKeys();
  if (problems.length) {
    for (const p of problems) console.error(p);
    throw new Error('the language modules do not have the same keys');
  }
}

async function main() {
  await checkLanguages();
  if (!check) await mkdir(out, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(here, 'src/main.js')],
    bundle: true,
    format: 'esm',
    target: ['es2020'],
    minify: !check,
    sourcemap: check ? false : 'linked',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: out,
    write: !check,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    plugins: [departmentsPlugin],
  });
  if (check) {
    console.log('console: bundle and languages check out');
    return;
  }
  let js = '';
  let css = '';
  for (const [file, info] of Object.entries(result.metafile.outputs)) {
    if (!info.entryPoint && !file.endsWith('.css')) continue;
    const rel = path.relative(out, path.resolve(file));
    if (rel.endsWith('.js')) js = rel;
    if (rel.endsWith('.css')) css = rel;
  }
  if (!js || !css) throw new Error('esbuild produced no JS or no CSS output');
  await copyFile(path.join(here, 'src/favicon.svg'), path.join(out, 'favicon.svg'));
  const html = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>消防网格 firegrid</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/${css}">
<script type="module" src="/${js}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
  await writeFile(path.join(out, 'index.html'), html);
  // Drop outputs of earlier builds (other hashes) so dist/ holds only what index.html names.
  const keep = new Set([js, css, `${js}.map`, `${css}.map`, 'index.html', 'favicon.svg']);
  for (const f of await readdir(out)) {
    if (!keep.has(f)) await rm(path.join(out, f), { recursive: true });
  }
  console.log(`console: dist/index.html, dist/${js}, dist/${css}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.message || e);
    process.exit(1);
  });
}
