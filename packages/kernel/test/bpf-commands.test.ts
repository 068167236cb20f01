// The bpf() command table (bpf-commands.ts): each kernel's is built from the command modules'
// static lists at construction, the same for every kernel whatever was imported first, and
// nothing outside a kernel can add to it.
import { BPF_CMD, SysError } from '@bpfsim/isa';
import * as api from '../src';
import { Kernel, bpf } from '../src';

const sorted = (cmds: Iterable<number>): number[] => [...cmds].sort((x, y) => x - y);

describe('the bpf() command table', () => {
  test('every command bpfsim serves, in each kernel', () => {
    expect(sorted(new Kernel().commands.keys())).toEqual(
      sorted([
        BPF_CMD.BPF_LINK_CREATE,
        BPF_CMD.BPF_LINK_DETACH,
        BPF_CMD.BPF_LINK_GET_FD_BY_ID,
        BPF_CMD.BPF_LINK_GET_NEXT_ID,
        BPF_CMD.BPF_LINK_UPDATE,
        BPF_CMD.BPF_MAP_CREATE,
        BPF_CMD.BPF_MAP_DELETE_ELEM,
        BPF_CMD.BPF_MAP_FREEZE,
        BPF_CMD.BPF_MAP_GET_FD_BY_ID,
        BPF_CMD.BPF_MAP_GET_NEXT_ID,
        BPF_CMD.BPF_MAP_GET_NEXT_KEY,
        BPF_CMD.BPF_MAP_LOOKUP_AND_DELETE_ELEM,
        BPF_CMD.BPF_MAP_LOOKUP_ELEM,
        BPF_CMD.BPF_MAP_UPDATE_ELEM,
        BPF_CMD.BPF_OBJ_GET,
        BPF_CMD.BPF_OBJ_GET_INFO_BY_FD,
        BPF_CMD.BPF_OBJ_PIN,
        BPF_CMD.BPF_PROG_ATTACH,
        BPF_CMD.BPF_PROG_DETACH,
        BPF_CMD.BPF_PROG_GET_FD_BY_ID,
        BPF_CMD.BPF_PROG_GET_NEXT_ID,
        BPF_CMD.BPF_PROG_LOAD,
        BPF_CMD.BPF_PROG_QUERY,
        BPF_CMD.BPF_PROG_TEST_RUN,
        BPF_CMD.BPF_RAW_TRACEPOINT_OPEN,
      ]),
    );
  });

  test('whichever module loads first, a kernel gets the whole table', () => {
    const whole = new Kernel().commands.size;
    for (const first of ['../src/kernel', '../src/tracing/raw-tp', '../src/maps/commands', '../src/cgroup/commands', '../src/link', '../src/syscall']) {
      jest.isolateModules(() => {
        require(first);
        const { Kernel: K } = require('../src/kernel') as { Kernel: typeof Kernel };
        expect(new K().commands.size).toBe(whole);
      });
    }
  });

  test('each kernel has its own table, with the same commands', () => {
    const a = new Kernel();
    const b = new Kernel();
    expect(a.commands).not.toBe(b.commands);
    expect([...a.commands]).toEqual([...b.commands]);
  });

  test('a command outside the table is EINVAL, named', () => {
    const k = new Kernel();
    try {
      bpf(k, k.spawn(), BPF_CMD.BPF_BTF_LOAD, {});
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(SysError);
      expect((e as SysError).code).toBe('EINVAL');
      expect((e as SysError).message).toContain('BPF_BTF_LOAD is not supported by bpfsim');
    }
  });

  test('the public API offers no way to add commands, test runners or link creators', () => {
    expect('registerCommand' in api).toBe(false);
    expect('registerTestRunner' in api).toBe(false);
    expect('registerLinkCreator' in api).toBe(false);
  });

  test('each kernel has its own BPF_LINK_CREATE table: the cgroup program types', () => {
    const a = new Kernel();
    expect(a.linkCreators).not.toBe(new Kernel().linkCreators);
    expect(sorted(a.linkCreators.keys())).toEqual(sorted([8, 9, 18, 13, 15, 23, 25]));
  });
});
