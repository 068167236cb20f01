// `npm run test:kernel`: the kernel struct layouts the verifier walks for reads through a map
// pointer (src/btf-map-structs.ts) are this machine's, as its BTF says now
// (scripts/kernel/btf_map_structs.py). On a mismatch, regenerate the file from the script.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAP_BTF } from '../src';

const script = path.resolve(__dirname, '../../../scripts/kernel/btf_map_structs.py');
const why = fs.existsSync('/sys/kernel/btf/vmlinux') ? undefined : 'no /sys/kernel/btf/vmlinux';

if (why) {
  test.skip(`kernel BTF not available: ${why}`, () => {});
} else {
  test('the recorded map structs are the running kernel\'s', () => {
    const out = JSON.parse(execFileSync('python3', [script, ...MAP_BTF.roots], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { types: unknown };
    expect(out.types).toEqual(MAP_BTF.types);
  });
}
