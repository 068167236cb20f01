// Raw tracepoint cases asked of the live kernel (raw-tp.kernel.test.ts records them with
// scripts/kernel/probe_raw_tp.py) and of bpfsim (raw-tp-golden.test.ts replays them): ctx
// access at load, the helpers the type offers, each tracepoint's argument count as
// BPF_RAW_TRACEPOINT_OPEN checks it, refusals, test runs, and the open/close lifecycle.
import { assemble, encode } from '@bpfsim/isa';
import { TRACEPOINTS } from '../src';

export type RawTpCase =
  | { id: string; kind: 'load'; insns: string }
  | { id: string; kind: 'open'; insns: string; name: string }
  | { id: string; kind: 'openProg'; progType: number; attachType: number; insns: string; name: string }
  | { id: string; kind: 'openBadFd'; name: string }
  | { id: string; kind: 'testRun'; insns: string; ctxIn: string; dataIn: boolean; repeat: number; ctxOut: number }
  | { id: string; kind: 'linkCreate'; insns: string; attachType: number }
  | { id: string; kind: 'helper'; helper: number }
  | { id: string; kind: 'lifecycle'; insns: string; name: string };

export type RawTpResult = string | { retval: number } | { whileOpen: boolean; afterClose: boolean };

export interface RawTpGolden {
  recordedBy: string;
  kernel: string;
  cases: RawTpCase[];
  results: RawTpResult[];
}

const hex = (src: string): string => Buffer.from(encode(assemble(src).insns)).toString('hex');
const SIZE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

/** A program that reads `size` bytes at ctx offset `off` and returns 0. */
const reads = (off: number, size: 1 | 2 | 4 | 8): string => hex(`r0 = *(${SIZE[size]} *)(r1 ${off < 0 ? '-' : '+'} ${Math.abs(off)})\nr0 = 0\nexit`);

/** Array map 0 counts the program's runs. */
export const COUNTER = `
  .map m type=array key_size=4 value_size=8 max_entries=1
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = m ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
out:
  r0 = 0
  exit`;

export function rawTpCases(): RawTpCase[] {
  const cases: RawTpCase[] = [];
  // ctx access at load (raw_tp_prog_is_valid_access).
  for (const off of [-8, 0, 1, 2, 3, 4, 6, 7, 8, 12, 16, 40, 88, 92, 94, 95, 96, 100, 104]) {
    for (const size of [1, 2, 4, 8] as const) cases.push({ id: `ctx-read-off${off}-size${size}`, kind: 'load', insns: reads(off, size) });
  }
  cases.push({ id: 'ctx-write-stx', kind: 'load', insns: hex('r2 = 1\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit') });
  cases.push({ id: 'ctx-write-st', kind: 'load', insns: hex('*(u32 *)(r1 + 8) = 1\nr0 = 0\nexit') });
  cases.push({ id: 'ctx-read-sx', kind: 'load', insns: hex('r0 = *(s32 *)(r1 + 8)\nr0 = 0\nexit') });
  cases.push({ id: 'return-anything', kind: 'load', insns: hex('r0 = -7\nexit') });
  // The helpers raw_tp_prog_func_proto offers.
  for (let id = 1; id <= 211; id++) cases.push({ id: `helper-${id}`, kind: 'helper', helper: id });
  // Argument counts: a program reading args[k] opens only on tracepoints with more than k.
  for (const tp of TRACEPOINTS) {
    cases.push({ id: `open-${tp.name}-no-args`, kind: 'open', insns: hex('r0 = 0\nexit'), name: tp.name });
    for (let k = 0; k < 12; k++) cases.push({ id: `open-${tp.name}-args${k}`, kind: 'open', insns: reads(8 * k, 8), name: tp.name });
    // A narrow read of an argument's upper half needs the whole argument to exist.
    cases.push({ id: `open-${tp.name}-last-upper-half`, kind: 'open', insns: reads(8 * (tp.args.length - 1) + 4, 4), name: tp.name });
  }
  for (const name of ['no_such_tracepoint', '', 'sock:inet_sock_set_state', 'x'.repeat(200)]) {
    cases.push({ id: `open-unknown-${name.length > 40 ? 'long' : name || 'empty'}`, kind: 'open', insns: hex('r0 = 0\nexit'), name });
  }
  // Only raw tracepoint programs open.
  cases.push({ id: 'open-socket-filter', kind: 'openProg', progType: 1, attachType: 0, insns: hex('r0 = 0\nexit'), name: 'sys_enter' });
  cases.push({ id: 'open-xdp', kind: 'openProg', progType: 6, attachType: 0, insns: hex('r0 = 0\nexit'), name: 'sys_enter' });
  cases.push({ id: 'open-bad-fd', kind: 'openBadFd', name: 'sys_enter' });
  // BPF_PROG_TEST_RUN: r0 = args[1] + args[0].
  const sum = hex('r0 = *(u64 *)(r1 + 8)\nr2 = *(u64 *)(r1 + 0)\nr0 += r2\nexit');
  const args = (n: number): string => Array.from({ length: n }, (_, i) => Buffer.from(new BigUint64Array([BigInt(i + 40)]).buffer).toString('hex')).join('');
  const run = (id: string, insns: string, ctxIn: string, more: Partial<{ dataIn: boolean; repeat: number; ctxOut: number }> = {}): void => {
    cases.push({ id: `test-run-${id}`, kind: 'testRun', insns, ctxIn, dataIn: more.dataIn ?? false, repeat: more.repeat ?? 0, ctxOut: more.ctxOut ?? 0 });
  };
  run('two-args', sum, args(2));
  run('twelve-args', sum, args(12));
  run('one-arg-too-few', sum, args(1));
  run('thirteen-args', sum, args(13));
  run('no-ctx', hex('r0 = 9\nexit'), '');
  run('with-data', sum, args(2), { dataIn: true });
  run('with-repeat', sum, args(2), { repeat: 1 });
  run('with-ctx-out', sum, args(2), { ctxOut: 16 });
  // Links: plain raw tracepoint programs attach with RAW_TRACEPOINT_OPEN only.
  cases.push({ id: 'link-create-attach-0', kind: 'linkCreate', insns: hex('r0 = 0\nexit'), attachType: 0 });
  cases.push({ id: 'link-create-trace-raw-tp', kind: 'linkCreate', insns: hex('r0 = 0\nexit'), attachType: 23 });
  // Closing the link's fd detaches the program.
  cases.push({ id: 'lifecycle-sys-enter', kind: 'lifecycle', insns: hex(COUNTER), name: 'sys_enter' });
  return cases;
}
