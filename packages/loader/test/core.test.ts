import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { BPF_B, BPF_H, BPF_LDX, BPF_MEM, BPF_W, BPF_DW, BPF_ALU64, BPF_MOV, BPF_K, LD_IMM64, decode, insn, ldImm64 } from '@bpfsim/isa';
import type { Insn } from '@bpfsim/isa';
import { KERNEL_STRUCTS } from '@bpfsim/kernel';
import { Btf, BtfBuilder } from '../src/btf';
import { parseBtfExt } from '../src/btf-ext';
import type { CoreRelo } from '../src/btf-ext';
import { BPF_CORE, CORE_POISON_IMM, buildTargetBtf, calcCoreRelo, essentialName, patchCoreInsn, targetStructsFromLayouts } from '../src/core';
import type { CoreResult, TargetStruct } from '../src/core';
import { ObjectFormatError } from '../src/errors';
import { elfSections } from './fixtures/btf/elf-sections';

function formatError(fn: () => unknown): ObjectFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ObjectFormatError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

const kernelTarget = buildTargetBtf(targetStructsFromLayouts(KERNEL_STRUCTS));

/** core.bpf.o's programs with every CO-RE relocation resolved against `target` and applied. */
function relocate(target: Btf): { progs: Map<string, Insn[]>; results: Map<string, CoreResult[]> } {
  const s = elfSections('core.bpf.o');
  const local = Btf.parse(s.get('.BTF')!, 'core.bpf.o');
  const ext = parseBtfExt(s.get('.BTF.ext')!, local, 'core.bpf.o');
  const progs = new Map<string, Insn[]>();
  const results = new Map<string, CoreResult[]>();
  for (const [sec, relos] of ext.coreRelos) {
    const insns = decode(s.get(sec)!);
    const rs: CoreResult[] = [];
    for (const r of relos) {
      const res = calcCoreRelo(r, local, target);
      rs.push(res);
      patchCoreInsn(insns, r.insnOff, r, res, `core.bpf.o: ${sec}`);
    }
    progs.set(sec, insns);
    results.set(sec, rs);
  }
  return { progs, results };
}

const isPoison = (i: Insn | undefined): boolean => i?.code === 0x85 && i.imm === CORE_POISON_IMM && i.src === 0 && i.dst === 0;

describe('core.bpf.o against bpfsim kernel types (KERNEL_STRUCTS)', () => {
  const { progs, results } = relocate(kernelTarget);

  test('pt_regs fields get the target offsets (di 112, si 104)', () => {
    const x = progs.get('kprobe/x')!;
    // r2 = *(u64 *)(r1 + 0) -> + 112; r1 = *(u64 *)(r1 + 8) -> + 104
    expect(x[0]).toEqual({ code: BPF_LDX | BPF_MEM | BPF_DW, dst: 2, src: 1, off: 112, imm: 0 });
    expect(x[4]).toEqual({ code: BPF_LDX | BPF_MEM | BPF_DW, dst: 1, src: 1, off: 104, imm: 0 });
    expect(results.get('kprobe/x')!.map((r) => [r.local, r.target, r.poison])).toEqual([
      [0, 112, false],
      [8, 104, false],
    ]);
  });

  test('a flavor (pt_regs___x) matches pt_regs; its missing field is exists=0 and its load is poisoned', () => {
    const y = progs.get('kprobe/y')!;
    expect(y[0]!.off).toBe(104); // ctx->si
    expect(y[4]).toEqual({ code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 3, src: 0, off: 0, imm: 0 }); // bpf_core_field_exists(ctx->missing)
    expect(isPoison(y[6])).toBe(true); // ctx->missing: call 0xbad2310
    expect(y[8]!.imm).toBe(8); // bpf_core_field_size(ctx->si)
    const r = results.get('kprobe/y')!;
    expect(r[0]!.targetTypeId).toBe(kernelTarget.findByName('pt_regs'));
    expect(r[2]!.poison).toBe(true);
    expect(r[2]!.reason).toMatch(/no match in \[\d+\] pt_regs: instruction poisoned/);
  });

  test('embedded __sk_common: the innermost named member is found in the flattened sock', () => {
    const z = progs.get('kprobe/z')!;
    const r = results.get('kprobe/z')!;
    expect(z[4]!.imm).toBe(KERNEL_STRUCTS.sock.fields.skc_num.offset); // &sk->__sk_common.skc_num: 4 -> 14
    expect(r[0]!.reason).toMatch(/flattened: 'skc_num' found in target 'sock'/);
    expect(z[11]!.imm).toBe(KERNEL_STRUCTS.sock.fields.sk_mark.offset); // &sk->sk_mark: 8 -> 524
    expect(z[34]!.imm).toBe(KERNEL_STRUCTS.sock.fields.skc_family.offset); // BPF_CORE_READ(sk, __sk_common.skc_family)
  });

  test('enum value of an enum the target lacks: both ld_imm64 slots poisoned; exists = 0', () => {
    const z = progs.get('kprobe/z')!;
    expect(isPoison(z[24])).toBe(true);
    expect(isPoison(z[25])).toBe(true);
    expect(z[27]).toMatchObject({ code: LD_IMM64, imm: 0 });
    expect(z[28]).toMatchObject({ code: 0, imm: 0 });
  });

  test('type exists and type size of struct sock', () => {
    const z = progs.get('kprobe/z')!;
    expect(z[30]!.imm).toBe(1);
    expect(z[32]!.imm).toBe(KERNEL_STRUCTS.sock.size);
  });
});

describe('core.bpf.o against a target with the enum and a different pt_regs', () => {
  test('enum value and existence come from the target enum', () => {
    const b = new BtfBuilder();
    const u64 = b.addInt('unsigned long', 8);
    b.addStruct('pt_regs', 32, [
      { name: 'si', type: u64, bitOffset: 0 },
      { name: 'missing', type: u64, bitOffset: 64 },
      { name: 'di', type: u64, bitOffset: 128 },
    ]);
    b.addEnum('sim_state___other', 4, [
      { name: 'SIM_B', value: 20 },
      { name: 'SIM_MISSING', value: 30 },
    ]);
    const { progs } = relocate(b.toBtf('target'));
    const z = progs.get('kprobe/z')!;
    expect(z.slice(24, 26).map((i) => i.imm)).toEqual([20, 0]);
    expect(z.slice(27, 29).map((i) => i.imm)).toEqual([1, 0]);
    // the type-exists/size relos poison nothing: no 'sock' in this target, so they resolve to 0
    expect(z[30]!.imm).toBe(0);
    expect(z[32]!.imm).toBe(0);
    // but field loads through sock are poisoned (the probe_read offset is an ALU mov)
    expect(isPoison(z[4])).toBe(true);
    const y = progs.get('kprobe/y')!;
    expect(y[0]!.off).toBe(0);
    expect(y[4]!.imm).toBe(1);
    expect(y[6]!.off).toBe(8);
    expect(progs.get('kprobe/x')![0]!.off).toBe(16);
  });
});

/** A local BTF and relo helper for hand-built cases. */
function relo(typeId: number, accessStr: string, kind: number, insnOff = 0): CoreRelo {
  return { insnOff, typeId, accessStr, kind };
}

describe('buildTargetBtf', () => {
  test('indexed fields become one array member; dotted names keep their last part; odd sizes are bytes', () => {
    const t = buildTargetBtf([
      {
        name: 'bpf_sock_addr',
        size: 72,
        fields: [
          { name: 'user_family', offset: 0, size: 4 },
          ...[0, 1, 2, 3].map((i) => ({ name: `user_ip6[${i}]`, offset: 8 + 4 * i, size: 4 })),
          { name: 'user_port', offset: 24, size: 4 },
          { name: 'sk', offset: 64, size: 8 },
        ],
      },
      { name: 'thing', size: 32, fields: [{ name: 'a.b', offset: 0, size: 2, signed: true }, { name: 'addr', offset: 8, size: 16 }, { name: 'b', offset: 24, size: 4 }] },
    ]);
    const s = t.type(t.findByName('bpf_sock_addr')!);
    expect(s).toMatchObject({ size: 72, members: [{ name: 'user_family', bitOffset: 0 }, { name: 'user_ip6', bitOffset: 64 }, { name: 'user_port', bitOffset: 192 }, { name: 'sk', bitOffset: 512 }] });
    const members = (s as { members: { name: string; type: number }[] }).members;
    expect(t.typeToString(members[1]!.type)).toBe('unsigned int[4]');
    expect(t.typeToString(members[3]!.type)).toBe('unsigned long long');
    const thing = t.type(t.findByName('thing')!) as { members: { name: string; type: number }[] };
    expect(thing.members.map((m) => [m.name, t.typeToString(m.type)])).toEqual([
      ['b', 'short'],
      ['addr', 'unsigned char[16]'],
    ]);
  });

  test('opaque byte arrays indexed as wider local elements use the local stride (skb->cb[2])', () => {
    const t = buildTargetBtf([{ name: '__sk_buff', size: 192, fields: [{ name: 'len', offset: 0, size: 4 }, { name: 'cb', offset: 48, size: 20 }, { name: 'family+1', offset: 1, size: 1 }] }]);
    expect((t.type(t.findByName('__sk_buff')!) as { members: { name: string }[] }).members.map((m) => m.name)).toEqual(['len', 'cb']);
    const b = new BtfBuilder();
    const u32 = b.addInt('__u32', 4);
    const cb = b.addArray(u32, 5);
    const skb = b.addStruct('__sk_buff', 68, [
      { name: 'len', type: u32, bitOffset: 0 },
      { name: 'cb', type: cb, bitOffset: 48 * 8 },
    ]);
    const local = b.toBtf('l.o');
    const r = calcCoreRelo(relo(skb, '0:1:2', BPF_CORE.FIELD_BYTE_OFFSET), local, t);
    expect([r.local, r.target, r.newSize]).toEqual([56, 56, 4]);
  });

  test('a field outside its struct is an error', () => {
    expect(formatError(() => buildTargetBtf([{ name: 'x', size: 4, fields: [{ name: 'f', offset: 2, size: 4 }] }])).code).toBe('CORE_TARGET');
  });
});

describe('calcCoreRelo / patchCoreInsn on hand-built types', () => {
  const local = (() => {
    const b = new BtfBuilder();
    const u32 = b.addInt('unsigned int', 4); // 1
    const s32 = b.addInt('int', 4, { signed: true }); // 2
    const arr = b.addArray(u32, 4); // 3
    b.addStruct('bpf_sock_addr', 72, [
      { name: 'user_family', type: u32, bitOffset: 0 },
      { name: 'user_ip6', type: arr, bitOffset: 64 },
      { name: 'user_port', type: u32, bitOffset: 192 },
    ]); // 4
    b.addStruct('narrow', 8, [
      { name: 'u', type: u32, bitOffset: 0 },
      { name: 's', type: s32, bitOffset: 32 },
    ]); // 5
    b.addStruct('bits', 4, [
      { name: 'a', type: u32, bitOffset: 0, bitfieldSize: 3 },
      { name: 'b', type: s32, bitOffset: 3, bitfieldSize: 5 },
    ]); // 6
    const u8 = b.addInt('unsigned char', 1); // 7
    const u8x16 = b.addArray(u8, 16); // 8
    const u32x4 = b.addArray(u32, 4); // 9
    const in6u = b.addUnion('', 16, [
      { name: 'u6_addr8', type: u8x16, bitOffset: 0 },
      { name: 'u6_addr32', type: u32x4, bitOffset: 0 },
    ]); // 10
    const in6 = b.addStruct('in6_addr', 16, [{ name: 'in6_u', type: in6u, bitOffset: 0 }]); // 11
    const anon = b.addStruct('', 20, [
      { name: 'skc_num', type: b.addInt('unsigned short', 2), bitOffset: 0 }, // 12
      { name: 'skc_v6_daddr', type: in6, bitOffset: 32 },
    ]); // 13
    b.addStruct('sock', 24, [
      { name: 'pad', type: u32, bitOffset: 0 },
      { name: '', type: anon, bitOffset: 32 },
    ]); // 14
    b.addPtr(4); // 15
    return b.toBtf('local.o');
  })();
  const id = (name: string): number => local.findByName(name)!;
  const calc = (typeName: string, access: string, kind: number, target = kernelLike): CoreResult => calcCoreRelo(relo(id(typeName), access, kind), local, target);
  const kernelLike = buildTargetBtf([
    { name: 'bpf_sock_addr', size: 72, fields: [{ name: 'user_family', offset: 0, size: 4 }, ...[0, 1, 2, 3].map((i) => ({ name: `user_ip6[${i}]`, offset: 8 + 4 * i, size: 4 })), { name: 'user_port', offset: 24, size: 4 }] },
    { name: 'narrow', size: 8, fields: [{ name: 'u', offset: 6, size: 2 }, { name: 's', offset: 4, size: 2, signed: true }] },
    { name: 'sock', size: 784, fields: [{ name: 'skc_num', offset: 14, size: 2 }, { name: 'skc_v6_daddr', offset: 56, size: 16 }] },
  ] satisfies TargetStruct[]);

  test('array element through the root struct: user_ip6[3]', () => {
    const r = calc('bpf_sock_addr', '0:1:3', BPF_CORE.FIELD_BYTE_OFFSET);
    expect([r.local, r.target, r.origSize, r.newSize]).toEqual([20, 20, 4, 4]);
    expect(calc('bpf_sock_addr', '0:1', BPF_CORE.FIELD_BYTE_SIZE).target).toBe(16);
    expect(calc('bpf_sock_addr', '0:1:3', BPF_CORE.FIELD_BYTE_SIZE).target).toBe(4);
  });

  test('a narrower unsigned target field shrinks the LDX; a signed one poisons it', () => {
    const r = calc('narrow', '0:0', BPF_CORE.FIELD_BYTE_OFFSET);
    expect([r.local, r.target, r.origSize, r.newSize, r.failMemszAdjust]).toEqual([0, 6, 4, 2, false]);
    const insns = [insn(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 0)];
    patchCoreInsn(insns, 0, relo(id('narrow'), '0:0', 0), r, 'local.o');
    expect(insns[0]).toEqual({ code: BPF_LDX | BPF_MEM | BPF_H, dst: 0, src: 1, off: 6, imm: 0 });
    const s = calc('narrow', '0:1', BPF_CORE.FIELD_BYTE_OFFSET);
    expect(s.failMemszAdjust).toBe(true);
    const ins2 = [insn(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 4)];
    patchCoreInsn(ins2, 0, relo(id('narrow'), '0:1', 0), s, 'local.o');
    expect(isPoison(ins2[0])).toBe(true);
    // an LDX whose size is not the local field's: libbpf's "unexpected mem size"
    const ins3 = [insn(BPF_LDX | BPF_MEM | BPF_B, 0, 1, 0)];
    expect(formatError(() => patchCoreInsn(ins3, 0, relo(id('narrow'), '0:0', 0), r, 'local.o')).message).toMatch(/unexpected mem size: got 1, exp 4/);
  });

  test('bitfields: byte size, signedness, shifts (bpf_core_calc_field_relo)', () => {
    const target = (() => {
      const b = new BtfBuilder();
      const u32 = b.addInt('unsigned int', 4);
      const s32 = b.addInt('int', 4, { signed: true });
      b.addStruct('bits', 8, [
        { name: 'b', type: s32, bitOffset: 33, bitfieldSize: 7 },
        { name: 'a', type: u32, bitOffset: 40, bitfieldSize: 3 },
      ]);
      return b.toBtf('t');
    })();
    const v = (access: string, kind: number): [number, number] => {
      const r = calc('bits', access, kind, target);
      return [r.local, r.target];
    };
    expect(v('0:1', BPF_CORE.FIELD_BYTE_OFFSET)).toEqual([0, 4]);
    expect(v('0:1', BPF_CORE.FIELD_BYTE_SIZE)).toEqual([4, 4]);
    expect(v('0:1', BPF_CORE.FIELD_SIGNED)).toEqual([1, 1]);
    expect(v('0:0', BPF_CORE.FIELD_SIGNED)).toEqual([0, 0]);
    // local b: bits 3..8 of a u32 at 0 -> lshift 64 - 8 = 56; target: bits 33..40 -> 64 - (40 - 32) = 56
    expect(v('0:1', BPF_CORE.FIELD_LSHIFT_U64)).toEqual([56, 56]);
    expect(v('0:1', BPF_CORE.FIELD_RSHIFT_U64)).toEqual([59, 57]);
    // bitfields skip the instruction value check (validate = false) except signed/rshift
    expect(calc('bits', '0:1', BPF_CORE.FIELD_BYTE_OFFSET, target).validate).toBe(false);
    expect(calc('bits', '0:1', BPF_CORE.FIELD_RSHIFT_U64, target).validate).toBe(true);
  });

  test('anonymous embedded local struct and an opaque target member (in6_addr inside 16 bytes)', () => {
    expect(calc('sock', '0:1:0', BPF_CORE.FIELD_BYTE_OFFSET).target).toBe(14);
    // sk->skc_v6_daddr.in6_u.u6_addr32[1]: 56 + 4
    const r = calc('sock', '0:1:1:0:1:1', BPF_CORE.FIELD_BYTE_OFFSET);
    expect([r.local, r.target, r.newSize]).toEqual([12, 60, 4]);
    expect(r.reason).toMatch(/inside it the local layout is used/);
    expect(calc('sock', '0:1:1', BPF_CORE.FIELD_BYTE_SIZE).target).toBe(16);
    expect(calc('sock', '0:1:1', BPF_CORE.FIELD_EXISTS).target).toBe(1);
    expect(calc('sock', '0:0', BPF_CORE.FIELD_EXISTS).target).toBe(0);
    expect(calc('sock', '0:0', BPF_CORE.FIELD_BYTE_OFFSET).poison).toBe(true);
  });

  test('type-based relocations', () => {
    expect(calc('sock', '0', BPF_CORE.TYPE_EXISTS).target).toBe(1);
    expect(calc('sock', '0', BPF_CORE.TYPE_SIZE)).toMatchObject({ local: 24, target: 784 });
    expect(calc('sock', '0', BPF_CORE.TYPE_ID_TARGET)).toMatchObject({ target: kernelLike.findByName('sock'), validate: false });
    expect(calc('sock', '0', BPF_CORE.TYPE_ID_LOCAL)).toMatchObject({ local: id('sock'), target: id('sock') });
    expect(calc('in6_addr', '0', BPF_CORE.TYPE_EXISTS)).toMatchObject({ poison: false, target: 0 });
    // TYPE_MATCHES: members by name; the flattened sock has no 'pad'
    expect(calc('sock', '0', BPF_CORE.TYPE_MATCHES).target).toBe(0);
    expect(calc('bpf_sock_addr', '0', BPF_CORE.TYPE_MATCHES).target).toBe(1);
    const r = calc('sock', '0', BPF_CORE.TYPE_SIZE);
    const insns = ldImm64(1, 24n);
    patchCoreInsn(insns, 0, relo(id('sock'), '0', BPF_CORE.TYPE_SIZE), r, 'local.o');
    expect(insns.map((i) => i.imm)).toEqual([784, 0]);
  });

  test("the instruction must hold the local value (libbpf's \"unexpected insn\")", () => {
    const r = calc('bpf_sock_addr', '0:2', BPF_CORE.FIELD_BYTE_OFFSET);
    const ldx = [insn(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 28)];
    const e = formatError(() => patchCoreInsn(ldx, 0, relo(id('bpf_sock_addr'), '0:2', 0), r, 'local.o: cgroup/connect4'));
    expect(e.code).toBe('CORE_RELO');
    expect(e.message).toBe('local.o: cgroup/connect4: CO-RE relo <byte_off> at insn #0: unexpected insn #0 (LDX/ST/STX) value: got 28, exp 24 -> 24');
    const mov = [insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 99)];
    expect(formatError(() => patchCoreInsn(mov, 0, relo(0, '0:2', 0), r, 'x')).message).toMatch(/unexpected insn #0 \(ALU\/ALU64\) value: got 99, exp 24/);
    const ld = ldImm64(1, 5n);
    expect(formatError(() => patchCoreInsn(ld, 0, relo(0, '0:2', 0), r, 'x')).message).toMatch(/unexpected insn #0 \(LDIMM64\) value: got 5/);
    expect(formatError(() => patchCoreInsn([insn(0x85)], 0, relo(0, '0:2', 0), r, 'x')).message).toMatch(/unrecognized insn #0/);
    expect(formatError(() => patchCoreInsn([], 3, relo(0, '0:2', 0), r, 'x')).message).toMatch(/instruction #3 is beyond the program/);
    expect(formatError(() => patchCoreInsn([insn(BPF_ALU64 | BPF_MOV | 0x08, 1, 2)], 0, relo(0, '0:2', 0), r, 'x')).message).toMatch(/no immediate/);
  });

  test('flavors: candidates by essential name, ambiguity is an error', () => {
    expect(essentialName('pt_regs___x')).toBe('pt_regs');
    expect(essentialName('a___b___c')).toBe('a___b');
    expect(essentialName('__x___')).toBe('__x___');
    expect(essentialName('x____y')).toBe('x____y');
    const two = buildTargetBtf([
      { name: 'narrow', size: 8, fields: [{ name: 'u', offset: 0, size: 4 }] },
      { name: 'narrow___2', size: 8, fields: [{ name: 'u', offset: 4, size: 4 }] },
    ]);
    expect(formatError(() => calc('narrow', '0:0', BPF_CORE.FIELD_BYTE_OFFSET, two)).message).toMatch(/field offset ambiguity: 32 != 0/);
  });

  test('malformed relocations are CORE_RELO errors', () => {
    const bad = (r: CoreRelo): string => formatError(() => calcCoreRelo(r, local, kernelLike)).message;
    expect(bad(relo(id('sock'), '', 0))).toMatch(/invalid access string ''/);
    expect(bad(relo(id('sock'), '0:x', 0))).toMatch(/invalid access string '0:x'/);
    expect(bad(relo(id('sock'), '0:9', 0))).toMatch(/member index 9 out of range/);
    expect(bad(relo(id('bpf_sock_addr'), '0:1:4', 0))).toMatch(/array index 4 out of range/);
    expect(bad(relo(id('sock'), '1', BPF_CORE.TYPE_SIZE))).toMatch(/needs access string '0'/);
    expect(bad(relo(999, '0', 0))).toMatch(/local\.o: CO-RE relo <byte_off> at insn #0 \[999\] '0': no such type/);
    expect(bad(relo(13, '0:0', 0))).toMatch(/doesn't support anonymous types/);
    expect(bad(relo(id('bpf_sock_addr'), '0:1:2', BPF_CORE.FIELD_LSHIFT_U64))).toMatch(/relocation kind lshift_u64 can't be applied to array access/);
    expect(bad(relo(id('sock'), '0', 42))).toMatch(/unknown relocation kind 42/);
    expect(bad(relo(id('sock'), Array(70).fill('0').join(':'), 0))).toMatch(/longer than 64/);
  });

  test('fuzz: random relocations resolve or fail with ObjectFormatError', () => {
    const s = elfSections('types.bpf.o');
    const btf = Btf.parse(s.get('.BTF')!, 'types.bpf.o');
    fc.assert(
      fc.property(
        fc.nat({ max: btf.types.length + 2 }),
        fc.array(fc.nat({ max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 13 }),
        fc.integer({ min: -40000, max: 40000 }),
        (typeId, path, kind, imm) => {
          const r = relo(typeId, path.join(':'), kind);
          try {
            const res = calcCoreRelo(r, btf, kernelTarget);
            const insns = [insn(BPF_LDX | BPF_MEM | BPF_W, 0, 1, imm & 0x7fff), ...ldImm64(1, BigInt(imm)), insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, imm)];
            for (const at of [0, 1, 3]) {
              try {
                patchCoreInsn(insns, at, r, res, 'fuzz');
              } catch (e) {
                if (!(e instanceof ObjectFormatError)) throw e;
              }
            }
          } catch (e) {
            if (!(e instanceof ObjectFormatError)) throw e;
          }
        },
      ),
      { seed: 99, numRuns: 1000 },
    );
  });
});

// The scenario programs (written in parallel, maybe absent): their BTF, BTF.ext and CO-RE
// relocations go through without errors. bpf_sock_addr is not in KERNEL_STRUCTS (the loader
// adds ctx types), so a relocation against it may be poisoned here; it must not throw.
const progsDir = join(__dirname, '../../../scenarios/progs');
const scenarioObjects = existsSync(progsDir) ? readdirSync(progsDir).filter((f) => f.endsWith('.bpf.o')) : [];
(scenarioObjects.length ? describe : describe.skip)('scenarios/progs objects', () => {
  test.each(scenarioObjects.length ? scenarioObjects : ['none'])('%s', (f) => {
    const s = elfSections(join(progsDir, f));
    const btf = Btf.parse(s.get('.BTF')!, f);
    const ext = parseBtfExt(s.get('.BTF.ext')!, btf, f);
    expect(ext.funcInfo.size).toBeGreaterThan(0);
    for (const [sec, relos] of ext.coreRelos) {
      const insns = decode(s.get(sec)!);
      for (const r of relos) patchCoreInsn(insns, r.insnOff, r, calcCoreRelo(r, btf, kernelTarget), f);
    }
  });
});
