// SK_MSG verdict scenarios asked of the live kernel with real loopback TCP sockets
// (sk-msg.kernel.test.ts records them with scripts/kernel/probe_sk_msg.py) and of bpfsim's
// send path (sk-msg-golden.test.ts): what each sendmsg returns and where the bytes go.
import { assemble, encode } from '@bpfsim/isa';

export interface SkMsgCase {
  id: string;
  /** The program body after `r6 = r1` (maps: m = the sockmap, stats = a 4-slot u64 array). */
  body: string;
  insns: string;
  sends: number[];
  /** Bytes of aPeer that Linux leaves uninitialised (push_data): [start, end), not compared. */
  uninit?: [number, number];
  /** How A sends: send() (default) or sendfile() from a file holding the same bytes. */
  via?: 'sendfile';
}
export type SkMsgResult = { sends: (number | string)[]; aPeer: string; bPeer: string; bIngress: string; stats: number[] } | { error: string };
export interface SkMsgGolden {
  recordedBy: string;
  kernel: string;
  cases: SkMsgCase[];
  results: SkMsgResult[];
}

export const PRELUDE = `
  .map m type=sockmap key_size=4 value_size=8 max_entries=4
  .map stats type=array key_size=4 value_size=8 max_entries=4
  r6 = r1`;

/** stats[i] += 1 */
export const count = (i: number): string => `
  r1 = ${i}
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = stats ll
  call bpf_map_lookup_elem
  if r0 == 0 goto +2
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1`;

/** stats[i] = r7 */
export const store = (i: number): string => `
  r1 = ${i}
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = stats ll
  call bpf_map_lookup_elem
  if r0 == 0 goto +1
  *(u64 *)(r0 + 0) = r7`;

const redirect = (key: number, flags: number): string => `
  r1 = r6
  r2 = m ll
  r3 = ${key}
  r4 = ${flags}
  call bpf_msg_redirect_map`;

const helper = (name: string, a: number, b?: number, c?: number): string => `
  r1 = r6
  r2 = ${a}
  ${b === undefined ? '' : `r3 = ${b}`}
  ${c === undefined ? '' : `r4 = ${c}`}
  call bpf_${name}`;

export function skMsgCases(): SkMsgCase[] {
  const out: SkMsgCase[] = [];
  const add = (id: string, body: string, sends: number[], uninit?: [number, number], via?: 'sendfile'): void => {
    out.push({ id, body, insns: Buffer.from(encode(assemble(`${PRELUDE}\n${body}`).insns)).toString('hex'), sends, ...(uninit ? { uninit } : {}), ...(via ? { via } : {}) });
  };
  add('pass', `${count(0)}\n r0 = 1\n exit`, [100, 10]);
  add('drop', 'r0 = 0\n exit', [50]);
  add('return-2', 'r0 = 2\n exit', [50, 5]);
  add(
    'drop-odd-first-byte',
    `
  r2 = *(u64 *)(r6 + 0)
  r3 = *(u64 *)(r6 + 8)
  r4 = r2
  r4 += 1
  r0 = 1
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 0)
  r5 &= 1
  if r5 == 0 goto out
  r0 = 0
out:
  exit`,
    [1, 1, 1, 1, 2],
  );
  add('size-and-first-element', `r7 = *(u32 *)(r6 + 68)\n${store(0)}\n r2 = *(u64 *)(r6 + 0)\n r7 = *(u64 *)(r6 + 8)\n r7 -= r2\n${store(1)}\n r0 = 1\n exit`, [10000]);
  add('redirect-egress', `${redirect(1, 0)}\n exit`, [20, 7]);
  add('redirect-ingress', `${redirect(1, 1)}\n exit`, [30]);
  add('redirect-empty-key', `${redirect(3, 0)}\n exit`, [5]);
  add('redirect-bad-flags-ignored', `${redirect(1, 2)}\n r7 = r0\n${store(0)}\n r0 = 1\n exit`, [5]);
  add('apply-150-pass', `${count(0)}\n${helper('msg_apply_bytes', 150)}\n r0 = 1\n exit`, [100, 100]);
  add('apply-10-pass', `${count(0)}\n${helper('msg_apply_bytes', 10)}\n r0 = 1\n exit`, [35]);
  add('apply-10-drop', `${helper('msg_apply_bytes', 10)}\n r0 = 0\n exit`, [100]);
  add('apply-then-redirect', `${count(0)}\n${helper('msg_apply_bytes', 25)}\n${redirect(1, 0)}\n exit`, [10, 10, 10]);
  add('cork-64', `${count(0)}\n r7 = *(u32 *)(r6 + 68)\n${store(1)}\n${helper('msg_cork_bytes', 64)}\n r0 = 1\n exit`, [10, 20, 40]);
  add('cork-64-exact', `${count(0)}\n${helper('msg_cork_bytes', 64)}\n r0 = 1\n exit`, [32, 32, 5]);
  add('cork-then-drop', `${helper('msg_cork_bytes', 30)}\n r0 = 0\n exit`, [10, 25]);
  add(
    'pull-2-6-write',
    `${helper('msg_pull_data', 2, 6, 0)}
  r7 = r0
  ${store(0)}
  r2 = *(u64 *)(r6 + 0)
  r3 = *(u64 *)(r6 + 8)
  r4 = r2
  r4 += 4
  if r4 > r3 goto out
  r7 = *(u8 *)(r2 + 0)
  ${store(1)}
  r2 = *(u64 *)(r6 + 0)
  r3 = *(u64 *)(r6 + 8)
  r4 = r2
  r4 += 1
  if r4 > r3 goto out
  r5 = 0x5a
  *(u8 *)(r2 + 0) = r5
out:
  r0 = 1
  exit`,
    [10],
  );
  for (const [s, e, f] of [
    [0, 0, 0],
    [5, 3, 0],
    [0, 4, 1],
    [10, 12, 0],
    [2, 11, 0],
    [0, 10, 0],
  ] as const) {
    add(`pull-${s}-${e}-flags${f}`, `${helper('msg_pull_data', s, e, f)}\n r7 = r0\n${store(0)}\n r0 = 1\n exit`, [10]);
  }
  add('size-and-first-element-40000', `r7 = *(u32 *)(r6 + 68)\n${store(0)}\n r2 = *(u64 *)(r6 + 0)\n r7 = *(u64 *)(r6 + 8)\n r7 -= r2\n${store(1)}\n r0 = 1\n exit`, [40000]);
  add('pull-across-elements', `${helper('msg_pull_data', 32760, 32780, 0)}\n r7 = r0\n${store(0)}\n r2 = *(u64 *)(r6 + 0)\n r7 = *(u64 *)(r6 + 8)\n r7 -= r2\n${store(1)}\n r0 = 1\n exit`, [40000]);
  add('pop-1-3', `${helper('msg_pop_data', 1, 3, 0)}\n r7 = r0\n${store(0)}\n r0 = 1\n exit`, [6]);
  add('pop-out-of-range', `${helper('msg_pop_data', 4, 3, 0)}\n r7 = r0\n${store(0)}\n r0 = 1\n exit`, [6]);
  add('push-size-only', `${helper('msg_push_data', 2, 2, 0)}\n r7 = r0\n${store(0)}\n r7 = *(u32 *)(r6 + 68)\n${store(1)}\n r0 = 1\n exit`, [4], [2, 4]);
  // sendfile(): what a program sees when the bytes come from a file (the sendpage path on
  // 4.17; splice into sendmsg since 6.5): size, data_end - data, and pull_data over them.
  const view = `r7 = *(u32 *)(r6 + 68)\n${store(0)}\n r2 = *(u64 *)(r6 + 0)\n r7 = *(u64 *)(r6 + 8)\n r7 -= r2\n${store(1)}`;
  add('sendfile-view', `${view}\n r0 = 1\n exit`, [100, 5000], undefined, 'sendfile');
  add('sendfile-pull-then-view', `${helper('msg_pull_data', 0, 8, 0)}\n r7 = r0\n${store(2)}\n${view}\n r0 = 1\n exit`, [100], undefined, 'sendfile');
  add('sendfile-drop', 'r0 = 0\n exit', [64], undefined, 'sendfile');
  add('sendfile-cork', `${count(3)}\n${helper('msg_cork_bytes', 150)}\n r0 = 1\n exit`, [100, 100], undefined, 'sendfile');
  return out;
}

/** The result with the case's uninitialised bytes blanked out ("??"), for comparing. */
export function comparable(c: SkMsgCase, r: SkMsgResult): SkMsgResult {
  if (!c.uninit || 'error' in r) return r;
  const [a, b] = c.uninit;
  const hex = r.aPeer;
  return { ...r, aPeer: hex.slice(0, 2 * a) + '??'.repeat(b - a) + hex.slice(2 * b) };
}
