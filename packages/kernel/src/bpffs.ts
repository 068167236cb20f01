// bpffs (kernel/bpf/inode.c), mounted at /sys/fs/bpf: BPF_OBJ_PIN gives an object a path
// that holds a reference (it outlives the process); BPF_OBJ_GET opens a new fd on it;
// unlink drops the pin.
import { SysError } from '@bpfsim/isa';
import type { BpfObject } from './object';

export const BPFFS_MOUNT = '/sys/fs/bpf';

type Node = { dir: Map<string, Node> } | { obj: BpfObject };

export class BpfFs {
  private readonly root: { dir: Map<string, Node> } = { dir: new Map() };

  /** The path's components below the mount; ENOENT/EINVAL as path lookup would say. */
  private split(path: string, syscall: string): string[] {
    if (!path.startsWith(`${BPFFS_MOUNT}/`)) {
      // bpf_obj_pin_user/bpf_obj_get_user resolve the path; outside bpffs it is EPERM
      // (pinning) or the file is not a bpf object (EINVAL) — a plain missing path: ENOENT.
      throw new SysError(syscall === 'BPF_OBJ_PIN' ? 'EPERM' : 'ENOENT', `${path} is not on bpffs (${BPFFS_MOUNT})`, syscall);
    }
    const parts = path.slice(BPFFS_MOUNT.length + 1).split('/').filter((p) => p.length);
    if (!parts.length) throw new SysError('EEXIST', `${path} is the bpffs mount`, syscall);
    return parts;
  }

  private dirOf(parts: string[], syscall: string, path: string): Map<string, Node> {
    let d = this.root.dir;
    for (const p of parts.slice(0, -1)) {
      const n = d.get(p);
      if (!n) throw new SysError('ENOENT', `${path}: no directory ${p}`, syscall);
      if (!('dir' in n)) throw new SysError('ENOTDIR', `${path}: ${p} is not a directory`, syscall);
      d = n.dir;
    }
    return d;
  }

  mkdir(path: string): void {
    const parts = this.split(path, 'mkdir');
    const d = this.dirOf(parts, 'mkdir', path);
    const name = parts[parts.length - 1]!;
    if (d.has(name)) throw new SysError('EEXIST', `${path} exists`, 'mkdir');
    d.set(name, { dir: new Map() });
  }

  /** BPF_OBJ_PIN: the pin takes a reference. */
  pin(path: string, obj: BpfObject): void {
    const parts = this.split(path, 'BPF_OBJ_PIN');
    const d = this.dirOf(parts, 'BPF_OBJ_PIN', path);
    const name = parts[parts.length - 1]!;
    if (d.has(name)) throw new SysError('EEXIST', `${path} exists`, 'BPF_OBJ_PIN');
    d.set(name, { obj: obj.get() });
  }

  /** BPF_OBJ_GET: the pinned object (the caller takes its own reference). */
  get(path: string): BpfObject {
    const parts = this.split(path, 'BPF_OBJ_GET');
    const d = this.dirOf(parts, 'BPF_OBJ_GET', path);
    const n = d.get(parts[parts.length - 1]!);
    if (!n) throw new SysError('ENOENT', `${path} does not exist`, 'BPF_OBJ_GET');
    if (!('obj' in n)) throw new SysError('EINVAL', `${path} is a directory, not a bpf object`, 'BPF_OBJ_GET');
    return n.obj;
  }

  /** unlink(2): the pin's reference goes. */
  unlink(path: string): void {
    const parts = this.split(path, 'unlink');
    const d = this.dirOf(parts, 'unlink', path);
    const name = parts[parts.length - 1]!;
    const n = d.get(name);
    if (!n) throw new SysError('ENOENT', `${path} does not exist`, 'unlink');
    if ('dir' in n) {
      if (n.dir.size) throw new SysError('ENOTEMPTY', `${path} is not empty`, 'rmdir');
      d.delete(name);
      return;
    }
    d.delete(name);
    n.obj.put();
  }
}
