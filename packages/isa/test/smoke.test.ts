import { assemble, disasmText } from '../src';
test('smoke', () => {
  const r = assemble('r0 = 1\nexit\n');
  expect(disasmText(r.insns)).toBe('0: r0 = 1\n1: exit\n');
});
