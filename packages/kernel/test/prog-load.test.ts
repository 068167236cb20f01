// BPF_PROG_LOAD and the program's life: fds, ids, pins, info, test runs.
import { BPF_CMD, BPF_PROG_TYPE, SysError, assemble } from '@bpfsim/isa';
import type { InfoAttr, ProgInfo, ProgLoadAttr, TestRunAttr } from '../src';
import { Kernel, bpf } from '../src';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const SOCKET_FILTER = BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
const pass = assemble('r0 = 2\nexit').insns;

function errno(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
}

describe('BPF_PROG_LOAD', () => {
  test('loads, installs the lowest free fd, gives an id, and the verifier log on request', () => {
    const k = new Kernel();
    const p = k.spawn({ comm: 'loader' });
    const attr: ProgLoadAttr = { prog_type: XDP, insns: pass, license: 'GPL', prog_name: 'pass', log_level: 2, log_size: 65536 };
    const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr);
    expect(fd).toBe(3);
    expect(attr.log_buf).toContain('processed 2 insns');
    expect(attr.log_true_size).toBe(attr.log_buf!.length + 1);
    const info: InfoAttr = { bpf_fd: fd };
    bpf(k, p, BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, info);
    const pi = info.info as ProgInfo;
    expect(pi).toMatchObject({ type: XDP, id: 1, name: 'pass', verified_insns: 2, gpl_compatible: true, nr_map_ids: 0 });
    expect(pi.tag).toHaveLength(8);
    expect(bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: SOCKET_FILTER, insns: pass, license: 'GPL' })).toBe(4);
  });
  test('a refused program fails with the verifier errno and leaves its log', () => {
    const k = new Kernel();
    const p = k.spawn();
    const attr: ProgLoadAttr = { prog_type: XDP, insns: assemble('exit').insns, license: 'GPL', log_level: 1, log_size: 4096 };
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr))).toBe('EACCES');
    expect(attr.log_buf).toMatch(/R0 !read_ok\nprocessed 1 insns/);
  });
  test('a log buffer too small: ENOSPC even for a good program, with the log\'s tail', () => {
    const k = new Kernel();
    const p = k.spawn();
    const attr: ProgLoadAttr = { prog_type: XDP, insns: pass, license: 'GPL', log_level: 2, log_size: 40 };
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr))).toBe('ENOSPC');
    expect(attr.log_buf).toHaveLength(39);
    expect(attr.log_buf!.endsWith('mark_read 0\n')).toBe(true);
  });
  test.each([
    ['unknown type', { prog_type: 999, insns: pass }, 'EINVAL'],
    ['empty', { prog_type: XDP, insns: [] }, 'E2BIG'],
    ['bad name', { prog_type: XDP, insns: pass, prog_name: 'has space' }, 'EINVAL'],
    ['log without level', { prog_type: XDP, insns: pass, log_size: 100 }, 'EINVAL'],
    ['unknown flags', { prog_type: XDP, insns: pass, prog_flags: 1 << 20 }, 'EINVAL'],
  ])('%s', (_what, attr, code) => {
    const k = new Kernel();
    expect(errno(() => bpf(k, k.spawn(), BPF_CMD.BPF_PROG_LOAD, attr as ProgLoadAttr))).toBe(code);
  });
  test('kernel.unprivileged_bpf_disabled (default 2) refuses every load without CAP_BPF', () => {
    const k = new Kernel();
    const user = k.spawn({ uid: 1000 });
    expect(errno(() => bpf(k, user, BPF_CMD.BPF_PROG_LOAD, { prog_type: SOCKET_FILTER, insns: assemble('r0 = 0\nexit').insns, license: 'GPL' }))).toBe('EPERM');
  });
  test('capabilities: XDP needs CAP_BPF and CAP_NET_ADMIN; a socket filter loads for anyone (unprivileged_bpf_disabled=0)', () => {
    const k = new Kernel({ unprivilegedBpfDisabled: 0 });
    const user = k.spawn({ uid: 1000 });
    expect(errno(() => bpf(k, user, BPF_CMD.BPF_PROG_LOAD, { prog_type: XDP, insns: pass, license: 'GPL' }))).toBe('EPERM');
    const bpfOnly = k.spawn({ uid: 1000, caps: ['CAP_BPF'] });
    expect(errno(() => bpf(k, bpfOnly, BPF_CMD.BPF_PROG_LOAD, { prog_type: XDP, insns: pass, license: 'GPL' }))).toBe('EPERM');
    expect(bpf(k, user, BPF_CMD.BPF_PROG_LOAD, { prog_type: SOCKET_FILTER, insns: assemble('r0 = 0\nexit').insns, license: 'GPL' })).toBe(3);
    // Unprivileged loads are verified unprivileged: no pointer leaks.
    expect(errno(() => bpf(k, user, BPF_CMD.BPF_PROG_LOAD, { prog_type: SOCKET_FILTER, insns: assemble('r0 = r10\nexit').insns, license: 'GPL' }))).toBe('EACCES');
  });
});

describe('object lifetime', () => {
  test('a pin keeps the program after its fd closes; OBJ_GET opens it again; unlink frees it', () => {
    const k = new Kernel();
    const p = k.spawn();
    const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: XDP, insns: pass, license: 'GPL' });
    k.bpffs.mkdir('/sys/fs/bpf/progs');
    bpf(k, p, BPF_CMD.BPF_OBJ_PIN, { pathname: '/sys/fs/bpf/progs/pass', bpf_fd: fd });
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_OBJ_PIN, { pathname: '/sys/fs/bpf/progs/pass', bpf_fd: fd }))).toBe('EEXIST');
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_OBJ_PIN, { pathname: '/sys/fs/bpf/none/pass', bpf_fd: fd }))).toBe('ENOENT');
    p.fds.close(fd);
    expect(k.progIds.get(1)).toBeDefined();
    const fd2 = bpf(k, p, BPF_CMD.BPF_OBJ_GET, { pathname: '/sys/fs/bpf/progs/pass' });
    expect(fd2).toBe(fd);
    p.fds.close(fd2);
    k.bpffs.unlink('/sys/fs/bpf/progs/pass');
    expect(k.progIds.get(1)).toBeUndefined();
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_OBJ_GET, { pathname: '/sys/fs/bpf/progs/pass' }))).toBe('ENOENT');
  });
  test('ids: GET_NEXT_ID walks them, GET_FD_BY_ID opens them (CAP_SYS_ADMIN)', () => {
    const k = new Kernel();
    const p = k.spawn();
    bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: XDP, insns: pass, license: 'GPL' });
    const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: XDP, insns: pass, license: 'GPL' });
    p.fds.close(fd - 1);
    const a: { start_id: number; next_id?: number } = { start_id: 0 };
    bpf(k, p, BPF_CMD.BPF_PROG_GET_NEXT_ID, a);
    expect(a.next_id).toBe(2);
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_PROG_GET_NEXT_ID, { start_id: 2 }))).toBe('ENOENT');
    expect(bpf(k, p, BPF_CMD.BPF_PROG_GET_FD_BY_ID, { prog_id: 2 })).toBe(3);
    expect(errno(() => bpf(k, k.spawn({ uid: 1000 }), BPF_CMD.BPF_PROG_GET_FD_BY_ID, { prog_id: 2 }))).toBe('EPERM');
  });
});

describe('BPF_PROG_TEST_RUN', () => {
  test('runs in the kernel with its helpers and returns retval and data_out', () => {
    const k = new Kernel();
    const p = k.spawn();
    const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, {
      prog_type: XDP,
      insns: assemble('call bpf_get_smp_processor_id\nr0 += 1\nexit').insns,
      license: 'GPL',
    });
    const pkt = Uint8Array.from({ length: 14 }, (_, i) => i);
    const attr: TestRunAttr = { prog_fd: fd, data_in: pkt, data_size_out: 64, repeat: 3 };
    bpf(k, p, BPF_CMD.BPF_PROG_TEST_RUN, attr);
    expect(attr.retval).toBe(1);
    expect(attr.data_out).toEqual(pkt);
    const small: TestRunAttr = { prog_fd: fd, data_in: pkt, data_size_out: 4 };
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_PROG_TEST_RUN, small))).toBe('ENOSPC');
  });
  test('regions of a test run are returned to the address space', () => {
    const k = new Kernel();
    const p = k.spawn();
    const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: XDP, insns: pass, license: 'GPL' });
    const before = k.memory.regions.filter(Boolean).length;
    for (let i = 0; i < 5; i++) bpf(k, p, BPF_CMD.BPF_PROG_TEST_RUN, { prog_fd: fd, data_in: new Uint8Array(20) });
    expect(k.memory.regions.filter(Boolean).length).toBe(before);
  });
});
