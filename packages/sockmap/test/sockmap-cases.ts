// Sockmap scenarios asked of the live kernel with real loopback sockets (sockmap.kernel.test.ts
// records them with scripts/kernel/probe_sockmap.py) and replayed in bpfsim
// (sockmap-golden.test.ts): map creation, which sockets may join, update flags, lookups of
// cookies, deletes, iteration, close removing a socket, and SK_MSG programs on a map.
import { assemble, encode } from '@bpfsim/isa';

export type SockKind = 'tcp-fresh' | 'tcp-bound' | 'tcp-listen' | 'tcp-est' | 'tcp-accepted' | 'udp' | 'udp-connected';
export type Step =
  | { op: 'map'; name: string; type: number; key: number; value: number; max: number; flags?: number }
  | { op: 'sock'; name: string; kind: SockKind }
  | { op: 'update'; map: string; key: number; sock?: string; fd?: 'pipe' | 'closed' | 'huge'; flags?: number }
  | { op: 'lookup' | 'delete'; map: string; key: number }
  | { op: 'nextkey'; map: string; key: number | null }
  | { op: 'close'; sock: string }
  | { op: 'prog'; name: string; insns: string; type: number }
  | { op: 'attach' | 'detach'; map: string; prog: string; attachType: number; flags?: number }
  | { op: 'query'; map: string; attachType: number };
export type StepResult = string | { next: number } | { progs: string[] };
export interface SockmapCase {
  id: string;
  steps: Step[];
}
export interface SockmapGolden {
  recordedBy: string;
  kernel: string;
  cases: SockmapCase[];
  results: StepResult[][];
}

const SOCKMAP = 15;
const SOCKHASH = 18;
const SK_MSG = 16;
const VERDICT = 7;
const pass = Buffer.from(encode(assemble('r0 = 1\nexit').insns)).toString('hex');
const m = (name = 'm', type = SOCKMAP, value = 8, max = 4, key = 4): Step => ({ op: 'map', name, type, key, value, max });

export function sockmapCases(): SockmapCase[] {
  const cases: SockmapCase[] = [];
  const add = (id: string, ...steps: Step[]): void => {
    cases.push({ id, steps });
  };
  // Creation.
  for (const [t, tn] of [
    [SOCKMAP, 'sockmap'],
    [SOCKHASH, 'sockhash'],
  ] as const) {
    for (const [key, value, max, flags] of [
      [4, 4, 4, 0],
      [4, 8, 4, 0],
      [4, 2, 4, 0],
      [4, 16, 4, 0],
      [8, 8, 4, 0],
      [0, 8, 4, 0],
      [600, 8, 4, 0],
      [4, 8, 0, 0],
      [4, 8, 4, 1 << 3],
      [4, 8, 4, 1 << 0],
      [4, 8, 4, 1 << 7],
    ] as const) {
      add(`create-${tn}-k${key}-v${value}-max${max}-f${flags}`, { op: 'map', name: 'm', type: t, key, value, max, flags });
    }
  }
  // Which sockets may join (sock_map_sk_state_allowed).
  for (const kind of ['tcp-fresh', 'tcp-bound', 'tcp-listen', 'tcp-est', 'tcp-accepted', 'udp', 'udp-connected'] as const) {
    add(`update-${kind}`, m(), { op: 'sock', name: 's', kind }, { op: 'update', map: 'm', key: 0, sock: 's' }, { op: 'lookup', map: 'm', key: 0 });
    add(`update-hash-${kind}`, m('h', SOCKHASH), { op: 'sock', name: 's', kind }, { op: 'update', map: 'h', key: 7, sock: 's' }, { op: 'lookup', map: 'h', key: 7 });
  }
  add('update-not-a-socket', m(), { op: 'update', map: 'm', key: 0, fd: 'pipe' });
  add('update-closed-fd', m(), { op: 'update', map: 'm', key: 0, fd: 'closed' });
  add('update-huge-fd', m(), { op: 'update', map: 'm', key: 0, fd: 'huge' });
  add('update-key-out-of-range', m(), { op: 'sock', name: 's', kind: 'tcp-est' }, { op: 'update', map: 'm', key: 4, sock: 's' });
  add('update-bad-flags', m(), { op: 'sock', name: 's', kind: 'tcp-est' }, { op: 'update', map: 'm', key: 0, sock: 's', flags: 3 });
  add(
    'update-noexist-exist',
    m(),
    { op: 'sock', name: 'a', kind: 'tcp-est' },
    { op: 'sock', name: 'b', kind: 'tcp-listen' },
    { op: 'update', map: 'm', key: 1, sock: 'a', flags: 2 },
    { op: 'update', map: 'm', key: 1, sock: 'a', flags: 1 },
    { op: 'update', map: 'm', key: 1, sock: 'b', flags: 1 },
    { op: 'update', map: 'm', key: 1, sock: 'b', flags: 2 },
    { op: 'lookup', map: 'm', key: 1 },
  );
  add('lookup-value-4', m('m', SOCKMAP, 4), { op: 'sock', name: 's', kind: 'tcp-est' }, { op: 'update', map: 'm', key: 0, sock: 's' }, { op: 'lookup', map: 'm', key: 0 }, { op: 'lookup', map: 'm', key: 9 });
  add('lookup-empty-and-out-of-range', m(), { op: 'lookup', map: 'm', key: 2 }, { op: 'lookup', map: 'm', key: 9 });
  add(
    'delete',
    m(),
    { op: 'sock', name: 's', kind: 'tcp-est' },
    { op: 'delete', map: 'm', key: 0 },
    { op: 'delete', map: 'm', key: 9 },
    { op: 'update', map: 'm', key: 0, sock: 's' },
    { op: 'delete', map: 'm', key: 0 },
    { op: 'lookup', map: 'm', key: 0 },
    { op: 'delete', map: 'm', key: 0 },
  );
  add('hash-delete-absent', m('h', SOCKHASH), { op: 'delete', map: 'h', key: 3 });
  add('hash-full', m('h', SOCKHASH, 8, 2), { op: 'sock', name: 'a', kind: 'udp-connected' }, { op: 'sock', name: 'b', kind: 'tcp-est' }, { op: 'sock', name: 'c', kind: 'tcp-listen' }, { op: 'update', map: 'h', key: 1, sock: 'a' }, { op: 'update', map: 'h', key: 2, sock: 'b' }, { op: 'update', map: 'h', key: 3, sock: 'c' }, { op: 'update', map: 'h', key: 1, sock: 'c' });
  add('nextkey-sockmap', m(), { op: 'nextkey', map: 'm', key: null }, { op: 'nextkey', map: 'm', key: 0 }, { op: 'nextkey', map: 'm', key: 3 }, { op: 'nextkey', map: 'm', key: 9 });
  add('nextkey-sockhash-empty', m('h', SOCKHASH), { op: 'nextkey', map: 'h', key: null });
  add(
    'close-removes',
    m(),
    m('h', SOCKHASH),
    { op: 'sock', name: 's', kind: 'tcp-est' },
    { op: 'update', map: 'm', key: 0, sock: 's' },
    { op: 'update', map: 'm', key: 2, sock: 's' },
    { op: 'update', map: 'h', key: 5, sock: 's' },
    { op: 'close', sock: 's' },
    { op: 'lookup', map: 'm', key: 0 },
    { op: 'lookup', map: 'm', key: 2 },
    { op: 'lookup', map: 'h', key: 5 },
    { op: 'delete', map: 'm', key: 0 },
    { op: 'delete', map: 'h', key: 5 },
  );
  // SK_MSG programs on a map.
  const prog = (name: string): Step => ({ op: 'prog', name, insns: pass, type: SK_MSG });
  add('attach-query-detach', m(), prog('p'), prog('q'), { op: 'query', map: 'm', attachType: VERDICT }, { op: 'attach', map: 'm', prog: 'p', attachType: VERDICT }, { op: 'query', map: 'm', attachType: VERDICT }, { op: 'attach', map: 'm', prog: 'q', attachType: VERDICT }, { op: 'query', map: 'm', attachType: VERDICT }, { op: 'detach', map: 'm', prog: 'p', attachType: VERDICT }, { op: 'detach', map: 'm', prog: 'q', attachType: VERDICT }, { op: 'detach', map: 'm', prog: 'q', attachType: VERDICT }, { op: 'query', map: 'm', attachType: VERDICT });
  add('attach-with-flags', m(), prog('p'), { op: 'attach', map: 'm', prog: 'p', attachType: VERDICT, flags: 2 });
  add('attach-to-array', { op: 'map', name: 'a', type: 2, key: 4, value: 8, max: 4 }, prog('p'), { op: 'attach', map: 'a', prog: 'p', attachType: VERDICT });
  add(
    'socket-in-two-maps-with-programs-ebusy',
    m(),
    m('n'),
    prog('p'),
    { op: 'attach', map: 'm', prog: 'p', attachType: VERDICT },
    { op: 'attach', map: 'n', prog: 'p', attachType: VERDICT },
    { op: 'sock', name: 's', kind: 'tcp-est' },
    { op: 'update', map: 'm', key: 0, sock: 's' },
    { op: 'update', map: 'm', key: 1, sock: 's' },
    { op: 'update', map: 'n', key: 0, sock: 's' },
    { op: 'delete', map: 'm', key: 0 },
    { op: 'update', map: 'n', key: 0, sock: 's' },
  );
  return cases;
}
