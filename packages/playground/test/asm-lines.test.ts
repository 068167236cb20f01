// Instruction index → editor line, for asm programs (with the world's `.map` prefix) and an
// object's listing; ld_imm64 takes two slots on one line.
import { insnLines, lineInsns } from '../src/core';

test('asm: comments, labels and blank lines are skipped; ld_imm64 is one line for two slots', () => {
  const text = ['// header', 'r1 = 0x1122334455667788 ll', '', 'loop:', '  r1 += -1   // count down', '  if r1 != 0 goto loop', 'r0 = 0', 'exit'].join('\n');
  const m = insnLines({ origin: 'asm', prefix: '' }, text);
  expect([...m]).toEqual([
    [0, 2],
    [2, 5],
    [3, 6],
    [4, 7],
    [5, 8],
  ]);
  expect(lineInsns(m).get(5)).toBe(2);
});

test('asm: lines count from the text the user sees, after the .map declarations the world adds', () => {
  const prefix = '.map counts type=array key_size=4 value_size=8 max_entries=4\n';
  const text = 'r1 = counts ll\nr0 = 0\nexit';
  expect([...insnLines({ origin: 'asm', prefix }, text)]).toEqual([
    [0, 1],
    [2, 2],
    [3, 3],
  ]);
});

test('asm that does not assemble maps nothing', () => {
  expect(insnLines({ origin: 'asm', prefix: '' }, 'r0 +== 1').size).toBe(0);
});

test("an object's listing maps the 'N:' lines", () => {
  const text = '// x.bpf.o: section cgroup/bind4\n// int x = 1;  @ x.bpf.c:4\n   0: r0 = 1\n   1: exit\n';
  expect([...insnLines({ origin: 'object', prefix: '' }, text)]).toEqual([
    [0, 3],
    [1, 4],
  ]);
});
