// The cgroup v2 hierarchy of a host (kernel/cgroup): a tree of cgroups named by path
// ("/", "/app", "/app/web"), each with an id (the kernfs inode number user space sees in
// bpf_get_current_cgroup_id), its processes, and — per attach type — the programs attached
// to it and the effective array the hooks run (kernel/bpf/cgroup.c, in cgroup/attach.ts).
import { SysError } from '@bpfsim/isa';
import type { CgroupBpf } from './attach';

export class Cgroup {
  readonly children = new Map<string, Cgroup>();
  /** Per-cgroup BPF state (struct cgroup_bpf), made and kept by cgroup/attach.ts on first use. */
  bpf: CgroupBpf | undefined = undefined;
  /** False once the cgroup has been removed (rmdir): fds on it no longer reach it. */
  online = true;

  constructor(
    /** The hierarchy the cgroup is in. */
    readonly tree: CgroupTree,
    readonly id: bigint,
    readonly name: string,
    readonly parent: Cgroup | null,
  ) {}

  get path(): string {
    if (!this.parent) return '/';
    const up = this.parent.path;
    return up === '/' ? `/${this.name}` : `${up}/${this.name}`;
  }

  /** Depth below the root (cgroup->level). */
  get level(): number {
    return this.parent ? this.parent.level + 1 : 0;
  }

  /** This cgroup and its ancestors, nearest first. */
  *ancestors(): IterableIterator<Cgroup> {
    for (let c: Cgroup | null = this; c; c = c.parent) yield c;
  }

  /** Descendants, this cgroup included, parents before children. */
  *descendants(): IterableIterator<Cgroup> {
    yield this;
    for (const c of this.children.values()) yield* c.descendants();
  }
}

/** A host's cgroup tree. Ids start where a fresh cgroup2 mount's inode numbers do. */
export class CgroupTree {
  readonly root: Cgroup;
  /** cgroup_bpf_enabled_key[]: how many programs and links of each attach type are attached
   * anywhere in the tree (cgroup/attach.ts keeps the count, cgroupBpfEnabled() reads it). */
  readonly bpfEnabled = new Map<number, number>();
  private nextId: bigint;

  constructor(firstId = 1n) {
    this.nextId = firstId;
    this.root = new Cgroup(this, this.nextId++, '', null);
  }

  /** The cgroup at `path`, or undefined. */
  lookup(path: string): Cgroup | undefined {
    let c: Cgroup | undefined = this.root;
    for (const part of splitPath(path)) {
      c = c.children.get(part);
      if (!c) return undefined;
    }
    return c;
  }

  /** mkdir: the cgroup at `path`, made with any missing parents when `parents` is set. */
  create(path: string, parents = true): Cgroup {
    let c = this.root;
    const parts = splitPath(path);
    parts.forEach((part, i) => {
      const next = c.children.get(part);
      if (next) {
        if (i === parts.length - 1 && !parents) throw new SysError('EEXIST', `cgroup ${path} exists`, 'mkdir');
        c = next;
        return;
      }
      if (i < parts.length - 1 && !parents) throw new SysError('ENOENT', `no cgroup ${parts.slice(0, i + 1).join('/')}`, 'mkdir');
      const made = new Cgroup(this, this.nextId++, part, c);
      c.children.set(part, made);
      this.onCreate?.(made);
      c = made;
    });
    return c;
  }

  /** Called for each new cgroup (the BPF layer inherits effective programs into it). */
  onCreate?: (cg: Cgroup) => void;

  /**
   * rmdir: the cgroup at `path` goes offline. EBUSY while it has children or when `busy`
   * says so (a process still in it); the root cannot be removed (EBUSY, as rmdir of a mount).
   * removeCgroup() (cgroup-file.ts) wraps this and releases what is attached to the cgroup.
   */
  remove(path: string, busy?: (cg: Cgroup) => boolean): void {
    const c = this.lookup(path);
    if (!c) throw new SysError('ENOENT', `no cgroup ${path}`, 'rmdir');
    if (!c.parent) throw new SysError('EBUSY', 'the root cgroup cannot be removed', 'rmdir');
    if (c.children.size || busy?.(c)) throw new SysError('EBUSY', `cgroup ${path} is not empty`, 'rmdir');
    c.parent.children.delete(c.name);
    c.online = false;
  }

  /** The cgroup with this id. */
  byId(id: bigint): Cgroup | undefined {
    for (const c of this.root.descendants()) if (c.id === id) return c;
    return undefined;
  }
}

function splitPath(path: string): string[] {
  if (!path.startsWith('/')) throw new SysError('EINVAL', `cgroup path '${path}' must start with /`);
  const parts = path.split('/').filter((p) => p.length);
  for (const p of parts) if (p === '.' || p === '..') throw new SysError('EINVAL', `cgroup path '${path}' has '${p}'`);
  return parts;
}
