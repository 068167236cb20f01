// The cgroup attach scenarios run on the live kernel (scripts/kernel/probe_cgroup.py, under
// `npm run test:kernel`) and replayed against bpfsim (cgroup-replay.ts). The step language
// is the probe's (see its docstring): cgroups, programs and links are named; "BAD" is an fd
// that is not open.
import { BPF_ATTACH_TYPE, BPF_FUNC_NAMES, BPF_PROG_TYPE, assemble, encode } from '@bpfsim/isa';

export type Step = { op: string; caps?: 'nonet'; [field: string]: unknown };
export interface CgCase {
  id: string;
  steps: Step[];
}
export interface StepResult {
  ret: string;
  [output: string]: unknown;
}
/** A program load whose ctx access the verifier accepts or refuses. */
export interface CtxCase {
  id: string;
  type: number;
  eat: number;
  insns: string;
}
/** A call of helper `id`: does the program type (with this expected_attach_type) offer it? */
export interface HelperCase {
  type: number;
  eat: number;
  id: number;
}
/** A load whose verifier log is compared: the errno and the line that says why (return
 * ranges, ctx refusals, helpers a program type does not offer). */
export interface LogCase {
  id: string;
  type: number;
  eat: number;
  insns: string;
}
export interface LogResult {
  ret: string;
  /** The verifier's last line before its "processed … insns" summary; '' on success. */
  msg: string;
}
export interface CgroupGolden {
  recordedBy: string;
  kernel: string;
  cases: CgCase[];
  results: StepResult[][];
  ctx: CtxCase[];
  /** 'ok' or the errno of each ctx load. */
  ctxResults: string[];
  helpers: HelperCase[];
  /** 'offered' or 'refused' per helper case. */
  helperResults: string[];
  logs: LogCase[];
  logResults: LogResult[];
}

const A = BPF_ATTACH_TYPE;
const SKB = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB;
const SOCK = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK;
const IN = A.BPF_CGROUP_INET_INGRESS;
const EG = A.BPF_CGROUP_INET_EGRESS;
const CREATE = A.BPF_CGROUP_INET_SOCK_CREATE;
const PB4 = A.BPF_CGROUP_INET4_POST_BIND;
const PB6 = A.BPF_CGROUP_INET6_POST_BIND;
const RELEASE = A.BPF_CGROUP_INET_SOCK_RELEASE;
const ADDR = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
const OPS = BPF_PROG_TYPE.BPF_PROG_TYPE_SOCK_OPS;
const CONNECT4 = A.BPF_CGROUP_INET4_CONNECT;
const CONNECT6 = A.BPF_CGROUP_INET6_CONNECT;

/** Every expected_attach_type a CGROUP_SOCK_ADDR program loads with in 6.18
 * (bpf_prog_load_check_attach), by a short name; UNIX_* came in 6.7. */
export const SOCK_ADDR_ATTACH: readonly (readonly [string, number])[] = [
  ['bind4', A.BPF_CGROUP_INET4_BIND],
  ['bind6', A.BPF_CGROUP_INET6_BIND],
  ['connect4', CONNECT4],
  ['connect6', CONNECT6],
  ['sendmsg4', A.BPF_CGROUP_UDP4_SENDMSG],
  ['sendmsg6', A.BPF_CGROUP_UDP6_SENDMSG],
  ['recvmsg4', A.BPF_CGROUP_UDP4_RECVMSG],
  ['recvmsg6', A.BPF_CGROUP_UDP6_RECVMSG],
  ['getpeername4', A.BPF_CGROUP_INET4_GETPEERNAME],
  ['getpeername6', A.BPF_CGROUP_INET6_GETPEERNAME],
  ['getsockname4', A.BPF_CGROUP_INET4_GETSOCKNAME],
  ['getsockname6', A.BPF_CGROUP_INET6_GETSOCKNAME],
  ['unix_connect', A.BPF_CGROUP_UNIX_CONNECT],
  ['unix_sendmsg', A.BPF_CGROUP_UNIX_SENDMSG],
  ['unix_recvmsg', A.BPF_CGROUP_UNIX_RECVMSG],
  ['unix_getpeername', A.BPF_CGROUP_UNIX_GETPEERNAME],
  ['unix_getsockname', A.BPF_CGROUP_UNIX_GETSOCKNAME],
];
/** A return value every CGROUP_SOCK_ADDR attach type accepts (recvmsg/getname: exactly 1). */
const ADDR_OK = 1;

const O = 1; // BPF_F_ALLOW_OVERRIDE
const M = 2; // BPF_F_ALLOW_MULTI
const R = 4; // BPF_F_REPLACE
const BEFORE = 8;
const AFTER = 16;
const ID = 32;
const PRE = 64;
const LINK = 1 << 13;
const EFF = 1; // BPF_F_QUERY_EFFECTIVE

const hex = (src: string): string => Buffer.from(encode(assemble(src).insns)).toString('hex');
const retN = (n: number): string => hex(`r0 = ${n}\nexit`);

// Step builders.
const mkdir = (cg: string): Step => ({ op: 'mkdir', cg });
const skb = (prog: string, eat: number = IN, ret = 1): Step => ({ op: 'load', prog, type: SKB, eat, insns: retN(ret) });
const sock = (prog: string, eat: number): Step => ({ op: 'load', prog, type: SOCK, eat, insns: retN(1) });
const addr = (prog: string, eat: number, ret = ADDR_OK): Step => ({ op: 'load', prog, type: ADDR, eat, insns: retN(ret) });
const attach = (cg: string, prog: string, at: number, flags = 0, more: Record<string, unknown> = {}): Step => ({ op: 'attach', cg, prog, at, flags, ...more });
const detach = (cg: string, prog: string | null, at: number, more: Record<string, unknown> = {}): Step => ({ op: 'detach', cg, prog, at, ...more });
const query = (cg: string, at: number, more: Record<string, unknown> = {}): Step => ({ op: 'query', cg, at, ...more });
const eff = (cg: string, at: number): Step => query(cg, at, { qflags: EFF });
const link = (name: string, cg: string, prog: string, at: number, flags = 0, more: Record<string, unknown> = {}): Step => ({ op: 'link', link: name, cg, prog, at, flags, ...more });
const update = (l: string, prog: string, more: Record<string, unknown> = {}): Step => ({ op: 'update', link: l, prog, ...more });
const close = (name: string): Step => ({ op: 'close', name });
const linfo = (l: string): Step => ({ op: 'linfo', link: l });
/** Query both the cgroup's own list and its effective array. */
const both = (cg: string, at: number): Step[] => [query(cg, at), eff(cg, at)];

const FLAG_NAMES: Record<number, string> = { 0: 'none', [O]: 'override', [M]: 'multi' };

export function cgroupCases(): CgCase[] {
  const cases: CgCase[] = [];
  const add = (id: string, ...steps: (Step | Step[])[]): void => {
    cases.push({ id, steps: steps.flat() });
  };
  const modes = [0, O, M];

  // -- A. one cgroup: a second attach on top of the first, every mode pair, same or other program.
  for (const f1 of modes)
    for (const f2 of modes)
      for (const same of [true, false])
        add(`one cgroup: ${FLAG_NAMES[f1]} then ${FLAG_NAMES[f2]}, ${same ? 'same' : 'other'} program`, skb('p1'), skb('p2'), attach('.', 'p1', IN, f1), attach('.', same ? 'p1' : 'p2', IN, f2), query('.', IN, { aflags: true }), eff('.', IN));

  // -- B. parent then child, every mode pair; then the parent's program goes.
  for (const fp of modes)
    for (const fc of modes)
      add(
        `parent ${FLAG_NAMES[fp]}, child ${FLAG_NAMES[fc]}`,
        mkdir('a'),
        skb('p1'),
        skb('p2'),
        attach('.', 'p1', IN, fp),
        attach('a', 'p2', IN, fc),
        both('a', IN),
        eff('.', IN),
        detach('.', 'p1', IN),
        both('a', IN),
      );
  // child first, then the parent (attach checks ancestors only)
  for (const fp of modes)
    for (const fc of modes)
      add(`child ${FLAG_NAMES[fc]} first, then parent ${FLAG_NAMES[fp]}`, mkdir('a'), skb('p1'), skb('p2'), attach('a', 'p2', IN, fc), attach('.', 'p1', IN, fp), both('a', IN), detach('a', 'p2', IN), both('a', IN));
  // grandparent modes decide whether a grandchild may attach when the middle is empty
  for (const fp of modes)
    add(`grandparent ${FLAG_NAMES[fp]}, empty middle, grandchild multi`, mkdir('a'), mkdir('a/b'), skb('p1'), skb('p2'), attach('.', 'p1', IN, fp), attach('a/b', 'p2', IN, M), eff('a/b', IN), eff('a', IN));

  // The uapi comment's example: cgrp1 (MULTI A,B) > cgrp2 (OVERRIDE C) > cgrp3 (MULTI D) > cgrp4 (OVERRIDE E) > cgrp5 (NONE F).
  const chain = (...after: Step[]): Step[] => [
    mkdir('2'), mkdir('2/3'), mkdir('2/3/4'), mkdir('2/3/4/5'),
    ...['A', 'B', 'C', 'D', 'E', 'F'].map((p) => skb(p)),
    attach('.', 'A', IN, M), attach('.', 'B', IN, M), attach('2', 'C', IN, O), attach('2/3', 'D', IN, M), attach('2/3/4', 'E', IN, O), attach('2/3/4/5', 'F', IN, 0),
    eff('2/3/4/5', IN), eff('2/3/4', IN), eff('2/3', IN), eff('2', IN), eff('.', IN),
    ...after,
  ];
  add('uapi example: effective arrays down the chain', chain());
  add('uapi example: detach F', chain(detach('2/3/4/5', 'F', IN), eff('2/3/4/5', IN)));
  add('uapi example: detach F and D', chain(detach('2/3/4/5', 'F', IN), detach('2/3', 'D', IN), eff('2/3/4/5', IN), eff('2/3/4', IN)));
  add('uapi example: detach F, E and D', chain(detach('2/3/4/5', 'F', IN), detach('2/3/4', 'E', IN), detach('2/3', 'D', IN), eff('2/3/4/5', IN)));
  add('uapi example: a NONE program may not be attached below F', chain(mkdir('2/3/4/5/6'), skb('G'), attach('2/3/4/5/6', 'G', IN, M), attach('2/3/4/5/6', 'G', IN, O), attach('2/3/4/5/6', 'G', IN, 0)));
  add('uapi example: a new cgroup inherits the effective array', chain(mkdir('2/3/4/5/new'), eff('2/3/4/5/new', IN), mkdir('2/x'), eff('2/x', IN)));
  add('uapi example: attach types are separate', chain(skb('Z', EG), attach('2/3/4/5', 'Z', EG, 0), eff('2/3/4/5', EG), eff('2/3/4/5', IN)));

  // -- C. detach
  add('detach: nothing attached', detach('.', 'BAD', IN), skb('p1'), detach('.', 'p1', IN));
  for (const f of [0, O])
    add(`detach ${FLAG_NAMES[f]}: any fd detaches the one program`, skb('p1'), skb('p2'), attach('.', 'p1', IN, f), detach('.', 'p2', IN), query('.', IN), attach('.', 'p1', IN, f), detach('.', 'BAD', IN), query('.', IN), attach('.', 'p1', IN, f), detach('.', null, IN), both('.', IN));
  add('detach multi: needs the program', skb('p1'), skb('p2'), attach('.', 'p1', IN, M), detach('.', 'BAD', IN), detach('.', 'p2', IN), detach('.', '.', IN), detach('.', 'p1', IN), query('.', IN));
  add('detach resets the mode', skb('p1'), skb('p2'), attach('.', 'p1', IN, M), attach('.', 'p2', IN, M), detach('.', 'p1', IN), query('.', IN), attach('.', 'p1', IN, 0), detach('.', 'p2', IN), query('.', IN), attach('.', 'p1', IN, 0), query('.', IN));
  add('detach: other attach type', skb('p1'), attach('.', 'p1', IN, M), detach('.', 'p1', EG), detach('.', 'p1', IN));
  add('detach: bad cgroup fd', skb('p1'), attach('.', 'p1', IN, M), detach('BAD', 'p1', IN), detach('p1', 'p1', IN));
  add('detach: flags or relative_fd given', skb('p1'), attach('.', 'p1', IN, M), detach('.', 'p1', IN, { flags: M }), detach('.', 'p1', IN, { rel: 'p1' }), detach('.', 'p1', IN, { flags: BEFORE }));
  add('detach: unknown attach type', skb('p1'), detach('.', 'p1', 200), detach('.', 'p1', 200, { flags: 1 }));
  add('detach: a program of another type', skb('p1'), sock('s1', CREATE), attach('.', 'p1', IN, M), detach('.', 's1', IN), attach('.', 's1', CREATE, 0), detach('.', 'p1', CREATE), query('.', CREATE));
  add('detach in the middle of a multi list', ...['p1', 'p2', 'p3'].map((p) => skb(p)), ...['p1', 'p2', 'p3'].map((p) => attach('.', p, IN, M)), detach('.', 'p2', IN), query('.', IN));
  add('detach a parent keeps the child', mkdir('a'), skb('p1'), skb('p2'), attach('.', 'p1', IN, M), attach('a', 'p2', IN, M), detach('.', 'p1', IN), both('a', IN), detach('a', 'p2', IN), both('a', IN));

  // -- D. BPF_F_REPLACE
  const three = (flags = M): Step[] => [...['p1', 'p2', 'p3', 'p4'].map((p) => skb(p)), attach('.', 'p1', IN, flags), attach('.', 'p2', IN, flags), attach('.', 'p3', IN, flags)];
  add('replace: in place', three(), attach('.', 'p4', IN, M | R, { replace: 'p2' }), query('.', IN));
  add('replace: not attached', three(), attach('.', 'p4', IN, M | R, { replace: 'p4' }), query('.', IN));
  add('replace: without multi', skb('p1'), skb('p2'), attach('.', 'p1', IN, 0), attach('.', 'p2', IN, R, { replace: 'p1' }), attach('.', 'p2', IN, O | R, { replace: 'p1' }), query('.', IN));
  // (replace_bpf_fd 0 is left out: the probe's fd 0 is its stdin pipe, EINVAL; bpfsim's fd 0 is never open, EBADF.)
  add('replace: bad replace fd', three(), attach('.', 'p4', IN, M | R, { replace: 'BAD' }), attach('.', 'p4', IN, M | R, { replace: '.' }), attach('.', 'p4', IN, M | R, { replace: 'p4' }));
  add('replace: replace fd of another type', three(), sock('s1', CREATE), attach('.', 'p4', IN, M | R, { replace: 's1' }));
  add('replace: a program with itself', three(), attach('.', 'p2', IN, M | R, { replace: 'p2' }), query('.', IN));
  add('replace: with a program already in the list', three(), attach('.', 'p3', IN, M | R, { replace: 'p2' }), query('.', IN));
  add('replace fd without the flag is ignored', three(), attach('.', 'p4', IN, M, { replace: 'p1' }), query('.', IN));
  add('replace with before/after', three(), attach('.', 'p4', IN, M | R | BEFORE, { replace: 'p2' }), attach('.', 'p4', IN, M | R | AFTER, { replace: 'p2' }));
  add('replace: the old program may be closed', three(), close('p2'), query('.', IN), attach('.', 'p4', IN, M | R, { replace: 'p1' }), query('.', IN));
  add('replace across attach types', three(), skb('e1', EG), attach('.', 'e1', EG, M), attach('.', 'p4', EG, M | R, { replace: 'p1' }), attach('.', 'p4', IN, M | R, { replace: 'e1' }));

  // -- E. BPF_F_BEFORE / BPF_F_AFTER / BPF_F_ID
  add('before, no anchor: first', three(), attach('.', 'p4', IN, M | BEFORE), query('.', IN));
  add('after, no anchor: last', three(), attach('.', 'p4', IN, M | AFTER), query('.', IN));
  add('before p2 by fd', three(), attach('.', 'p4', IN, M | BEFORE, { rel: 'p2' }), query('.', IN));
  add('after p2 by fd', three(), attach('.', 'p4', IN, M | AFTER, { rel: 'p2' }), query('.', IN));
  add('before p1 by id', three(), attach('.', 'p4', IN, M | BEFORE | ID, { relId: 'p1' }), query('.', IN));
  add('after p3 by id', three(), attach('.', 'p4', IN, M | AFTER | ID, { relId: 'p3' }), query('.', IN));
  add('anchor not attached', three(), skb('p5'), attach('.', 'p4', IN, M | BEFORE, { rel: 'p5' }), attach('.', 'p4', IN, M | AFTER | ID, { relId: 'p5' }), query('.', IN));
  add('anchor id unknown or 0', three(), attach('.', 'p4', IN, M | BEFORE | ID, { relId: 0x7ffffff0 }), attach('.', 'p4', IN, M | BEFORE | ID, { relId: 0 }), attach('.', 'p4', IN, M | ID));
  add('before and after together', three(), attach('.', 'p4', IN, M | BEFORE | AFTER), attach('.', 'p4', IN, M | BEFORE | AFTER, { rel: 'p1' }), query('.', IN));
  add('before and after together, empty list', skb('p1'), attach('.', 'p1', IN, M | BEFORE | AFTER), query('.', IN));
  add('anchor without before/after', three(), attach('.', 'p4', IN, M, { rel: 'p1' }), attach('.', 'p4', IN, M | ID, { relId: 'p1' }));
  add('anchor fd bad or not a program', three(), attach('.', 'p4', IN, M | BEFORE, { rel: 'BAD' }), attach('.', 'p4', IN, M | BEFORE, { rel: '.' }));
  add('BPF_F_LINK anchor for a program attach', three(), attach('.', 'p4', IN, M | BEFORE | LINK, { rel: 'p1' }), attach('.', 'p4', IN, M | BEFORE | LINK));
  add('anchor in another attach type', three(), skb('e1', EG), attach('.', 'e1', EG, M), attach('.', 'p4', IN, M | BEFORE, { rel: 'e1' }));
  add('before/after with mode none', skb('p1'), skb('p2'), attach('.', 'p1', IN, BEFORE, { rel: 'p2' }), attach('.', 'p1', IN, BEFORE), attach('.', 'p2', IN, AFTER, { rel: 'p1' }), query('.', IN));
  add('before/after with override', skb('p1'), skb('p2'), attach('.', 'p1', IN, O | AFTER), attach('.', 'p2', IN, O | AFTER, { rel: 'p1' }), query('.', IN));
  add('anchor in a parent cgroup', mkdir('a'), skb('p1'), skb('p2'), attach('.', 'p1', IN, M), attach('a', 'p2', IN, M | BEFORE, { rel: 'p1' }), eff('a', IN));

  // -- F. BPF_F_PREORDER
  add('preorder in one cgroup', three(), attach('.', 'p4', IN, M | PRE), both('.', IN));
  add(
    'preorder across levels',
    mkdir('a'), mkdir('a/b'),
    ...['r1', 'r2', 'a1', 'a2', 'b1', 'b2'].map((p) => skb(p)),
    attach('.', 'r1', IN, M | PRE), attach('.', 'r2', IN, M), attach('a', 'a1', IN, M), attach('a', 'a2', IN, M | PRE), attach('a/b', 'b1', IN, M | PRE), attach('a/b', 'b2', IN, M | PRE),
    eff('a/b', IN), eff('a', IN), query('a/b', IN, { aflags: true }),
  );
  add('preorder with none and override', mkdir('a'), skb('p1'), skb('p2'), attach('.', 'p1', IN, O | PRE), attach('a', 'p2', IN, PRE), eff('a', IN), eff('.', IN));
  add('preorder anchors must match', three(), attach('.', 'p4', IN, M | PRE | BEFORE, { rel: 'p2' }), attach('.', 'p4', IN, M | PRE), skb('p5'), attach('.', 'p5', IN, M | PRE | AFTER, { rel: 'p4' }), attach('.', 'p5', IN, M | AFTER, { rel: 'p4' }), eff('.', IN));
  add('preorder by replace', three(), attach('.', 'p4', IN, M | R | PRE, { replace: 'p3' }), eff('.', IN));
  add('preorder flag alone', skb('p1'), attach('.', 'p1', IN, PRE), query('.', IN), eff('.', IN));

  // -- G. revisions
  add('revision counts attaches and detaches', skb('p1'), skb('p2'), query('.', IN), attach('.', 'p1', IN, M), query('.', IN), attach('.', 'p2', IN, M), detach('.', 'p1', IN), query('.', IN), query('.', EG), eff('.', IN));
  add('expected_revision on attach', skb('p1'), skb('p2'), attach('.', 'p1', IN, M, { rev: 2 }), attach('.', 'p2', IN, M, { rev: 1 }), attach('.', 'p2', IN, M, { rev: 2 }), query('.', IN));
  add('expected_revision on detach', skb('p1'), attach('.', 'p1', IN, M), detach('.', 'p1', IN, { rev: 1 }), detach('.', 'p1', IN, { rev: 2 }), query('.', IN));
  add('expected_revision on a link', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN, 0, { rev: 5 }), link('l1', '.', 'p1', IN, 0, { rev: 1 }), update('l1', 'p2'), query('.', IN), link('l2', '.', 'p2', IN, 0, { rev: 3 }));
  add('revision with a failed attach and a no-op replace', skb('p1'), attach('.', 'p1', IN, 0), attach('.', 'p1', IN, M), attach('.', 'p1', IN, 0), query('.', IN));
  add('revision: none mode with expected revision', skb('p1'), skb('p2'), attach('.', 'p1', IN, 0, { rev: 1 }), attach('.', 'p2', IN, 0, { rev: 1 }), attach('.', 'p2', IN, 0, { rev: 2 }), query('.', IN));

  // -- H. 64 programs
  const many = (n: number, cg = '.', prefix = 'q'): Step[] => Array.from({ length: n }, (_, i) => [skb(`${prefix}${i}`), attach(cg, `${prefix}${i}`, IN, M)]).flat();
  add('64 programs, then E2BIG', many(64), skb('x'), attach('.', 'x', IN, M), query('.', IN, { cnt: 0 }), attach('.', 'x', IN, M | R, { replace: 'q5' }), link('l1', '.', 'x', IN));
  add('64 in a parent and more in a child', mkdir('a'), many(64), many(3, 'a', 'c'), query('a', IN, { qflags: EFF, cnt: 0 }), eff('a', IN));
  add('64 minus one, a link, then E2BIG', many(63), skb('x'), link('l1', '.', 'x', IN), skb('y'), attach('.', 'y', IN, M), close('l1'), attach('.', 'y', IN, M), query('.', IN, { cnt: 2 }));

  // -- I. what may be attached where
  add('cgroup skb program at sock_create', skb('p1'), attach('.', 'p1', CREATE, 0), attach('.', 'p1', PB4, 0));
  add('egress program returning 3 stays on egress', skb('e3', EG, 3), attach('.', 'e3', IN, 0), attach('.', 'e3', EG, 0), link('l1', '.', 'e3', IN));
  add('egress program returning 1 may go to ingress', skb('e1', EG, 1), attach('.', 'e1', IN, 0), query('.', IN));
  add('egress program returning 2 stays on egress', skb('e2', EG, 2), attach('.', 'e2', IN, M), attach('.', 'e2', EG, M));
  add('ingress program at egress', skb('i1', IN, 1), attach('.', 'i1', EG, 0), query('.', EG));
  for (const [eat, name] of [[0, 'default'], [CREATE, 'sock_create'], [RELEASE, 'sock_release'], [PB4, 'post_bind4'], [PB6, 'post_bind6']] as const)
    add(`cgroup sock program (${name}) at each sock attach type`, sock('s', eat), attach('.', 's', CREATE, M), attach('.', 's', RELEASE, M), attach('.', 's', PB4, M), attach('.', 's', PB6, M), attach('.', 's', IN, M), query('.', CREATE), query('.', RELEASE), query('.', PB4), query('.', PB6));
  add('unknown attach type', skb('p1'), attach('.', 'p1', 200, 0), attach('.', 'p1', 58, 0));
  add('non-cgroup attach type with cgroup flags', skb('p1'), attach('.', 'p1', A.BPF_XDP, M), attach('.', 'p1', A.BPF_XDP, 0), attach('.', 'p1', A.BPF_SK_MSG_VERDICT, 0, { rev: 1 }));
  add('unknown flag bits', skb('p1'), attach('.', 'p1', IN, 1 << 7), attach('.', 'p1', IN, 1 << 12), attach('.', 'p1', IN, 1 << 14), query('.', IN));
  add('override and multi together', skb('p1'), attach('.', 'p1', IN, O | M), query('.', IN));
  add('bad program fd', attach('.', 'BAD', IN, 0), attach('.', '.', IN, 0));
  add('bad target fd', skb('p1'), attach('BAD', 'p1', IN, 0), attach('p1', 'p1', IN, 0));
  add('bad target fd and bad program fd', attach('BAD', 'BAD', IN, 0));
  add('bad target checked after the program type', skb('p1'), attach('BAD', 'p1', CREATE, 0), attach('BAD', 'p1', IN, O | M));
  add('program of another type by fd', skb('p1'), sock('s1', CREATE), attach('.', 's1', IN, 0), attach('.', 'p1', CREATE, 0));

  // -- J. queries
  add('query: count only, short buffer, no buffer', three(), query('.', IN, { cnt: 0 }), query('.', IN, { cnt: 2 }), query('.', IN, { cnt: 5, ids: false }), query('.', IN, { cnt: 3 }), query('.', IN, { cnt: 1, qflags: EFF }));
  add('query: prog_attach_flags', skb('p1'), skb('p2'), attach('.', 'p1', IN, M | PRE), attach('.', 'p2', IN, M), query('.', IN, { aflags: true }), query('.', IN, { aflags: true, qflags: EFF }), query('.', IN, { aflags: true, cnt: 1 }));
  add('query: bad flags, types and fds', query('.', IN, { qflags: 2 }), query('.', A.BPF_XDP), query('.', 200), query('BAD', IN), query('.', A.BPF_CGROUP_SOCK_OPS), query('.', A.BPF_CGROUP_DEVICE), query('.', A.BPF_CGROUP_INET4_CONNECT), query('.', A.BPF_CGROUP_UNIX_GETSOCKNAME));
  add('query: empty cgroup', both('.', IN), query('.', IN, { aflags: true }), both('.', RELEASE));
  add('query: override yields in the effective array', mkdir('a'), skb('p1'), skb('p2'), attach('.', 'p1', IN, O), both('a', IN), attach('a', 'p2', IN, O), both('a', IN), both('.', IN));

  // -- K. links
  add('link: attach, query, info, close', skb('p1'), link('l1', '.', 'p1', IN), query('.', IN, { aflags: true }), eff('.', IN), linfo('l1'), close('l1'), both('.', IN));
  add('link: the program fd may close', skb('p1'), link('l1', '.', 'p1', IN), close('p1'), query('.', IN), linfo('l1'), close('l1'), query('.', IN));
  add('link: in a none or override cgroup', skb('p1'), skb('p2'), attach('.', 'p1', IN, 0), link('l1', '.', 'p2', IN), detach('.', null, IN), attach('.', 'p1', IN, O), link('l1', '.', 'p2', IN), query('.', IN));
  add('link: then a none or override attach', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), attach('.', 'p2', IN, 0), attach('.', 'p2', IN, O), attach('.', 'p2', IN, M), query('.', IN));
  add('link: the same program as a link and attached', skb('p1'), attach('.', 'p1', IN, M), link('l1', '.', 'p1', IN), link('l2', '.', 'p1', IN), query('.', IN), eff('.', IN), detach('.', 'p1', IN), query('.', IN));
  add('link: under a none parent', mkdir('a'), skb('p1'), skb('p2'), attach('.', 'p1', IN, 0), link('l1', 'a', 'p2', IN));
  add('link: detach', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), { op: 'ldetach', link: 'l1' }, query('.', IN), linfo('l1'), { op: 'ldetach', link: 'l1' }, update('l1', 'p2'), close('l1'));
  add('link: update', skb('p1'), skb('p2'), skb('p3'), attach('.', 'p3', IN, M), link('l1', '.', 'p1', IN), attach('.', 'p2', IN, M), update('l1', 'p2'), query('.', IN), eff('.', IN), linfo('l1'));
  add('link: update with the expected old program', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), update('l1', 'p2', { flags: R, old: 'p2' }), update('l1', 'p2', { flags: R, old: 'p1' }), update('l1', 'p1', { flags: R, old: 'BAD' }), update('l1', 'p1', { old: 'p2' }), update('l1', 'p1', { flags: 1 }), query('.', IN));
  add('link: update with another program type or attach type', skb('p1'), skb('e1', EG, 3), sock('s1', CREATE), sock('s2', PB4), link('l1', '.', 'p1', IN), update('l1', 's1'), update('l1', 'e1'), query('.', IN), link('l2', '.', 's1', CREATE), update('l2', 's2'), query('.', CREATE), linfo('l2'));
  add('link: update with bad fds', skb('p1'), link('l1', '.', 'p1', IN), update('l1', 'BAD'), update('BAD', 'p1'), update('p1', 'p1'), update('.', 'p1'), update('l1', '.'));
  add('link: detach and close on other objects', skb('p1'), { op: 'ldetach', link: 'p1' }, { op: 'ldetach', link: 'BAD' }, { op: 'linfo', link: '.' });
  add('link: bad flags', skb('p1'), link('l1', '.', 'p1', IN, O), link('l1', '.', 'p1', IN, M), link('l1', '.', 'p1', IN, R), link('l1', '.', 'p1', IN, 1 << 7), query('.', IN));
  add('link: attach type checks', skb('p1'), sock('s1', PB4), link('l1', '.', 'p1', CREATE), link('l1', '.', 's1', CREATE), link('l1', '.', 's1', PB6), link('l1', '.', 's1', PB4), query('.', PB4), link('l2', '.', 'p1', 200));
  add('link: bad target and program', skb('p1'), link('l1', 'BAD', 'p1', IN), link('l1', 'p1', 'p1', IN), link('l1', '.', 'BAD', IN), link('l1', '.', '.', IN));
  add('link: before/after other links', ...['p1', 'p2', 'p3', 'p4'].map((p) => skb(p)), link('l1', '.', 'p1', IN), link('l2', '.', 'p2', IN), link('l3', '.', 'p3', IN, BEFORE | LINK, { rel: 'l2' }), link('l4', '.', 'p4', IN, AFTER | LINK | ID, { relId: 'l1' }), query('.', IN));
  add('link: anchors must be links', ...['p1', 'p2', 'p3'].map((p) => skb(p)), attach('.', 'p1', IN, M), link('l1', '.', 'p2', IN, BEFORE, { rel: 'p1' }), link('l1', '.', 'p2', IN, BEFORE | LINK, { rel: 'p1' }), link('l1', '.', 'p2', IN, BEFORE), link('l2', '.', 'p3', IN, AFTER | LINK, { rel: 'l1' }), attach('.', 'p3', IN, M | BEFORE | LINK, { rel: 'l1' }), attach('.', 'p3', IN, M | BEFORE, { rel: 'l1' }), query('.', IN));
  add('link: detach by prog detach', skb('p1'), link('l1', '.', 'p1', IN), detach('.', 'p1', IN), detach('.', null, IN), query('.', IN));
  add('link: in a child of a link parent', mkdir('a'), skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), link('l2', 'a', 'p2', IN), eff('a', IN), close('l1'), eff('a', IN), update('l2', 'p1'), eff('a', IN));
  add('link: preorder link', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), link('l2', '.', 'p2', IN, PRE), eff('.', IN));
  // Unpinning puts the link from a workqueue (bpf_link_put() defers, closing an fd does not):
  // the probe waits for it ('settle'); bpfsim frees at once.
  add('link: pinned link outlives its fd', skb('p1'), link('l1', '.', 'p1', IN), { op: 'pin', name: 'l1', path: 'l1' }, close('l1'), query('.', IN), { op: 'get', path: 'l1', as: 'l1b' }, linfo('l1b'), close('l1b'), { op: 'unpin', path: 'l1' }, { op: 'settle' }, query('.', IN));
  add('link: ids and info after detach', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), link('l2', '.', 'p2', EG), linfo('l1'), linfo('l2'), close('l1'), linfo('l2'));

  // -- L. lifetimes
  add('a program stays attached when its fd closes', skb('p1'), skb('p2'), attach('.', 'p1', IN, 0), close('p1'), query('.', IN), attach('.', 'p2', IN, 0), query('.', IN));
  add('attach with flags none after a link left', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), close('l1'), attach('.', 'p2', IN, 0), query('.', IN, { aflags: true }));
  add('child created under a multi parent after attach', skb('p1'), attach('.', 'p1', IN, M), mkdir('a'), both('a', IN), mkdir('a/b'), eff('a/b', IN));
  add('rmdir a cgroup with programs', mkdir('a'), skb('p1'), attach('a', 'p1', IN, M), { op: 'rmdir', cg: 'a' }, mkdir('a'), both('a', IN));

  // -- N. capabilities (CAP_NET_ADMIN and CAP_SYS_ADMIN dropped)
  const nonet = (s: Step): Step => ({ ...s, caps: 'nonet' });
  add('no CAP_NET_ADMIN: cgroup skb attach and link', skb('p1'), nonet(attach('.', 'p1', IN, 0)), nonet(link('l1', '.', 'p1', IN)), query('.', IN));
  add('no CAP_NET_ADMIN: cgroup sock attach', sock('s1', CREATE), nonet(attach('.', 's1', CREATE, M)), query('.', CREATE));
  add('no CAP_NET_ADMIN: query and detach', skb('p1'), attach('.', 'p1', IN, M), nonet(query('.', IN)), nonet(detach('.', 'p1', IN)), query('.', IN));
  add('no CAP_NET_ADMIN: link update and detach', skb('p1'), skb('p2'), link('l1', '.', 'p1', IN), nonet(update('l1', 'p2')), query('.', IN), nonet({ op: 'ldetach', link: 'l1' }), query('.', IN));

  // -- O. CGROUP_SOCK_ADDR: expected_attach_type at load (bpf_prog_load_check_attach) and
  // again at attach and link (bpf_prog_attach_check_attach_type), return ranges, caps.
  add(
    'sock_addr load: expected_attach_type must be one of its own',
    addr('a0', 0), addr('a1', PB4), addr('a2', CREATE), addr('a3', A.BPF_CGROUP_SETSOCKOPT), addr('a4', A.BPF_SK_LOOKUP), addr('a5', 200), addr('a6', A.BPF_CGROUP_UNIX_GETSOCKNAME), addr('a7', CONNECT4),
  );
  SOCK_ADDR_ATTACH.forEach(([name, at], i) => {
    const [otherName, other] = SOCK_ADDR_ATTACH[(i + 1) % SOCK_ADDR_ATTACH.length]!;
    add(
      `sock_addr ${name}: attach and link only at its expected_attach_type (not ${otherName})`,
      addr('p', at), addr('q', other),
      attach('.', 'p', other, M), attach('.', 'p', IN, M), attach('.', 'p', CREATE, M), link('l1', '.', 'p', other), detach('.', 'p', other),
      attach('.', 'p', at, M), link('l1', '.', 'q', at), link('l2', '.', 'q', other), query('.', at), eff('.', other), detach('.', 'q', at), detach('.', 'p', at), query('.', at),
    );
  });
  add('sock_addr return ranges at load', ...SOCK_ADDR_ATTACH.flatMap(([, at]) => [-1, 0, 1, 2, 3, 4].map((r) => addr(`r${at}_${r}`, at, r))));
  add('sock_addr bind4 program returning 3 attaches and runs at bind4 only', addr('b3', A.BPF_CGROUP_INET4_BIND, 3), attach('.', 'b3', A.BPF_CGROUP_INET4_BIND, 0), attach('.', 'b3', A.BPF_CGROUP_INET6_BIND, 0), query('.', A.BPF_CGROUP_INET4_BIND));
  add('sock_addr none, override and multi like every cgroup type', mkdir('a'), addr('c1', CONNECT4), addr('c2', CONNECT4), addr('c3', CONNECT4), attach('.', 'c1', CONNECT4, O), attach('a', 'c2', CONNECT4, M), attach('a', 'c3', CONNECT4, M), eff('a', CONNECT4), attach('.', 'c2', CONNECT4, 0), query('.', CONNECT4), eff('a', CONNECT4));
  add('sock_addr link update keeps the attach type', addr('c4', CONNECT4), addr('c4b', CONNECT4), addr('c6', CONNECT6), skb('s'), link('l1', '.', 'c4', CONNECT4), update('l1', 'c6'), update('l1', 's'), update('l1', 'c4b'), query('.', CONNECT4), linfo('l1'));
  add('other types at sock_addr attach types', skb('s'), sock('k', CREATE), attach('.', 's', CONNECT4, 0), attach('.', 'k', CONNECT4, 0), link('l1', '.', 'k', A.BPF_CGROUP_UDP4_SENDMSG), query('.', CONNECT4));
  add('no CAP_NET_ADMIN: sock_addr attach, link and detach', addr('c', CONNECT4), nonet(attach('.', 'c', CONNECT4, M)), nonet(link('l1', '.', 'c', CONNECT4)), attach('.', 'c', CONNECT4, M), nonet(detach('.', 'c', CONNECT4)), nonet(query('.', CONNECT4)), query('.', CONNECT4));

  return cases;
}

// ---- ctx access: every offset, size and direction, per program type and attach type ----------

const SIZES = [1, 2, 4, 8] as const;
const SZ: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

export function ctxCases(): CtxCase[] {
  const out: CtxCase[] = [];
  const types: [string, number, number, number][] = [
    ['cgroup_skb', SKB, 192, IN],
    ['cgroup_skb', SKB, 192, EG],
    ['cgroup_sock', SOCK, 80, 0],
    ['cgroup_sock', SOCK, 80, CREATE],
    ['cgroup_sock', SOCK, 80, RELEASE],
    ['cgroup_sock', SOCK, 80, PB4],
    ['cgroup_sock', SOCK, 80, PB6],
  ];
  for (const [name, type, size, eat] of types)
    for (const sz of SIZES)
      for (let off = 0; off < size; off += 1) {
        if (off % sz) continue;
        out.push({ id: `${name}/${eat} read ${SZ[sz]} @${off}`, type, eat, insns: hex(`r0 = *(${SZ[sz]} *)(r1 + ${off})\nr0 = 0\nexit`) });
        out.push({ id: `${name}/${eat} write ${SZ[sz]} @${off}`, type, eat, insns: hex(`r2 = 0\n*(${SZ[sz]} *)(r1 + ${off}) = r2\nr0 = 0\nexit`) });
      }
  // One past the end.
  out.push({ id: 'cgroup_skb read past the end', type: SKB, eat: IN, insns: hex('r0 = *(u32 *)(r1 + 192)\nr0 = 0\nexit') });
  out.push({ id: 'cgroup_sock read past the end', type: SOCK, eat: CREATE, insns: hex('r0 = *(u32 *)(r1 + 80)\nr0 = 0\nexit') });
  out.push(...sockAddrCtxCases());
  out.push(...sockOpsCtxCases());
  return out;
}

/** struct bpf_sock_ops (224 bytes): every offset 0..224 (one past the end too), sizes
 * 1/2/4/8, read and write; return values; the packet pointers read and written. */
function sockOpsCtxCases(): CtxCase[] {
  const out: CtxCase[] = [];
  const c = (what: string, src: string): void => {
    out.push({ id: `sock_ops ${what}`, type: OPS, eat: 0, insns: hex(`${src}\nr0 = 1\nexit`) });
  };
  for (let off = 0; off <= 224; off++)
    for (const sz of SIZES) {
      c(`read ${SZ[sz]} @${off}`, `r0 = *(${SZ[sz]} *)(r1 + ${off})`);
      c(`stx ${SZ[sz]} @${off}`, `r2 = 1\n*(${SZ[sz]} *)(r1 + ${off}) = r2`);
    }
  c('packet read in bounds', 'r2 = *(u64 *)(r1 + 192)\nr3 = *(u64 *)(r1 + 200)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)');
  c('packet write in bounds', 'r2 = *(u64 *)(r1 + 192)\nr3 = *(u64 *)(r1 + 200)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +1\n*(u8 *)(r2 + 0) = r4');
  c('sk deref without a NULL check', 'r2 = *(u64 *)(r1 + 184)\nr0 = *(u32 *)(r2 + 4)');
  c('sk deref after a NULL check', 'r2 = *(u64 *)(r1 + 184)\nif r2 == 0 goto +1\nr0 = *(u32 *)(r2 + 4)');
  for (const r of [0, 2, -1]) out.push({ id: `sock_ops return ${r}`, type: OPS, eat: 0, insns: hex(`r0 = ${r}\nexit`) });
  return out;
}

/**
 * struct bpf_sock_addr (72 bytes) per attach type: every offset 0..72 (misaligned ones and
 * one past the end included), sizes 1/2/4/8, as a load, a sign-extending load, a store of
 * a register (BPF_STX) and of an immediate (BPF_ST); return values; the sk pointer.
 */
function sockAddrCtxCases(): CtxCase[] {
  const out: CtxCase[] = [];
  for (const [name, eat] of SOCK_ADDR_ATTACH) {
    const c = (what: string, src: string): void => {
      out.push({ id: `sock_addr/${name} ${what}`, type: ADDR, eat, insns: hex(`${src}\nr0 = ${ADDR_OK}\nexit`) });
    };
    for (let off = 0; off <= 72; off++)
      for (const sz of SIZES) {
        c(`read ${SZ[sz]} @${off}`, `r0 = *(${SZ[sz]} *)(r1 + ${off})`);
        if (sz !== 8) c(`ldsx s${sz * 8} @${off}`, `r0 = *(s${sz * 8} *)(r1 + ${off})`);
        c(`stx ${SZ[sz]} @${off}`, `r2 = 1\n*(${SZ[sz]} *)(r1 + ${off}) = r2`);
        c(`st ${SZ[sz]} @${off}`, `*(${SZ[sz]} *)(r1 + ${off}) = 1`);
      }
    for (const r of [-1, 0, 1, 2, 3, 4]) out.push({ id: `sock_addr/${name} return ${r}`, type: ADDR, eat, insns: retN(r) });
    // The family read leaves an unknown u32 in r0.
    out.push({ id: `sock_addr/${name} return unknown`, type: ADDR, eat, insns: hex('r0 = *(u32 *)(r1 + 28)\nexit') });
    // sk is PTR_TO_SOCKET, not NULL: its struct bpf_sock fields read, not written.
    c('sk deref', 'r1 = *(u64 *)(r1 + 64)\nr0 = *(u32 *)(r1 + 4)');
    c('sk deref past bpf_sock', 'r1 = *(u64 *)(r1 + 64)\nr0 = *(u32 *)(r1 + 80)');
    c('sk write', 'r1 = *(u64 *)(r1 + 64)\nr2 = 1\n*(u32 *)(r1 + 16) = r2');
    c('sk as ctx pointer leaks into user_port', 'r2 = *(u64 *)(r1 + 64)\n*(u32 *)(r1 + 24) = r2');
    c('sk null check not needed', 'r2 = *(u64 *)(r1 + 64)\nif r2 == 0 goto +1\nr0 = *(u32 *)(r2 + 8)');
  }
  return out;
}

/** Every helper id, for cgroup skb (both attach types), cgroup sock and cgroup sock_addr
 * (every attach type). */
export function helperCases(): HelperCase[] {
  const out: HelperCase[] = [];
  const kinds: [number, number][] = [[SKB, IN], [SKB, EG], [SOCK, 0], [SOCK, CREATE], [SOCK, RELEASE], [SOCK, PB4], [SOCK, PB6], ...SOCK_ADDR_ATTACH.map(([, at]): [number, number] => [ADDR, at]), [OPS, 0]];
  for (const [type, eat] of kinds) for (let id = 1; id < BPF_FUNC_NAMES.length; id++) out.push({ type, eat, id });
  return out;
}

/** Loads whose verifier message is compared word for word: check_return_code()'s ranges,
 * sock_addr_is_valid_access() refusals, sock_addr_func_proto()'s helpers by attach type. */
export function logCases(): LogCase[] {
  const out: LogCase[] = [];
  for (const [name, eat] of SOCK_ADDR_ATTACH) {
    const c = (what: string, src: string): void => {
      out.push({ id: `sock_addr/${name} ${what}`, type: ADDR, eat, insns: hex(src) });
    };
    for (const r of [-1, 0, 2, 4]) c(`return ${r}`, `r0 = ${r}\nexit`);
    c('return unknown', 'r0 = *(u32 *)(r1 + 28)\nexit');
    c('return a pointer', 'r0 = r1\nexit');
    c('return nothing', 'exit');
    c('read user_ip4', 'r0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit');
    c('read user_ip6[1] u64', 'r0 = *(u64 *)(r1 + 12)\nr0 = 1\nexit');
    c('read msg_src_ip4', 'r0 = *(u32 *)(r1 + 40)\nr0 = 1\nexit');
    c('write msg_src_ip6 u64', '*(u64 *)(r1 + 48) = 0\nr0 = 1\nexit');
    c('write user_family', 'r2 = 2\n*(u32 *)(r1 + 0) = r2\nr0 = 1\nexit');
    c('write user_port u16', '*(u16 *)(r1 + 24) = 80\nr0 = 1\nexit');
    c('write sk', '*(u64 *)(r1 + 64) = 0\nr0 = 1\nexit');
    c('write into the socket', 'r1 = *(u64 *)(r1 + 64)\n*(u32 *)(r1 + 16) = 0\nr0 = 1\nexit');
    for (const h of [64, 186, 187, 57, 49, 84, 46]) c(`helper ${BPF_FUNC_NAMES[h]}`, `call ${h}\nr0 = 1\nexit`);
  }
  return out;
}

/** Log cases where bpfsim knowingly differs from Linux, with why (none at present). */
export function knownLogDeviation(_id: string): string | undefined {
  return undefined;
}
