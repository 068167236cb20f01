#!/usr/bin/env node
// Launcher: (re)builds the bundle when a source file is newer, then runs it.
import { createRequire } from 'node:module';

const { cliBundle, cliBundleIsStale, buildCli } = await import('../../../scripts/build.mjs');
if (cliBundleIsStale()) await buildCli();
process.argv.splice(1, 1, cliBundle);
createRequire(import.meta.url)(cliBundle);
