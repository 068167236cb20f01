// Replays a cgroup scenario (cgroup-cases.ts) against bpfsim, reporting each step as
// scripts/kernel/probe_cgroup.py reports the live kernel's answer.
import { BPF_CMD, SysError } from '@bpfsim/isa';
import type { Capability, LinkInfo, ProgQueryAttr, ProgLoadAttr } from '../src';
import { BPFFS_MOUNT, Kernel, bpf, openCgroup, removeCgroup } from '../src';
import type { CgCase, CtxCase, HelperCase, LogCase, LogResult, Step, StepResult } from './cgroup-cases';

/** The fd number "BAD" stands for (not open). */
const BAD_FD = 999;
const ROOT = '/t';

const errnoOf = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
};

export function replayCase(c: CgCase): StepResult[] {
  const k = new Kernel();
  const p = k.spawn({ comm: 'probe' });
  k.cgroups.create(ROOT);
  k.bpffs.mkdir(`${BPFFS_MOUNT}/probe`);
  const fds = new Map<string, number>();
  const kind = new Map<string, 'prog' | 'link' | 'cg'>();
  const progIds = new Map<number, string>();
  const linkIds = new Map<number, string>();
  const cgIds = new Map<bigint, string>();
  const path = (cg: string): string => (cg === '.' ? ROOT : `${ROOT}/${cg}`);
  const fd = (name: unknown): number => {
    if (name === null || name === undefined) return 0;
    if (name === 'BAD') return BAD_FD;
    const f = fds.get(name as string);
    if (f === undefined) throw new Error(`${c.id}: no fd named ${String(name)}`);
    return f;
  };
  const openCg = (cg: string): void => {
    fds.set(cg, openCgroup(k, p, path(cg)));
    kind.set(cg, 'cg');
    cgIds.set(k.cgroups.lookup(path(cg))!.id, cg);
  };
  const ident = (x: unknown): number => {
    if (typeof x === 'number') return x;
    const table = kind.get(x as string) === 'prog' ? progIds : linkIds;
    for (const [id, n] of table) if (n === x) return id;
    throw new Error(`${c.id}: no id for ${String(x)}`);
  };
  const rel = (s: Step): number => ('relId' in s ? ident(s.relId) : s.rel ? fd(s.rel) : 0);
  const named = (table: Map<number, string>, id: number): string => table.get(id) ?? `?${id}`;

  const run = (s: Step): StepResult => {
    switch (s.op) {
      case 'attach':
        return {
          ret: errnoOf(() =>
            bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, {
              target_fd: fd(s.cg),
              attach_bpf_fd: fd(s.prog),
              attach_type: s.at,
              attach_flags: s.flags ?? 0,
              replace_bpf_fd: fd(s.replace),
              relative_fd: rel(s),
              expected_revision: (s.rev as number | undefined) ?? 0,
            }),
          ),
        };
      case 'detach':
        return {
          ret: errnoOf(() =>
            bpf(k, p, BPF_CMD.BPF_PROG_DETACH, {
              target_fd: fd(s.cg),
              attach_bpf_fd: fd(s.prog),
              attach_type: s.at,
              attach_flags: s.flags ?? 0,
              relative_fd: rel(s),
              expected_revision: (s.rev as number | undefined) ?? 0,
            }),
          ),
        };
      case 'query': {
        const cnt = (s.cnt as number | undefined) ?? 64;
        const attr: ProgQueryAttr = {
          target_fd: fd(s.cg),
          attach_type: s.at as number,
          query_flags: (s.qflags as number | undefined) ?? 0,
          prog_cnt: cnt,
          ...(s.ids !== false ? { prog_ids: [] } : {}),
          ...(s.aflags ? { prog_attach_flags: [] } : {}),
        };
        const ret = errnoOf(() => bpf(k, p, BPF_CMD.BPF_PROG_QUERY, attr));
        if (ret !== 'ok' && ret !== 'ENOSPC') return { ret };
        const out: StepResult = { ret, attach_flags: attr.attach_flags, prog_cnt: attr.prog_cnt, revision: attr.revision };
        const n = Math.min(cnt, out.prog_cnt as number);
        if (attr.prog_ids) out.prog_ids = Array.from({ length: n }, (_, i) => attr.prog_ids![i] ?? 0).map((id) => named(progIds, id));
        if (attr.prog_attach_flags) out.prog_attach_flags = Array.from({ length: n }, (_, i) => attr.prog_attach_flags![i] ?? 0);
        return out;
      }
      case 'link': {
        let lfd = -1;
        const ret = errnoOf(() => {
          lfd = bpf(k, p, BPF_CMD.BPF_LINK_CREATE, {
            prog_fd: fd(s.prog),
            target_fd: fd(s.cg),
            attach_type: s.at,
            flags: s.flags ?? 0,
            cgroup: { relative_fd: rel(s), expected_revision: (s.rev as number | undefined) ?? 0 },
          });
        });
        if (ret === 'ok') {
          fds.set(s.link as string, lfd);
          kind.set(s.link as string, 'link');
          linkIds.set((p.fds.lookup(lfd) as unknown as { id: number }).id, s.link as string);
        }
        return { ret };
      }
      case 'update':
        return { ret: errnoOf(() => bpf(k, p, BPF_CMD.BPF_LINK_UPDATE, { link_fd: fd(s.link), new_prog_fd: fd(s.prog), flags: s.flags ?? 0, old_prog_fd: fd(s.old) })) };
      case 'ldetach':
        return { ret: errnoOf(() => bpf(k, p, BPF_CMD.BPF_LINK_DETACH, { link_fd: fd(s.link) })) };
      case 'linfo': {
        const attr: { bpf_fd: number; info?: unknown } = { bpf_fd: fd(s.link) };
        const ret = errnoOf(() => bpf(k, p, BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, attr));
        if (ret !== 'ok') return { ret };
        const i = attr.info as LinkInfo & { cgroup: { cgroup_id: bigint; attach_type: number } };
        const cgid = i.cgroup.cgroup_id;
        return { ret, type: i.type, id: named(linkIds, i.id), prog_id: named(progIds, i.prog_id), cgroup_id: cgIds.get(cgid) ?? Number(cgid), attach_type: i.cgroup.attach_type };
      }
      default:
        throw new Error(`${c.id}: unknown op ${s.op}`);
    }
  };

  const out: StepResult[] = [];
  openCg('.');
  for (const s of c.steps) {
    switch (s.op) {
      case 'mkdir':
        k.cgroups.create(path(s.cg as string), false);
        openCg(s.cg as string);
        out.push({ ret: 'ok' });
        break;
      case 'rmdir':
        p.fds.close(fds.get(s.cg as string)!);
        fds.delete(s.cg as string);
        out.push({ ret: errnoOf(() => removeCgroup(k, path(s.cg as string))) });
        break;
      case 'load': {
        let pfd = -1;
        const attr: ProgLoadAttr = { prog_type: s.type as number, insns: Buffer.from(s.insns as string, 'hex'), license: 'GPL', expected_attach_type: (s.eat as number | undefined) ?? 0 };
        const ret = errnoOf(() => (pfd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr)));
        if (ret === 'ok') {
          fds.set(s.prog as string, pfd);
          kind.set(s.prog as string, 'prog');
          progIds.set((p.fds.lookup(pfd) as unknown as { id: number }).id, s.prog as string);
        }
        out.push({ ret });
        break;
      }
      case 'close':
        p.fds.close(fd(s.name));
        fds.delete(s.name as string);
        out.push({ ret: 'ok' });
        break;
      case 'pin':
        out.push({ ret: errnoOf(() => bpf(k, p, BPF_CMD.BPF_OBJ_PIN, { pathname: `${BPFFS_MOUNT}/probe/${s.path}`, bpf_fd: fd(s.name) })) });
        break;
      case 'unpin':
        k.bpffs.unlink(`${BPFFS_MOUNT}/probe/${s.path}`);
        out.push({ ret: 'ok' });
        break;
      case 'settle':
        out.push({ ret: 'ok' });
        break;
      case 'get': {
        let gfd = -1;
        const ret = errnoOf(() => (gfd = bpf(k, p, BPF_CMD.BPF_OBJ_GET, { pathname: `${BPFFS_MOUNT}/probe/${s.path}` })));
        if (ret === 'ok') {
          fds.set(s.as as string, gfd);
          kind.set(s.as as string, (s.kind as 'prog' | 'link' | undefined) ?? 'link');
        }
        out.push({ ret });
        break;
      }
      default:
        if (s.caps === 'nonet') {
          // The probe runs the step in a child without CAP_NET_ADMIN and CAP_SYS_ADMIN.
          const dropped: Capability[] = ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'];
          const had = dropped.filter((cap) => p.caps.has(cap));
          for (const cap of dropped) p.caps.delete(cap);
          // A link made in the child dies with it.
          const before = new Set(p.fds.entries());
          try {
            out.push(run(s));
          } finally {
            for (const cap of had) p.caps.add(cap);
            for (const [f, o] of [...p.fds.entries()]) if (![...before].some(([bf, bo]) => bf === f && bo === o)) p.fds.close(f);
          }
        } else out.push(run(s));
    }
  }
  return out;
}

/** Loads one program; 'ok' or the errno name (as probe_cgroup.py's ctx cases). */
export function replayCtx(c: CtxCase): string {
  const k = new Kernel();
  return errnoOf(() => bpf(k, k.spawn(), BPF_CMD.BPF_PROG_LOAD, { prog_type: c.type, insns: Buffer.from(c.insns, 'hex'), license: 'GPL', expected_attach_type: c.eat }));
}

/** Calls one helper: 'refused' when the verifier says the program type may not use it. */
export function replayHelper(c: HelperCase): string {
  const k = new Kernel();
  const insns = [{ code: 0x85, dst: 0, src: 0, off: 0, imm: c.id }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  try {
    bpf(k, k.spawn(), BPF_CMD.BPF_PROG_LOAD, { prog_type: c.type, insns, license: 'GPL', expected_attach_type: c.eat });
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    return /cannot use helper|invalid func/.test(e.message) ? 'refused' : 'offered';
  }
  return 'offered';
}

/** The verifier's last line before its "processed … insns" summary (probe_cgroup.py's error_line). */
export function errorLine(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim());
  while (lines.length && /^(processed |verification time|stack depth)/.test(lines[lines.length - 1]!)) lines.pop();
  return lines[lines.length - 1] ?? '';
}

/** Loads one program with a log (as probe_cgroup.py's log cases): the errno and why. */
export function replayLog(c: LogCase): LogResult {
  const k = new Kernel();
  const attr: ProgLoadAttr = { prog_type: c.type, insns: Buffer.from(c.insns, 'hex'), license: 'GPL', expected_attach_type: c.eat, log_level: 1, log_size: 1 << 20 };
  const ret = errnoOf(() => bpf(k, k.spawn(), BPF_CMD.BPF_PROG_LOAD, attr));
  return { ret, msg: ret === 'ok' ? '' : errorLine(attr.log_buf ?? '') };
}
