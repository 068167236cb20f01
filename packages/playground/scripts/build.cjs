#!/usr/bin/env node
// Builds the playground into a folder any static host serves (default packages/playground/dist):
// index.html, strict.html (the same page under a Content-Security-Policy that forbids eval:
// the JIT cannot run there, the interpreter does), app.js (esbuild bundle of the UI, the
// simulator packages and every scenario in scenarios/), style.css.
//
// Scenarios are Node modules; two of them read ELF objects with fs.readFileSync(path.join(
// __dirname, 'progs', X)). In the bundle, 'fs' and 'path' are small stand-ins: readFileSync
// returns the bytes of scenarios/progs/X embedded at build time.
//
//   node packages/playground/scripts/build.cjs [--out DIR] [--minify] [--sourcemap]
'use strict';
const { build } = require('esbuild');
const { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const pkg = resolve(__dirname, '..');
const root = resolve(pkg, '../..');
const scenariosDir = join(root, 'scenarios');

async function buildPlayground({ out = join(pkg, 'dist'), minify = false, sourcemap = false, quiet = false } = {}) {
  const scenarioFiles = readdirSync(scenariosDir).filter((f) => f.endsWith('.ts')).sort();
  const objects = readdirSync(join(scenariosDir, 'progs')).filter((f) => f.endsWith('.o')).sort();
  const sources = Object.fromEntries(readdirSync(join(scenariosDir, 'progs')).filter((f) => f.endsWith('.bpf.c')).sort().map((f) => [f, readFileSync(join(scenariosDir, 'progs', f), 'utf8')]));

  const virtual = {
    name: 'bpfsim-playground-virtual',
    setup(b) {
      b.onResolve({ filter: /^(virtual:scenarios|fs|path|node:fs|node:path)$/ }, (a) => {
        // Only scenario modules get the stand-ins: the core packages must not import from
        // node: at all (DESIGN.md), and a build that finds one says where.
        if (a.path !== 'virtual:scenarios' && !resolve(a.importer).startsWith(scenariosDir + require('node:path').sep)) {
          return { errors: [{ text: `${relative(root, a.importer)} imports '${a.path}': the packages the page bundles must not use Node's modules (only scenario scripts get a stand-in fs and path)` }] };
        }
        return { path: a.path.replace(/^node:/, ''), namespace: 'pg-virtual' };
      });
      b.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${relative(root, a.importer)} imports '${a.path}': the packages the page bundles must not use Node's modules` }] }));
      b.onLoad({ filter: /.*/, namespace: 'pg-virtual' }, (a) => {
        if (a.path === 'virtual:scenarios') {
          const imports = scenarioFiles.map((f, i) => `import s${i} from ${JSON.stringify(join(scenariosDir, f))};`).join('\n');
          const list = scenarioFiles.map((f, i) => `{ id: ${JSON.stringify(f.replace(/\.ts$/, ''))}, def: s${i} }`).join(',\n  ');
          return { contents: `${imports}\nexport const SCENARIOS = [\n  ${list}\n];\nexport const C_SOURCES = ${JSON.stringify(sources)};\n`, loader: 'js', resolveDir: root };
        }
        if (a.path === 'fs') {
          const table = objects.map((f) => `  ${JSON.stringify(f)}: ${JSON.stringify(readFileSync(join(scenariosDir, 'progs', f)).toString('base64'))}`).join(',\n');
          return {
            contents: `// fs for scenarios in the browser: the example objects, embedded at build time.
const FILES = {\n${table}\n};
export function readFileSync(p) {
  const name = String(p).split('/').pop();
  const b64 = FILES[name];
  if (b64 === undefined) { const e = new Error("ENOENT: no such file in the playground's bundle: '" + p + "'"); e.code = 'ENOENT'; throw e; }
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
export function existsSync(p) { return String(p).split('/').pop() in FILES; }
export default { readFileSync, existsSync };\n`,
            loader: 'js',
          };
        }
        return {
          contents: `// path for scenarios in the browser (POSIX join, basename, dirname).
export function join(...parts) { return parts.filter(Boolean).join('/').replace(/\\/+/g, '/'); }
export function basename(p) { return String(p).split('/').pop(); }
export function dirname(p) { const s = String(p).split('/'); s.pop(); return s.join('/') || '/'; }
export const resolve = join;
export default { join, basename, dirname, resolve };\n`,
          loader: 'js',
        };
      });
    },
  };

  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [join(pkg, 'src/ui/main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    outfile: join(out, 'app.js'),
    define: { __dirname: '"/scenarios"' },
    plugins: [virtual],
    minify,
    sourcemap,
    legalComments: 'linked',
    logLevel: 'silent',
    metafile: true,
  });
  for (const w of result.warnings) if (!quiet) console.warn(`playground build: warning: ${w.text}`);
  const html = readFileSync(join(pkg, 'src/ui/index.html'), 'utf8');
  writeFileSync(join(out, 'index.html'), html.replace('<!--CSP-->', ''));
  // The same page where eval is forbidden: the playground finds the JIT cannot run and uses the interpreter.
  writeFileSync(join(out, 'strict.html'), html.replace('<!--CSP-->', `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:">`));
  copyFileSync(join(pkg, 'src/ui/style.css'), join(out, 'style.css'));
  const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  if (!quiet) console.log(`playground: built ${relative(process.cwd(), out) || out}/ (${scenarioFiles.length} scenarios, ${objects.length} objects, ${(bytes / 1024).toFixed(0)} KiB of JavaScript)`);
  return { out, bytes, scenarios: scenarioFiles.length };
}

module.exports = { buildPlayground };

if (require.main === module) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  buildPlayground({
    ...(outIdx >= 0 ? { out: resolve(args[outIdx + 1]) } : {}),
    minify: args.includes('--minify'),
    sourcemap: args.includes('--sourcemap'),
  }).catch((e) => {
    console.error(`playground build: ${e.message.split('\n')[0]}`);
    for (const err of e.errors ?? []) console.error(`  ${err.location ? `${err.location.file}:${err.location.line}:${err.location.column}: ` : ''}${err.text}`);
    process.exit(2);
  });
}
