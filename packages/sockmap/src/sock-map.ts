// BPF_MAP_TYPE_SOCKMAP and BPF_MAP_TYPE_SOCKHASH (net/core/sock_map.c): maps whose values
// are sockets. User space inserts a socket by its fd (u32 or u64 value) and reads back its
// cookie; a socket joins a map only in a state its protocol allows (TCP: ESTABLISHED or
// LISTEN), gets a psock on first insertion (struct sk_psock, psock.ts: the programs it
// picked up from the map, its links to map slots…), and leaves every map when it is closed. Programs
// attached to the map (SK_MSG verdicts) reach a socket when it is inserted, not before.
import { ERRNO, SysError } from '@bpfsim/isa';
import type { BpfObject, BpfProg, FdSource, MapCreateAttr, MapHost, MapSpec, VmAddress } from '@bpfsim/kernel';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_NOEXIST, BpfMap } from '@bpfsim/kernel';
import type { Sock } from '@bpfsim/net';
import { SOCK_DGRAM, SOCK_STREAM, TCP_STATE } from '@bpfsim/net';
import type { SockMapProgs } from './psock';
import { Psock, sockPsock } from './psock';

const SOCK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
/** MAX_BPF_STACK: a sockhash key lives on a program's stack. */
const MAX_BPF_STACK = 512;
const S32_MAX = 0x7fffffff;
const IPPROTO_TCP = 6;

/** sk_is_tcp() */
const isTcp = (sk: Sock): boolean => sk.type === SOCK_STREAM && sk.protocol === IPPROTO_TCP;

/**
 * sock_map_sk_state_allowed(): TCP sockets established or listening; UDP sockets only once
 * hashed (bound to a port, as connect() and autobind do). The UDP rule is what this
 * machine's 6.18.44 answers (an unbound UDP socket fails EOPNOTSUPP, see the golden data);
 * the 6.18 source bpfsim was read against let any UDP socket in.
 */
function stateAllowed(sk: Sock): boolean {
  if (isTcp(sk)) return sk.state === TCP_STATE.TCP_ESTABLISHED || sk.state === TCP_STATE.TCP_LISTEN;
  if (sk.type === SOCK_DGRAM) return sk.localPort !== 0;
  return true;
}

/** sock_map_alloc() / sock_hash_alloc()'s checks. */
export function sockMapAllocCheck(attr: MapCreateAttr, hash: boolean): void {
  const flags = attr.map_flags ?? 0;
  const badKey = hash ? attr.key_size === 0 : attr.key_size !== 4;
  if (attr.max_entries === 0 || badKey || (attr.value_size !== 4 && attr.value_size !== 8) || flags & ~SOCK_CREATE_FLAG_MASK) {
    throw new SysError('EINVAL', `a ${hash ? 'sockhash' : 'sockmap'} takes ${hash ? 'key_size > 0' : 'key_size 4'}, value_size 4 or 8, max_entries > 0 and flags among NUMA_NODE, RDONLY, WRONLY`);
  }
  if (hash && attr.key_size > MAX_BPF_STACK) throw new SysError('E2BIG', `key_size ${attr.key_size} is larger than ${MAX_BPF_STACK}`);
}

const hexKey = (k: Uint8Array): string => {
  let s = '';
  for (const b of k) s += b.toString(16).padStart(2, '0');
  return s;
};

export abstract class SockMapBase extends BpfMap {
  /** The programs attached to the map (sock_map_progs). */
  readonly progs: SockMapProgs = { msgParser: null };
  /** Slots by key (hex of the key bytes), in insertion order for the hash. */
  protected readonly slots = new Map<string, { key: Uint8Array; sk: Sock }>();

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
  }

  /** The socket at `key`, if any (__sock_map_lookup_elem / __sock_hash_lookup_elem). */
  socketAt(key: Uint8Array): Sock | undefined {
    return this.slots.get(hexKey(key))?.sk;
  }

  /** Checks the key for an update (SOCKMAP: the index range). */
  protected abstract checkKey(key: Uint8Array, adding: boolean): void;

  /** sock_map_update_elem_sys(): value is the fd (u32 or u64). */
  updateFd(fds: FdSource, key: Uint8Array, fd: number, flags: number, value?: Uint8Array): void {
    const ufd = value && value.length === 8 ? new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true) : BigInt(fd >>> 0);
    if (ufd > BigInt(S32_MAX)) throw new SysError('EINVAL', `fd ${ufd} is too large`);
    const o: BpfObject | undefined = fds.lookup(Number(ufd));
    if (!o) throw new SysError('EBADF', `fd ${ufd} is not open`);
    if (o.kind !== 'socket') throw new SysError('ENOTSOCK', `fd ${ufd} is not a socket`);
    const sk = o as unknown as Sock;
    if (!stateAllowed(sk)) throw new SysError('EOPNOTSUPP', `a TCP socket joins a sockmap only when established or listening (this one is in state ${sk.state})`);
    this.updateSock(key, sk, flags);
  }

  /** sock_map_update_common() / sock_hash_update_common(). */
  updateSock(key: Uint8Array, sk: Sock, flags: number): void {
    if (flags > BPF_EXIST) throw new SysError('EINVAL', `flags ${flags} are not valid`);
    const k = hexKey(key);
    const old = this.slots.get(k);
    this.checkKey(key, !old);
    const { psock, created } = this.link(sk);
    if (old && flags === BPF_NOEXIST) {
      if (created) psock.drop();
      throw new SysError('EEXIST', 'the slot holds a socket (BPF_NOEXIST)');
    }
    if (!old && flags === BPF_EXIST) {
      if (created) psock.drop();
      throw new SysError('ENOENT', 'the slot is empty (BPF_EXIST)');
    }
    psock.links.push({ map: this, key: k });
    this.slots.set(k, { key: key.slice(), sk });
    if (old) unlinkSlot(old.sk, this, k);
  }

  /** sock_map_link(): the socket's psock (sk_psock_init() on first insertion) takes the
   * map's programs; EBUSY when it has them from another slot already. */
  private link(sk: Sock): { psock: Psock; created: boolean } {
    const had = sockPsock(sk);
    if (had && this.progs.msgParser && had.progs.msgParser) throw new SysError('EBUSY', 'the socket already has an SK_MSG program from a sockmap');
    const psock = had ?? new Psock(sk);
    if (this.progs.msgParser) psock.progs.msgParser = this.progs.msgParser;
    return { psock, created: !had };
  }

  /** sock_map_delete_from_link(): the slot lets go of `sk` (close, replace, delete). */
  removeSlot(k: string, sk: Sock): boolean {
    const s = this.slots.get(k);
    if (!s || s.sk !== sk) return false;
    this.slots.delete(k);
    return true;
  }

  lookup(key: Uint8Array): Uint8Array {
    // sock_map_lookup_sys(): the cookie, and only into an 8-byte value.
    if (this.valueSize !== 8) throw new SysError('ENOSPC', 'the socket cookie needs value_size 8');
    const sk = this.socketAt(key);
    if (!sk) throw new SysError('ENOENT', 'no socket at this key');
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, sk.cookie(), true);
    return out;
  }

  update(): void {
    throw new SysError('EINVAL', 'sockmap values are socket fds');
  }

  /** The programs' side: lookup gives a socket (refcounted), update/delete are refused by
   * the verifier for most program types. */
  lookupElem(): VmAddress | null {
    return null;
  }
  updateElem(): number {
    return -ERRNO.EOPNOTSUPP;
  }
  deleteElem(key: Uint8Array): number {
    try {
      this.delete(key);
      return 0;
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  }

  protected freeMemory(): void {
    for (const [k, s] of [...this.slots]) unlinkSlot(s.sk, this, k);
    this.slots.clear();
    this.progs.msgParser?.put();
    this.progs.msgParser = null;
  }
}

/** Takes `sk` out of one slot and drops the psock when no slot holds it any more. */
function unlinkSlot(sk: Sock, map: SockMapBase, k: string): void {
  const psock = sockPsock(sk);
  map.removeSlot(k, sk);
  if (!psock) return;
  psock.links = psock.links.filter((l) => !(l.map === map && l.key === k));
  if (psock.links.length === 0) psock.drop();
}

export class SockMap extends SockMapBase {
  private index(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }

  protected checkKey(key: Uint8Array): void {
    if (this.index(key) >= this.maxEntries) throw new SysError('E2BIG', `index ${this.index(key)} is beyond max_entries ${this.maxEntries}`);
  }

  /** sock_map_delete_elem(): EINVAL for an index out of range or an empty slot. */
  delete(key: Uint8Array): void {
    const i = this.index(key);
    if (i >= this.maxEntries) throw new SysError('EINVAL', `index ${i} is beyond max_entries ${this.maxEntries}`);
    const s = this.slots.get(hexKey(key));
    if (!s) throw new SysError('EINVAL', `slot ${i} is empty`);
    unlinkSlot(s.sk, this, hexKey(key));
  }

  /** sock_map_get_next_key(): every index, as an array's. */
  getNextKey(key: Uint8Array | null): Uint8Array {
    const i = key ? this.index(key) : 0xffffffff;
    const out = new Uint8Array(4);
    if (i >= this.maxEntries) return out;
    if (i === this.maxEntries - 1) throw new SysError('ENOENT', 'no index after the last');
    new DataView(out.buffer).setUint32(0, i + 1, true);
    return out;
  }
}

export class SockHash extends SockMapBase {
  protected checkKey(_key: Uint8Array, adding: boolean): void {
    if (adding && this.slots.size >= this.maxEntries) throw new SysError('E2BIG', `the sockhash holds ${this.maxEntries} sockets already`);
  }

  /** sock_hash_delete_elem(): ENOENT for an absent key. */
  delete(key: Uint8Array): void {
    const k = hexKey(key);
    const s = this.slots.get(k);
    if (!s) throw new SysError('ENOENT', 'no socket at this key');
    unlinkSlot(s.sk, this, k);
  }

  /** sock_hash_get_next_key(): the keys in insertion order (bpfsim's hash order); an
   * absent key restarts from the first. */
  getNextKey(key: Uint8Array | null): Uint8Array {
    const keys = [...this.slots.values()].map((s) => s.key);
    if (keys.length === 0) throw new SysError('ENOENT', 'the sockhash is empty');
    const i = key ? keys.findIndex((k) => hexKey(k) === hexKey(key)) : -1;
    if (i < 0) return keys[0]!.slice();
    const next = keys[i + 1];
    if (!next) throw new SysError('ENOENT', 'no key after the last');
    return next.slice();
  }
}
