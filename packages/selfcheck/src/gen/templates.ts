// Random programs from templates, for the patterns the structured generator (programs.ts)
// never makes and random testing against Linux found wrong (issue 21): linked registers
// moved by 32-bit and other non-add operations, one load or store reached with different
// pointer kinds on different paths, helpers writing to read-only and write-only maps, sign
// extension of random ranges (moves and loads), and helper calls with arguments of every
// kind. Each seed picks a template and its parameters; the program is assembled from text.
import { assemble } from '@bpfsim/isa';
import type { Insn } from '@bpfsim/isa';
import type { MapInfo } from '@bpfsim/verifier';
import { Rand } from './programs';

export interface TemplateProgram {
  seed: number;
  template: string;
  progType: 'xdp' | 'socket_filter';
  asm: string;
  insns: Insn[];
  maps: MapInfo[];
}

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[r.int(xs.length)]!;
const SIZES = ['u8', 'u16', 'u32', 'u64'] as const;
const SX = ['s8', 's16', 's32'] as const;

/** A scalar r0 of a random shape: unknown, masked, masked and offset, or a u32. */
function unknownR0(r: Rand): string {
  const mask = pick(r, [1, 3, 7, 15, 31, 63, 127, 255, 0x7fff, 0xffff, 0x1ff]);
  const add = pick(r, [0, 1, -1, -2, -9, 127, 128, 0xfe, -128, -256, 2147483647]);
  switch (r.int(4)) {
    case 0:
      return 'call bpf_get_prandom_u32';
    case 1:
      return `call bpf_get_prandom_u32\n r0 &= ${mask}`;
    case 2:
      return `call bpf_get_prandom_u32\n r0 &= ${mask}\n r0 += ${add}`;
    default:
      return `call bpf_get_prandom_u32\n w0 &= ${mask}\n w0 += ${add}`;
  }
}

const ALU = ['+=', '-=', '*=', '|=', '&=', '^=', '<<=', '>>=', 's>>='];

/** A linked copy moved by an operation, a second copy bounded, the first used as an offset. */
function linked(r: Rand): string {
  const op = pick(r, ALU);
  const w = r.int(2) ? 'w' : 'r';
  const imm = op.includes('<<') || op.includes('>>') ? r.int(32) : pick(r, [0, 1, -1, 3, 31, 2147483647, -2147483648]);
  const d1 = pick(r, [0, 1, 3, -1, -9, 2147483647]);
  const d2 = pick(r, [0, 1, -1, 7]);
  const bound = pick(r, [7, 15, 31, 63]);
  const size = pick(r, SIZES);
  return `
    ${unknownR0(r)}
    r7 = r0
    r7 += ${d1}
    ${w}7 ${op} ${imm}
    r4 = r7
    r4 += ${d2}
    if r4 > ${bound} goto out
    r0 = r10
    r0 += ${-(bound + 16 + 8 * r.int(4))}
    r0 += r7
    *(${size} *)(r0 + 0) = 0
    out:
    r0 = 0
    exit`;
}

/** One access reached with the ctx on one path and another pointer on the other. */
function mixedPointers(r: Rand, progType: 'xdp' | 'socket_filter'): { asm: string; maps: string } {
  const others = ['r3 = r10\n r3 += -8', 'r3 = r6', 'r3 = r0'];
  const other = pick(r, others);
  const useMap = other === 'r3 = r0';
  const access = pick(r, ['r0 = *(u32 *)(r3 + 0)', '*(u32 *)(r3 + 0) = r2', '*(u32 *)(r3 + 0) = 0', 'r0 = *(u8 *)(r3 + 0)']);
  const cond = progType === 'xdp' ? 'r2 = *(u32 *)(r6 + 12)' : 'r2 = *(u32 *)(r6 + 0)';
  const lookup = useMap
    ? `*(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out`
    : '';
  return {
    maps: useMap ? '.map m type=array key_size=4 value_size=16 max_entries=1' : '',
    asm: `
    r6 = r1
    *(u64 *)(r10 - 8) = 0
    ${lookup}
    ${cond}
    if r2 == 0 goto other
    r3 = r6
    goto use
    other:
    ${other}
    use:
    ${access}
    out:
    r0 = 2
    exit`,
  };
}

/** A map created read-only or write-only for programs, used by helpers and directly. */
function mapFlags(r: Rand): { asm: string; maps: string } {
  const flags = pick(r, [0, 128, 256]);
  const type = pick(r, ['array', 'hash', 'queue']);
  const decl = type === 'queue' ? `.map m type=queue key_size=0 value_size=8 max_entries=4 map_flags=${flags}` : `.map m type=${type} key_size=4 value_size=8 max_entries=4 map_flags=${flags}`;
  const calls =
    type === 'queue'
      ? ['r2 = r3\n r3 = 0\n call bpf_map_push_elem', 'r2 = r3\n call bpf_map_pop_elem', 'r2 = r3\n call bpf_map_peek_elem']
      : ['r4 = 0\n call bpf_map_update_elem', 'call bpf_map_delete_elem', 'call bpf_map_lookup_elem\n if r0 == 0 goto out\n r1 = *(u64 *)(r0 + 0)', 'call bpf_map_lookup_elem\n if r0 == 0 goto out\n *(u64 *)(r0 + 0) = 1'];
  return {
    maps: decl,
    asm: `
    *(u32 *)(r10 - 4) = 0
    *(u64 *)(r10 - 16) = 0
    r1 = m ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    ${pick(r, calls)}
    out:
    r0 = 2
    exit`,
  };
}

/** A sign extension (a move or a load) of a random range, then a bounds test and a use as a
 * stack offset, so the verifier's range decides. */
function signExtend(r: Rand): string {
  const sx = pick(r, SX);
  const viaLoad = r.int(3) === 0;
  const ext = viaLoad ? `*(u64 *)(r10 - 8) = r0\n r1 = *(${sx} *)(r10 - 8)` : `r1 = (${sx})r0`;
  const lo = pick(r, [-1, -2, -64, -128, 0, -32768]);
  const hi = pick(r, [0, 1, 63, 127, 255, 32767]);
  return `
    ${unknownR0(r)}
    ${r.int(2) ? 'if w0 > 200 goto out' : ''}
    ${ext}
    if r1 s> ${hi} goto out
    if r1 s< ${lo} goto out
    r1 += ${-lo}
    r2 = r10
    r2 += ${-(hi - lo + 1) - 8}
    r2 += r1
    r0 = *(u8 *)(r2 + 0)
    out:
    r0 = 0
    exit`;
}

/** A helper the program type offers or not, with arguments of random kinds. */
function helperArgs(r: Rand, progType: 'xdp' | 'socket_filter'): { asm: string; maps: string } {
  const helpers = [
    'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'probe_read', 'probe_read_str', 'probe_read_kernel', 'send_signal',
    'perf_event_read', 'perf_event_read_value', 'current_task_under_cgroup', 'spin_lock', 'spin_unlock', 'csum_diff', 'get_prandom_u32',
    'ktime_get_ns', 'trace_printk', 'skb_load_bytes', 'xdp_adjust_head', 'xdp_adjust_meta', 'get_current_pid_tgid', 'redirect', 'tail_call',
    'ringbuf_output', 'strncmp', 'snprintf', 'loop', 'get_socket_cookie', 'sk_lookup_tcp', 'fib_lookup', 'check_mtu',
  ];
  const args = ['0', 'r10\n rA += -16', 'r6', 'm ll', '8', '-1', '64'];
  let set = '';
  for (let a = 1; a <= 5; a++) {
    const v = pick(r, args);
    set += v.includes('rA') ? `r${a} = ${v.replace('rA', `r${a}`)}\n ` : `r${a} = ${v}\n `;
  }
  void progType;
  return {
    maps: '.map m type=array key_size=4 value_size=16 max_entries=4',
    asm: `
    r6 = r1
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    ${set}
    call bpf_${pick(r, helpers)}
    r0 = 2
    exit`,
  };
}

const TEMPLATES = ['linked', 'mixed-pointers', 'map-flags', 'sign-extend', 'helper-args'] as const;

/** One program from one seed. */
export function generateTemplate(seed: number): TemplateProgram {
  const r = new Rand(seed ^ 0x21);
  const template = pick(r, TEMPLATES);
  const progType = r.int(2) ? 'xdp' : 'socket_filter';
  let body: { asm: string; maps: string };
  switch (template) {
    case 'linked':
      body = { asm: linked(r), maps: '' };
      break;
    case 'mixed-pointers':
      body = mixedPointers(r, progType);
      break;
    case 'map-flags':
      body = mapFlags(r);
      break;
    case 'sign-extend':
      body = { asm: signExtend(r), maps: '' };
      break;
    default:
      body = helperArgs(r, progType);
  }
  const asm = `${body.maps}\n${body.asm}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l)
    .join('\n');
  const a = assemble(asm, { file: `template-${seed}` });
  const maps = a.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }));
  return { seed, template, progType, asm, insns: a.insns, maps };
}
