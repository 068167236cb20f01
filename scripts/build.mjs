#!/usr/bin/env node
// Bundles the bpfsim command with esbuild: packages/cli/src/entry.ts and every workspace
// package it imports, into packages/cli/dist/bpfsim.cjs.
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cliBundle = join(root, 'packages/cli/dist/bpfsim.cjs');

/** Newest modification time of any source file of any package. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    try {
      walk(src);
    } catch {
      /* a package without src */
    }
  }
  return newest;
}

export function cliBundleIsStale() {
  try {
    return statSync(cliBundle).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

export async function buildCli() {
  await build({
    entryPoints: [join(root, 'packages/cli/src/entry.ts')],
    outfile: cliBundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // Scenario scripts are compiled at run time (bpfsim run): esbuild stays a real module.
    external: ['esbuild'],
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli();
  console.log(`built ${cliBundle}`);
}
