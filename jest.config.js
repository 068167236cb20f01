// One Jest project per package; tests run against each package's src through esbuild.
const fs = require('node:fs');
const path = require('node:path');

const packages = fs
  .readdirSync(path.join(__dirname, 'packages'))
  .filter((p) => fs.existsSync(path.join(__dirname, 'packages', p, 'test')));

const transform = process.env.BPFSIM_JEST_TRANSFORM === 'swc'
  ? { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] }
  : { '^.+\\.ts$': '<rootDir>/../../scripts/jest-esbuild.cjs' };

/** @type {import('jest').Config} */
module.exports = {
  projects: packages.map((p) => ({
    displayName: p,
    rootDir: path.join(__dirname, 'packages', p),
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testEnvironment: 'node',
    transform,
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper: { '^@bpfsim/([a-z-]+)$': path.join(__dirname, 'packages', '$1', 'src', 'index.ts') },
  })),
};
