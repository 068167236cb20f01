import {
  BPF_ADD,
  BPF_ALU64_IMM,
  BPF_ATOMIC_OP,
  BPF_B,
  BPF_DIV,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_FETCH,
  BPF_JEQ,
  BPF_JGT,
  BPF_LDX_MEM,
  BPF_LD_IMM64,
  BPF_LD_MAP_FD,
  BPF_LD_MAP_VALUE,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_MOVSX64_REG,
  BPF_ALU64_IMM_OFF,
  BPF_REG_0,
  BPF_REG_1,
  BPF_REG_2,
  BPF_REG_10,
  BPF_ST_MEM,
  BPF_W,
  ProgramBuilder,
  assemble,
  program,
} from '../src';
import { hexOfInsns } from './helpers';

test("the kernel's macros build the same bytes as the assembler", () => {
  const built = program(
    BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
    BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -8),
    BPF_ST_MEM(BPF_DW, BPF_REG_10, -8, 0),
    BPF_LD_MAP_FD(BPF_REG_1, 3),
    BPF_EMIT_CALL(1),
    BPF_LDX_MEM(BPF_B, BPF_REG_0, BPF_REG_0, 0),
    BPF_ATOMIC_OP(BPF_W, BPF_ADD | BPF_FETCH, BPF_REG_10, BPF_REG_1, -4),
    BPF_MOVSX64_REG(BPF_REG_0, BPF_REG_0, 8),
    BPF_ALU64_IMM_OFF(BPF_DIV, BPF_REG_0, 3, 1),
    BPF_LD_IMM64(BPF_REG_1, 0x1122334455667788n),
    BPF_LD_MAP_VALUE(BPF_REG_2, 4, 16),
    BPF_EXIT_INSN(),
  );
  const text = `
    r2 = r10
    r2 += -8
    *(u64 *)(r10 - 8) = 0
    r1 = map[fd:3] ll
    call bpf_map_lookup_elem
    w0 = *(u8 *)(r0 + 0)
    w1 = atomic_fetch_add((u32 *)(r10 - 4), w1)
    r0 = (s8)r0
    r0 s/= 3
    r1 = 0x1122334455667788 ll
    r2 = map[fd:4]+16 ll
    exit`;
  expect(hexOfInsns(built)).toBe(hexOfInsns(assemble(text).insns));
});

test('ProgramBuilder resolves labels forward and backward', () => {
  const p = new ProgramBuilder()
    .emit(BPF_MOV64_IMM(BPF_REG_0, 0))
    .label('top')
    .emit(BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 1))
    .jmpImm(BPF_JGT, BPF_REG_0, 10, 'done')
    .ja('top')
    .label('done')
    .callLocal('sub')
    .call('bpf_ktime_get_ns')
    .jmpImm(BPF_JEQ, BPF_REG_0, 0, 'done')
    .emit(BPF_EXIT_INSN())
    .label('sub')
    .emit(BPF_MOV64_IMM(BPF_REG_0, 7), BPF_EXIT_INSN())
    .build();
  const text = 'r0 = 0\ntop: r0 += 1\nif r0 > 10 goto done\ngoto top\ndone: call sub\ncall 5\nif r0 == 0 goto done\nexit\nsub: r0 = 7\nexit';
  expect(hexOfInsns(p)).toBe(hexOfInsns(assemble(text).insns));
});

test('ProgramBuilder refuses unknown labels and helpers', () => {
  expect(() => new ProgramBuilder().ja('nowhere').build()).toThrow("unknown label 'nowhere'");
  expect(() => new ProgramBuilder().call('bpf_nope')).toThrow("unknown helper 'bpf_nope'");
  expect(() => new ProgramBuilder().label('a').label('a')).toThrow("label 'a' defined twice");
});
