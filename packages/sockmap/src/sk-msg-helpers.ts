// The msg_* helpers an SK_MSG verdict program calls (net/core/filter.c: bpf_msg_apply_bytes,
// bpf_msg_cork_bytes, bpf_msg_pull_data, bpf_msg_push_data, bpf_msg_pop_data;
// net/core/sock_map.c: bpf_msg_redirect_map, bpf_msg_redirect_hash). They act on the message
// of the run in progress (struct sk_msg, in the run context: MsgRunCtx) and on its ctx's data
// pointers; the send path (sk-msg-run.ts) acts on what they leave. Each is defined here with
// its prototype (bpf_msg_*_proto).
import { ERRNO } from '@bpfsim/isa';
import type { BpfFuncProto, Kernel } from '@bpfsim/kernel';
import { helper } from '@bpfsim/kernel';
import type { Sock } from '@bpfsim/net';
import { SOCK_STREAM, TCP_STATE } from '@bpfsim/net';
import type { Helper } from '@bpfsim/vm';
import { SK_DROP, SK_PASS } from './sk-msg';
import type { SkMsg } from './sk-msg-run';
import { BPF_F_INGRESS, MSG_ELEM_SIZE, MsgRunCtx, msgSize } from './sk-msg-run';
import { SockMapBase } from './sock-map';

/** The verdict run the helper is called from. */
function msgEnv(run: Parameters<Helper>[0]): MsgRunCtx {
  const c = run.env;
  if (c instanceof MsgRunCtx) return c;
  throw run.failArgs('a msg_* helper outside an SK_MSG verdict run');
}

/** bpf_msg_apply_bytes(msg, bytes): always 0. */
const msgApplyBytes: Helper = (run) => {
  msgEnv(run).msg.applyBytes = run.argLo(2) >>> 0;
  run.retInt(0);
};

/** bpf_msg_cork_bytes(msg, bytes): always 0. */
const msgCorkBytes: Helper = (run) => {
  msgEnv(run).msg.corkBytes = run.argLo(2) >>> 0;
  run.retInt(0);
};

/** sock_map_redirect_allowed(): TCP targets not listening; others established. */
function redirectAllowed(sk: Sock): boolean {
  const tcp = sk.type === SOCK_STREAM && sk.protocol === 6;
  return tcp ? sk.state !== TCP_STATE.TCP_LISTEN : sk.state === TCP_STATE.TCP_ESTABLISHED;
}

function redirectTo(run: Parameters<Helper>[0], sk: Sock | undefined, flags: bigint): void {
  const env = msgEnv(run);
  if (flags & ~BigInt(BPF_F_INGRESS) || !sk || !redirectAllowed(sk)) return run.retInt(SK_DROP);
  const tcp = sk.type === SOCK_STREAM && sk.protocol === 6;
  if (!(flags & BigInt(BPF_F_INGRESS)) && !tcp) return run.retInt(SK_DROP);
  env.msg.flags = Number(flags);
  env.msg.redir = sk;
  run.retInt(SK_PASS);
}

/** bpf_msg_redirect_map(msg, map, key, flags) */
const msgRedirectMap: Helper = (run) => {
  const r = run.argPtr(2, 0);
  const map = r?.region.object;
  if (!(map instanceof SockMapBase)) throw run.failArgs('R2 is not a sockmap');
  const key = new Uint8Array(new Uint32Array([run.argLo(3) >>> 0]).buffer);
  redirectTo(run, map.socketAt(key), run.arg(4));
};

/** bpf_msg_redirect_hash(msg, map, &key, flags) */
const msgRedirectHash: Helper = (run) => {
  const r = run.argPtr(2, 0);
  const map = r?.region.object;
  if (!(map instanceof SockMapBase)) throw run.failArgs('R2 is not a sockhash');
  const k = run.argMem(3, map.keySize);
  redirectTo(run, map.socketAt(k.region.bytes.slice(k.offset, k.offset + map.keySize)), run.arg(4));
};

/** bpf_msg_pull_data(msg, start, end, flags): data..data_end = bytes [start, end). */
const msgPullData: Helper = (run) => {
  const { msg, run: r } = msgEnv(run);
  const start = run.argLo(2) >>> 0;
  const end = run.argLo(3) >>> 0;
  if (run.arg(4) !== 0n || end <= start) return run.retInt(-ERRNO.EINVAL);
  let offset = 0;
  let i = 0;
  for (; i < msg.elems.length; i++) {
    const len = msg.elems[i]!.bytes.length;
    if (start < offset + len) break;
    offset += len;
  }
  if (i === msg.elems.length) return run.retInt(-ERRNO.EINVAL);
  const bytes = end - start;
  const total = start - offset + bytes;
  const first = msg.elems[i]!;
  if (!first.copy && total <= first.bytes.length) {
    r.setData(first.bytes.subarray(start - offset, start - offset + bytes));
    return run.retInt(0);
  }
  // Linearize the elements that [start, end) covers into one exclusively owned buffer.
  let copy = 0;
  let last = i;
  while (last < msg.elems.length) {
    copy += msg.elems[last]!.bytes.length;
    last++;
    if (total <= copy) break;
  }
  if (total > copy) return run.retInt(-ERRNO.EINVAL);
  const merged = new Uint8Array(copy);
  let at = 0;
  for (let j = i; j < last; j++) {
    merged.set(msg.elems[j]!.bytes, at);
    at += msg.elems[j]!.bytes.length;
  }
  msg.elems.splice(i, last - i, { bytes: merged, copy: false });
  r.setData(merged.subarray(start - offset, start - offset + bytes));
  run.retInt(0);
};

/** Rebuilds the ring from flat bytes (push/pop change the layout). */
function relayout(msg: SkMsg, flat: Uint8Array): void {
  msg.elems = [];
  for (let o = 0; o < flat.length; o += MSG_ELEM_SIZE) msg.elems.push({ bytes: flat.slice(o, o + MSG_ELEM_SIZE), copy: false });
}

function flatten(msg: SkMsg): Uint8Array {
  const out = new Uint8Array(msgSize(msg));
  let at = 0;
  for (const e of msg.elems) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

/** bpf_msg_push_data(msg, start, len, flags): inserts len bytes (zero here; Linux leaves
 * them uninitialised) at start. The ring is rebuilt in whole elements. */
const msgPushData: Helper = (run) => {
  const { msg, run: r } = msgEnv(run);
  const start = run.argLo(2) >>> 0;
  const len = run.argLo(3) >>> 0;
  if (run.arg(4) !== 0n) return run.retInt(-ERRNO.EINVAL);
  if (len === 0) return run.retInt(0);
  const flat = flatten(msg);
  if (start > flat.length) return run.retInt(-ERRNO.EINVAL);
  const out = new Uint8Array(flat.length + len);
  out.set(flat.subarray(0, start));
  out.set(flat.subarray(start), start + len);
  relayout(msg, out);
  r.computeDataPointers(msg);
  run.retInt(0);
};

/** bpf_msg_pop_data(msg, start, len, flags): removes [start, start + len). */
const msgPopData: Helper = (run) => {
  const { msg, run: r } = msgEnv(run);
  const start = run.argLo(2) >>> 0;
  const len = run.argLo(3) >>> 0;
  if (run.arg(4) !== 0n) return run.retInt(-ERRNO.EINVAL);
  if (len === 0) return run.retInt(0);
  const flat = flatten(msg);
  if (start >= flat.length || start + len > flat.length) return run.retInt(-ERRNO.EINVAL);
  const out = new Uint8Array(flat.length - len);
  out.set(flat.subarray(0, start));
  out.set(flat.subarray(start + len), start);
  relayout(msg, out);
  r.computeDataPointers(msg);
  run.retInt(0);
};

/** The msg_* helpers with their prototypes. */
export const SK_MSG_HELPERS: readonly BpfFuncProto[] = [
  helper('msg_redirect_map', ['ctx', 'map', 'any', 'any'], 'integer', msgRedirectMap),
  helper('msg_redirect_hash', ['ctx', 'map', 'map_key', 'any'], 'integer', msgRedirectHash),
  helper('msg_apply_bytes', ['ctx', 'any'], 'integer', msgApplyBytes),
  helper('msg_cork_bytes', ['ctx', 'any'], 'integer', msgCorkBytes),
  helper('msg_pull_data', ['ctx', 'any', 'any', 'any'], 'integer', msgPullData, { changesPktData: true }),
  helper('msg_push_data', ['ctx', 'any', 'any', 'any'], 'integer', msgPushData, { changesPktData: true }),
  helper('msg_pop_data', ['ctx', 'any', 'any', 'any'], 'integer', msgPopData, { changesPktData: true }),
];

/** Registers the msg_* helpers in a kernel's helper table. */
export function installSkMsgHelpers(kernel: Kernel): void {
  kernel.helpers.register(SK_MSG_HELPERS);
}
