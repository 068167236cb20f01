// Stack trace map cases asked of the live kernel (stack-map.kernel.test.ts records them
// with scripts/kernel/probe_stack_map.py) and of bpfsim (stack-map-golden.test.ts):
// BPF_MAP_CREATE's checks, and the flag checks of bpf_get_stackid / bpf_get_stack in a raw
// tracepoint test run (kernel stacks, whose ids differ run to run, count as "an id").
import { assemble, encode } from '@bpfsim/isa';

export interface StackCreateCase {
  id: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}
export interface StackRunCase {
  id: string;
  insns: string;
  ctxIn: string;
}
export interface StackGolden {
  recordedBy: string;
  kernel: string;
  creates: StackCreateCase[];
  runs: StackRunCase[];
  results: { creates: string[]; runs: (string | { retval: number })[] };
}

const hex = (src: string): string => Buffer.from(encode(assemble(src).insns)).toString('hex');
const BUILD_ID = 1 << 5;

export function stackCreateCases(): StackCreateCase[] {
  const out: StackCreateCase[] = [];
  const add = (id: string, valueSize: number, flags = 0, keySize = 4, maxEntries = 16): void => {
    out.push({ id, keySize, valueSize, maxEntries, flags });
  };
  for (const vs of [0, 4, 8, 12, 16, 1016, 1024]) add(`ips-value-${vs}`, vs);
  for (const vs of [8, 24, 32, 40, 64, 4064, 4096]) add(`build-id-value-${vs}`, vs, BUILD_ID);
  add('key-8', 8, 0, 8);
  add('key-0', 8, 0, 0);
  add('max-entries-0', 8, 0, 4, 0);
  add('max-entries-3', 8, 0, 4, 3);
  add('flag-rdonly', 8, 1 << 3);
  add('flag-wronly', 8, 1 << 4);
  add('flag-numa', 8, 1 << 2);
  add('flag-no-prealloc', 8, 1 << 0);
  add('flag-rdonly-prog', 8, 1 << 7);
  add('flag-zero-seed', 8, 1 << 6);
  return out;
}

/** r0 = what get_stackid(ctx, map, flags) returned if negative, else 0. */
const stackid = (flags: string): string =>
  hex(`
    .map s type=stack_trace key_size=4 value_size=1016 max_entries=64
    r2 = s ll
    r3 = ${flags} ll
    call bpf_get_stackid
    if r0 s< 0 goto out
    r0 = 0
  out:
    exit`);

/** r0 = get_stack(ctx, buf, size, flags) if negative, 1 when it wrote bytes, 0 for none. */
const getStack = (size: number, flags: string): string =>
  hex(`
    .map s type=stack_trace key_size=4 value_size=1016 max_entries=64
    r2 = r10
    r2 += -256
    r3 = ${size}
    r4 = ${flags} ll
    call bpf_get_stack
    if r0 s< 0 goto out
    if r0 == 0 goto out
    r0 = 1
  out:
    exit`);

export function stackRunCases(): StackRunCase[] {
  const ctx = '';
  return [
    { id: 'stackid-kernel', insns: stackid('0'), ctxIn: ctx },
    { id: 'stackid-kernel-skip-2', insns: stackid('2'), ctxIn: ctx },
    { id: 'stackid-kernel-skip-255', insns: stackid('255'), ctxIn: ctx },
    { id: 'stackid-fast-cmp-reuse', insns: stackid(String((1 << 9) | (1 << 10))), ctxIn: ctx },
    { id: 'stackid-bad-flag-bit-11', insns: stackid(String(1 << 11)), ctxIn: ctx },
    { id: 'stackid-bad-flag-bit-12', insns: stackid(String(1 << 12)), ctxIn: ctx },
    { id: 'stackid-bad-flag-high', insns: stackid('0x100000000'), ctxIn: ctx },
    { id: 'get-stack-kernel', insns: getStack(256, '0'), ctxIn: ctx },
    { id: 'get-stack-kernel-size-12', insns: getStack(12, '0'), ctxIn: ctx },
    { id: 'get-stack-kernel-size-0', insns: getStack(0, '0'), ctxIn: ctx },
    { id: 'get-stack-user-build-id-without-user', insns: getStack(256, String(1 << 11)), ctxIn: ctx },
    { id: 'get-stack-bad-flag', insns: getStack(256, String(1 << 9)), ctxIn: ctx },
    { id: 'get-stack-kernel-skip-255', insns: getStack(256, '255'), ctxIn: ctx },
  ];
}
