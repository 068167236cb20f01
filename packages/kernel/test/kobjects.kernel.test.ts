// Records the layouts of the kernel structs bpfsim lays out for tracing programs, from this
// machine's BTF (scripts/kernel/btf_layouts.py), into golden/btf-layouts.json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCRIPTS } from '@bpfsim/test-support';
import { KERNEL_STRUCTS } from '../src';

const btf = fs.existsSync('/sys/kernel/btf/vmlinux');
(btf ? test : test.skip)('record the BTF layouts of the structs bpfsim fills', () => {
  const r = spawnSync('python3', [path.join(SCRIPTS, 'btf_layouts.py'), ...Object.keys(KERNEL_STRUCTS), 'sock_common'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status).toBe(0);
  const all = JSON.parse(r.stdout) as Record<string, { size: number; members: Record<string, { offset: number; size: number }> }>;
  // Keep only the fields bpfsim uses (the whole structs are large).
  const out: Record<string, unknown> = { recordedBy: 'scripts/kernel/btf_layouts.py', kernel: os.release() };
  for (const [name, layout] of Object.entries(KERNEL_STRUCTS)) {
    const s = all[name]!;
    // struct sock starts with struct sock_common __sk_common: its skc_* fields are there.
    const inner = (f: string): { offset: number; size: number } | null => {
      const base = s.members.__sk_common;
      const m = base ? all.sock_common!.members[f] : undefined;
      return m && base ? { offset: base.offset + m.offset, size: m.size } : null;
    };
    out[name] = { size: s.size, members: Object.fromEntries(Object.keys(layout.fields).map((f) => [f, s.members[f] ?? inner(f)])) };
  }
  fs.writeFileSync(path.join(__dirname, 'golden/btf-layouts.json'), JSON.stringify(out, null, 1) + '\n');
});
