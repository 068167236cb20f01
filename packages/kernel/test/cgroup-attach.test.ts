// Cgroup attach beyond what the golden scenarios record: cgroup fds, object lifetimes
// (attachments and links hold programs), cgroup removal, the static key, and the known
// approximation of enforce_expected_attach_type.
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_PROG_TYPE, SysError, assemble } from '@bpfsim/isa';
import type { LinkInfo, ProgQueryAttr } from '../src';
import {
  BPF_F_ALLOW_MULTI,
  BPF_F_ALLOW_OVERRIDE,
  CgroupLink,
  Kernel,
  bpf,
  cgroupBpfEnabled,
  effectivePrograms,
  openCgroup,
  removeCgroup,
} from '../src';

const { BPF_CGROUP_INET_INGRESS: IN, BPF_CGROUP_INET_EGRESS: EG, BPF_CGROUP_INET_SOCK_CREATE: CREATE, BPF_CGROUP_INET4_POST_BIND: PB4 } = BPF_ATTACH_TYPE;
const SKB = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB;
const SOCK = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK;

function errno(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
}

function setup() {
  // unprivileged_bpf_disabled=0: one test loads programs as an unprivileged user.
  const k = new Kernel({ unprivilegedBpfDisabled: 0 });
  const p = k.spawn({ comm: 'admin' });
  k.cgroups.create('/app/web');
  const load = (src = 'r0 = 1\nexit', type: number = SKB, eat = 0): number => bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: type, insns: assemble(src).insns, license: 'GPL', expected_attach_type: eat });
  const cgfd = (path: string): number => openCgroup(k, p, path);
  const attach = (cfd: number, fd: number, at: number = IN, flags = BPF_F_ALLOW_MULTI): number => bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: fd, attach_type: at, attach_flags: flags });
  const link = (cfd: number, fd: number, at: number = IN): number => bpf(k, p, BPF_CMD.BPF_LINK_CREATE, { prog_fd: fd, target_fd: cfd, attach_type: at });
  const ids = (cfd: number, at: number = IN, effective = false): number[] => {
    const q: ProgQueryAttr = { target_fd: cfd, attach_type: at, query_flags: effective ? 1 : 0, prog_cnt: 64, prog_ids: [] };
    bpf(k, p, BPF_CMD.BPF_PROG_QUERY, q);
    return q.prog_ids!.slice(0, q.prog_cnt);
  };
  const idOf = (fd: number): number => (p.fds.lookup(fd) as unknown as { id: number }).id;
  return { k, p, load, cgfd, attach, link, ids, idOf };
}

describe('cgroup fds', () => {
  test('a cgroup opens by its path, with or without the cgroup2 mount in front', () => {
    const { k, p, cgfd } = setup();
    expect(cgfd('/app')).toBe(3);
    expect(cgfd('/sys/fs/cgroup/app/web')).toBe(4);
    expect(cgfd('/sys/fs/cgroup')).toBe(5);
    expect(errno(() => openCgroup(k, p, '/nope'))).toBe('ENOENT');
  });
  test('a cgroup fd is not a program, a program fd is not a cgroup, and a cgroup has no bpf info', () => {
    const { k, p, load, cgfd, attach } = setup();
    const prog = load();
    const cfd = cgfd('/app');
    expect(errno(() => attach(cfd, cfd))).toBe('EINVAL');
    expect(errno(() => attach(prog, prog))).toBe('EBADF');
    expect(errno(() => bpf(k, p, BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, { bpf_fd: cfd }))).toBe('EINVAL');
  });
});

describe('lifetimes', () => {
  test('an attached program outlives its fd; detaching frees it', () => {
    const { k, p, load, cgfd, attach, ids, idOf } = setup();
    const fd = load();
    const id = idOf(fd);
    const cfd = cgfd('/app');
    attach(cfd, fd);
    p.fds.close(fd);
    expect(k.progIds.get(id)).toBeDefined();
    expect(ids(cfd)).toEqual([id]);
    // The program is gone from user space's fds: detach it by id-opened fd.
    const again = bpf(k, p, BPF_CMD.BPF_PROG_GET_FD_BY_ID, { prog_id: id });
    bpf(k, p, BPF_CMD.BPF_PROG_DETACH, { target_fd: cfd, attach_bpf_fd: again, attach_type: IN });
    expect(k.progIds.get(id)).toBeDefined();
    p.fds.close(again);
    expect(k.progIds.get(id)).toBeUndefined();
  });
  test('a non-MULTI re-attach puts the program it replaces', () => {
    const { k, p, load, cgfd, attach, idOf } = setup();
    const a = load();
    const b = load();
    const ida = idOf(a);
    const cfd = cgfd('/app');
    attach(cfd, a, IN, 0);
    p.fds.close(a);
    attach(cfd, b, IN, 0);
    expect(k.progIds.get(ida)).toBeUndefined();
  });
  test('a link holds its program; the last link fd or pin detaches and frees', () => {
    const { k, p, load, cgfd, link, ids, idOf } = setup();
    const fd = load();
    const id = idOf(fd);
    const cfd = cgfd('/app');
    const l = link(cfd, fd);
    const lid = idOf(l);
    p.fds.close(fd);
    expect(ids(cfd)).toEqual([id]);
    k.bpffs.mkdir('/sys/fs/bpf/links');
    bpf(k, p, BPF_CMD.BPF_OBJ_PIN, { pathname: '/sys/fs/bpf/links/app', bpf_fd: l });
    p.fds.close(l);
    expect(ids(cfd)).toEqual([id]);
    expect(k.linkIds.get(lid)).toBeDefined();
    const l2 = bpf(k, p, BPF_CMD.BPF_OBJ_GET, { pathname: '/sys/fs/bpf/links/app' });
    const info: { bpf_fd: number; info?: unknown } = { bpf_fd: l2 };
    bpf(k, p, BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, info);
    expect(info.info).toEqual({ type: 3, id: lid, prog_id: id, cgroup: { cgroup_id: k.cgroups.lookup('/app')!.id, attach_type: IN } } satisfies LinkInfo);
    p.fds.close(l2);
    k.bpffs.unlink('/sys/fs/bpf/links/app');
    expect(ids(cfd)).toEqual([]);
    expect(k.linkIds.get(lid)).toBeUndefined();
    expect(k.progIds.get(id)).toBeUndefined();
  });
  test('BPF_LINK_DETACH detaches at once; the link lives on until closed; its id stays', () => {
    const { k, p, load, cgfd, link, ids, idOf } = setup();
    const fd = load();
    const cfd = cgfd('/app');
    const l = link(cfd, fd);
    bpf(k, p, BPF_CMD.BPF_LINK_DETACH, { link_fd: l });
    expect(ids(cfd)).toEqual([]);
    expect(k.linkIds.get(idOf(l))).toBeDefined();
    const e = (() => {
      try {
        bpf(k, p, BPF_CMD.BPF_LINK_UPDATE, { link_fd: l, new_prog_fd: fd });
      } catch (x) {
        return x as SysError;
      }
      return undefined;
    })();
    expect(e).toMatchObject({ code: 'ENOLINK', errno: 67, syscall: 'BPF_LINK_UPDATE' });
  });
  test('a failed link create uses up a link id, as Linux\'s cyclic ids do', () => {
    const { k, p, load, cgfd, attach, link, idOf } = setup();
    const fd = load();
    const app = cgfd('/app');
    attach(app, load(), IN, 0);
    expect(errno(() => link(cgfd('/app/web'), fd))).toBe('EPERM');
    expect(idOf(link(cgfd('/'), fd))).toBe(2);
    expect(k.linkIds.get(1)).toBeUndefined();
  });
});

describe('cgroup removal', () => {
  test('rmdir: EBUSY with children or processes; what was attached goes; links lose their cgroup', () => {
    const { k, p, load, cgfd, attach, link, idOf } = setup();
    expect(errno(() => removeCgroup(k, '/app'))).toBe('EBUSY');
    const web = cgfd('/app/web');
    const inWeb = k.spawn({ cgroup: k.cgroups.lookup('/app/web')! });
    expect(errno(() => removeCgroup(k, '/app/web'))).toBe('EBUSY');
    k.exit(inWeb);
    const fd = load();
    const id = idOf(fd);
    attach(web, fd);
    p.fds.close(fd);
    const l = link(web, load());
    removeCgroup(k, '/sys/fs/cgroup/app/web');
    expect(k.progIds.get(id)).toBeUndefined();
    const info: { bpf_fd: number; info?: LinkInfo } = { bpf_fd: l };
    bpf(k, p, BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, info);
    expect(info.info!.cgroup).toEqual({ cgroup_id: 0n, attach_type: IN });
    // The old fd names a cgroup that is gone.
    expect(errno(() => attach(web, load()))).toBe('ENOENT');
    expect(errno(() => removeCgroup(k, '/'))).toBe('EBUSY');
    // A new cgroup of the same name starts empty.
    k.cgroups.create('/app/web');
    expect(effectivePrograms(k.cgroups.lookup('/app/web')!, IN)).toEqual([]);
    p.fds.close(l);
  });
});

describe('effective arrays', () => {
  test('a cgroup made after an attach inherits; effectivePrograms is the hooks\' view', () => {
    const { k, load, cgfd, attach, idOf } = setup();
    const a = load();
    const b = load();
    attach(cgfd('/'), a, IN, BPF_F_ALLOW_MULTI);
    attach(cgfd('/app'), b, IN, BPF_F_ALLOW_OVERRIDE);
    k.cgroups.create('/app/web/new');
    expect(effectivePrograms(k.cgroups.lookup('/app/web/new')!, IN).map((x) => x.id)).toEqual([idOf(b), idOf(a)]);
    expect(effectivePrograms(k.cgroups.lookup('/app/web/new')!, EG)).toEqual([]);
  });
  test('cgroupBpfEnabled follows attaches anywhere in the tree (the static key)', () => {
    const { k, p, load, cgfd, attach, link } = setup();
    const web = k.cgroups.lookup('/app/web')!;
    expect(cgroupBpfEnabled(web, IN)).toBe(false);
    const fd = load();
    attach(cgfd('/app'), fd);
    expect(cgroupBpfEnabled(k.cgroups.root, IN)).toBe(true);
    expect(cgroupBpfEnabled(web, EG)).toBe(false);
    const l = link(cgfd('/'), load());
    bpf(k, p, BPF_CMD.BPF_PROG_DETACH, { target_fd: cgfd('/app'), attach_bpf_fd: fd, attach_type: IN });
    expect(cgroupBpfEnabled(web, IN)).toBe(true);
    p.fds.close(l);
    expect(cgroupBpfEnabled(web, IN)).toBe(false);
  });
  test('the cgroup link object', () => {
    const { p, load, cgfd, link } = setup();
    const l = p.fds.lookup(link(cgfd('/app'), load()));
    expect(l).toBeInstanceOf(CgroupLink);
    expect((l as CgroupLink).cgroup?.path).toBe('/app');
  });
});

describe('program types at attach', () => {
  test('a CGROUP_SOCK program loaded with expected_attach_type 0 is a SOCK_CREATE program', () => {
    const { load, cgfd, attach } = setup();
    const fd = load('r0 = 1\nexit', SOCK, 0);
    expect(errno(() => attach(cgfd('/app'), fd, PB4))).toBe('EINVAL');
    expect(attach(cgfd('/app'), fd, CREATE)).toBe(0);
    // ... and may write mark, as SOCK_CREATE programs may.
    expect(load('r2 = 7\n*(u32 *)(r1 + 16) = r2\nr0 = 1\nexit', SOCK, 0)).toBeGreaterThan(0);
  });
  test('cgroup skb programs load without CAP_BPF, but attaching one needs CAP_NET_ADMIN', () => {
    const { k, p, cgfd } = setup();
    const user = k.spawn({ uid: 1000 });
    const fd = bpf(k, user, BPF_CMD.BPF_PROG_LOAD, { prog_type: SKB, insns: assemble('r0 = 1\nexit').insns, license: 'GPL' });
    const cfd = openCgroup(k, user, '/app');
    expect(errno(() => bpf(k, user, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: fd, attach_type: IN }))).toBe('EINVAL');
    expect(errno(() => bpf(k, user, BPF_CMD.BPF_LINK_CREATE, { prog_fd: fd, target_fd: cfd, attach_type: IN }))).toBe('EPERM');
    expect(errno(() => bpf(k, user, BPF_CMD.BPF_PROG_QUERY, { target_fd: cfd, attach_type: IN }))).toBe('EPERM');
    // CAP_SYS_ADMIN will do for CAP_NET_ADMIN (bpf_token_capable).
    const sysadmin = k.spawn({ uid: 1000, caps: ['CAP_SYS_ADMIN'] });
    const prog = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: SKB, insns: assemble('r0 = 1\nexit').insns, license: 'GPL' });
    const sfd = sysadmin.fds.install(p.fds.lookup(prog)!.get());
    expect(bpf(k, sysadmin, BPF_CMD.BPF_PROG_ATTACH, { target_fd: openCgroup(k, sysadmin, '/app'), attach_bpf_fd: sfd, attach_type: IN })).toBe(0);
    expect(cgfd('/app')).toBeGreaterThan(0);
  });
  test('an egress program that returns 2 or 3 is bound to egress', () => {
    const { load, cgfd, attach } = setup();
    expect(errno(() => attach(cgfd('/app'), load('r0 = 3\nexit', SKB, EG), IN))).toBe('EINVAL');
    expect(attach(cgfd('/app'), load('r0 = 3\nexit', SKB, EG), EG)).toBe(0);
    expect(attach(cgfd('/app'), load('r0 = 1\nexit', SKB, EG), IN)).toBe(0);
  });
  test('an egress program whose R0 may be any of 0..3 is not bound to egress (only R0 confined to {2, 3} is)', () => {
    const { load, cgfd, attach } = setup();
    const fd = load('call bpf_get_prandom_u32\nr0 &= 3\nexit', SKB, EG);
    expect(attach(cgfd('/app'), fd, IN)).toBe(0);
  });
  test('a program using a map that returns 3 on one path is bound to egress', () => {
    const { k, p, load, cgfd, attach } = setup();
    const m = (() => {
      try {
        return bpf(k, p, BPF_CMD.BPF_MAP_CREATE, { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 });
      } catch {
        return undefined;
      }
    })();
    if (m === undefined) return; // array maps not registered in this build
    const src = `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[fd:${m}] ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto out\nr0 = 3\nexit\nout:\nr0 = 1\nexit`;
    const fd = load(src, SKB, EG);
    expect(errno(() => attach(cgfd('/app'), fd, IN))).toBe('EINVAL');
  });
});
