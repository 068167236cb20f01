// One Jest project per package; tests run against each package's src (TypeScript stripped by swc).
const fs = require('node:fs');
const path = require('node:path');

const packages = fs
  .readdirSync(path.join(__dirname, 'packages'))
  .filter((p) => fs.existsSync(path.join(__dirname, 'packages', p, 'test')));

// @swc/jest over an esbuild transform, by measurement (the commit that chose it has the
// numbers): esbuild's transformSync pays an IPC round trip per file.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };

/** @type {import('jest').Config} */
module.exports = {
  projects: packages.map((p) => ({
    displayName: p,
    rootDir: path.join(__dirname, 'packages', p),
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    // Probes of the live kernel run under `npm run test:kernel` only (jest.kernel.config.js).
    testPathIgnorePatterns: ['\\.kernel\\.test\\.ts$'],
    testEnvironment: 'node',
    transform,
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper: { '^@bpfsim/([a-z-]+)$': path.join(__dirname, 'packages', '$1', 'src', 'index.ts') },
  })),
};
