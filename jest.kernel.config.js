// `npm run test:kernel`: the tests that probe the live kernel, record golden data, and
// check bpfsim against it. They skip with their reason where bpf() is not available.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  projects: base.projects.map((p) => ({
    ...p,
    testMatch: ['<rootDir>/test/**/*.kernel.test.ts'],
    testPathIgnorePatterns: [],
  })),
};
