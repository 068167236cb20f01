// Jest transform: TypeScript to CommonJS with esbuild, one file at a time (no type check;
// `tsc -b` does that). Chosen over @swc/jest by measurement: see the commit that added it.
const { transformSync } = require('esbuild');
const { createHash } = require('node:crypto');
const esbuildVersion = require('esbuild/package.json').version;

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
  getCacheKey(source, filename, { configString }) {
    return createHash('sha1').update(esbuildVersion).update('\0').update(configString).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
};
