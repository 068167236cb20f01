// The LRU of LRU_HASH / LRU_PERCPU_HASH maps, a port of kernel/bpf/bpf_lru_list.c with
// list nodes as numbers (node i is the map's element slot i).
//
// The model, as in Linux:
// - Every element is on one list: FREE, ACTIVE or INACTIVE of an LRU list, or (common LRU
//   only) a CPU's local FREE or PENDING list. A lookup from a program and an update of an
//   existing key set the node's ref bit; lookups from syscalls do not.
// - Common LRU (the default): one global LRU list; each CPU grabs `target_free` free nodes
//   at a time (clamp(max_entries / cpus / 2, 1, 128)) into its local free list, and new
//   elements wait on the CPU's pending list. When the local free list is empty the pending
//   list is flushed into the global lists (ref'd to ACTIVE, others to INACTIVE), the lists
//   rotate (ACTIVE's tail moves to INACTIVE when INACTIVE is smaller; INACTIVE's ref'd
//   nodes go back to ACTIVE), free nodes move over, and if too few the INACTIVE tail is
//   shrunk: unreferenced nodes are deleted from the map. Only when all that fails is a node
//   stolen from some CPU's local free or pending list, round robin.
// - BPF_F_NO_COMMON_LRU: one LRU list per CPU with max_entries / cpus nodes each; a CPU
//   only ever takes nodes from its own list (shrinking 4 at a time).
// So an LRU map may evict before it is full, and which key goes depends on the CPU the
// update runs on — exactly as on Linux, as long as one simulated CPU is one Linux CPU.
// Limits: no concurrency (a simulation runs one thing at a time), so the lock-failure
// paths of the kernel never trigger, and del_from_htab always succeeds.

const T_ACTIVE = 0;
const T_INACTIVE = 1;
const T_FREE = 2;
const T_LOCAL_FREE = 3;
const T_LOCAL_PENDING = 4;

const LOCAL_FREE_TARGET = 128;
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

/** One bpf_lru_list: ACTIVE, INACTIVE, FREE heads, counts, the rotation cursor. */
interface LruList {
  heads: [number, number, number];
  counts: [number, number];
  nextInactiveRotation: number;
}

/** One CPU's bpf_lru_locallist. */
interface LocalList {
  free: number;
  pending: number;
  nextSteal: number;
}

/** The list a node is on, for tests and reports. */
export type LruListName = 'active' | 'inactive' | 'free' | 'local-free' | 'local-pending';
const LIST_NAMES: readonly LruListName[] = ['active', 'inactive', 'free', 'local-free', 'local-pending'];

export class BpfLru {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly type: Uint8Array;
  private readonly ref: Uint8Array;
  private readonly cpuOf: Uint16Array;
  private readonly lists: LruList[] = [];
  private readonly locals: LocalList[] = [];
  private readonly nrScans: number;
  readonly targetFree: number;

  constructor(
    readonly nodes: number,
    readonly cpus: number,
    /** BPF_F_NO_COMMON_LRU */
    readonly percpu: boolean,
    /** htab_lru_map_delete_node(): unlinks the node's element from the map. */
    private readonly delFromHtab: (node: number) => boolean,
  ) {
    const sentinels = percpu ? 3 * cpus : 3 + 2 * cpus;
    const n = nodes + sentinels;
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.type = new Uint8Array(n);
    this.ref = new Uint8Array(n);
    this.cpuOf = new Uint16Array(n);
    let s = nodes;
    const head = (): number => {
      const h = s++;
      this.prev[h] = this.next[h] = h;
      return h;
    };
    const list = (): LruList => {
      const heads: [number, number, number] = [head(), head(), head()];
      return { heads, counts: [0, 0], nextInactiveRotation: heads[T_INACTIVE] };
    };
    if (percpu) {
      for (let c = 0; c < cpus; c++) this.lists.push(list());
      this.nrScans = PERCPU_NR_SCANS;
      // bpf_percpu_lru_populate(): CPU c gets nodes [c·k, (c+1)·k).
      const per = Math.floor(nodes / cpus);
      let i = 0;
      for (let c = 0; c < cpus && i < nodes; c++) {
        do {
          this.cpuOf[i] = c;
          this.type[i] = T_FREE;
          this.listAdd(i, this.lists[c]!.heads[T_FREE]);
          i++;
        } while (i < nodes && i % per);
      }
      this.targetFree = 0;
    } else {
      this.lists.push(list());
      for (let c = 0; c < cpus; c++) this.locals.push({ free: head(), pending: head(), nextSteal: c });
      this.nrScans = LOCAL_NR_SCANS;
      // bpf_common_lru_populate(): list_add of each node, so the free list runs n-1 … 0.
      const g = this.lists[0]!;
      for (let i = 0; i < nodes; i++) {
        this.type[i] = T_FREE;
        this.listAdd(i, g.heads[T_FREE]);
      }
      this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nodes / cpus) / 2), 1), LOCAL_FREE_TARGET);
    }
  }

  // ---- list_head primitives -----------------------------------------------------------

  private listAdd(node: number, head: number): void {
    const n = this.next[head]!;
    this.next[node] = n;
    this.prev[node] = head;
    this.prev[n] = node;
    this.next[head] = node;
  }

  private listDel(node: number): void {
    const p = this.prev[node]!;
    const n = this.next[node]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.prev[node] = this.next[node] = node;
  }

  private listMove(node: number, head: number): void {
    this.listDel(node);
    this.listAdd(node, head);
  }

  private empty(head: number): boolean {
    return this.next[head] === head;
  }

  // ---- bpf_lru_list.c ---------------------------------------------------------------------

  /** bpf_lru_node_set_ref() */
  setRef(node: number): void {
    this.ref[node] = 1;
  }

  private countInc(l: LruList, t: number): void {
    if (t < 2) l.counts[t as 0 | 1]++;
  }
  private countDec(l: LruList, t: number): void {
    if (t < 2) l.counts[t as 0 | 1]--;
  }

  /** __bpf_lru_node_move_to_free() */
  private moveToFree(l: LruList, node: number, freeHead: number, tgt: number): void {
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[l.nextInactiveRotation]!;
    this.countDec(l, this.type[node]!);
    this.type[node] = tgt;
    this.listMove(node, freeHead);
  }

  /** __bpf_lru_node_move_in() */
  private moveIn(l: LruList, node: number, tgt: number): void {
    this.countInc(l, tgt);
    this.type[node] = tgt;
    this.ref[node] = 0;
    this.listMove(node, l.heads[tgt as 0 | 1 | 2]);
  }

  /** __bpf_lru_node_move() */
  private move(l: LruList, node: number, tgt: number): void {
    if (this.type[node] !== tgt) {
      this.countDec(l, this.type[node]!);
      this.countInc(l, tgt);
      this.type[node] = tgt;
    }
    this.ref[node] = 0;
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[l.nextInactiveRotation]!;
    this.listMove(node, l.heads[tgt as 0 | 1 | 2]);
  }

  /** __bpf_lru_list_rotate_active() */
  private rotateActive(l: LruList): void {
    const active = l.heads[T_ACTIVE];
    const first = this.next[active]!;
    let i = 0;
    for (let node = this.prev[active]!; node !== active; ) {
      const tmp = this.prev[node]!;
      this.move(l, node, this.ref[node] ? T_ACTIVE : T_INACTIVE);
      if (++i === this.nrScans || node === first) break;
      node = tmp;
    }
  }

  /** __bpf_lru_list_rotate_inactive() */
  private rotateInactive(l: LruList): void {
    const inactive = l.heads[T_INACTIVE];
    if (this.empty(inactive)) return;
    let last = this.next[l.nextInactiveRotation]!;
    if (last === inactive) last = this.next[last]!;
    let cur = l.nextInactiveRotation;
    let next = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = this.prev[cur]!;
        continue;
      }
      const node = cur;
      next = this.prev[cur]!;
      if (this.ref[node]) this.move(l, node, T_ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    l.nextInactiveRotation = next;
  }

  /** __bpf_lru_list_shrink_inactive() */
  private shrinkInactive(l: LruList, tgt: number, freeHead: number, freeType: number): number {
    const inactive = l.heads[T_INACTIVE];
    let nshrinked = 0;
    let i = 0;
    for (let node = this.prev[inactive]!; node !== inactive; ) {
      const tmp = this.prev[node]!;
      if (this.ref[node]) {
        this.move(l, node, T_ACTIVE);
      } else if (this.delFromHtab(node)) {
        this.moveToFree(l, node, freeHead, freeType);
        if (++nshrinked === tgt) break;
      }
      if (++i === this.nrScans) break;
      node = tmp;
    }
    return nshrinked;
  }

  /** __bpf_lru_list_rotate() */
  private rotate(l: LruList): void {
    if (l.counts[T_INACTIVE] < l.counts[T_ACTIVE]) this.rotateActive(l);
    this.rotateInactive(l);
  }

  /** __bpf_lru_list_shrink(): shrink INACTIVE, else force one node out ignoring ref bits. */
  private shrink(l: LruList, tgt: number, freeHead: number, freeType: number): number {
    const n = this.shrinkInactive(l, tgt, freeHead, freeType);
    if (n) return n;
    const force = this.empty(l.heads[T_INACTIVE]) ? l.heads[T_ACTIVE] : l.heads[T_INACTIVE];
    for (let node = this.prev[force]!; node !== force; ) {
      const tmp = this.prev[node]!;
      if (this.delFromHtab(node)) {
        this.moveToFree(l, node, freeHead, freeType);
        return 1;
      }
      node = tmp;
    }
    return 0;
  }

  /** __local_list_flush() */
  private localFlush(l: LruList, loc: LocalList): void {
    const pending = loc.pending;
    for (let node = this.prev[pending]!; node !== pending; ) {
      const tmp = this.prev[node]!;
      this.moveIn(l, node, this.ref[node] ? T_ACTIVE : T_INACTIVE);
      node = tmp;
    }
  }

  /** bpf_lru_list_pop_free_to_local() */
  private popFreeToLocal(loc: LocalList): void {
    const l = this.lists[0]!;
    this.localFlush(l, loc);
    this.rotate(l);
    const free = l.heads[T_FREE];
    let nfree = 0;
    for (let node = this.next[free]!; node !== free; ) {
      const tmp = this.next[node]!;
      this.moveToFree(l, node, loc.free, T_LOCAL_FREE);
      if (++nfree === this.targetFree) break;
      node = tmp;
    }
    if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, loc.free, T_LOCAL_FREE);
  }

  /** __local_list_add_pending() */
  private addPending(loc: LocalList, cpu: number, node: number): void {
    this.cpuOf[node] = cpu;
    this.type[node] = T_LOCAL_PENDING;
    this.ref[node] = 0;
    this.listAdd(node, loc.pending);
  }

  /** __local_list_pop_free() */
  private localPopFree(loc: LocalList): number {
    const node = this.next[loc.free]!;
    if (node === loc.free) return -1;
    this.listDel(node);
    return node;
  }

  /** __local_list_pop_pending(): the oldest unreferenced pending node, else the oldest. */
  private localPopPending(loc: LocalList): number {
    for (const force of [false, true]) {
      for (let node = this.prev[loc.pending]!; node !== loc.pending; node = this.prev[node]!) {
        if ((!this.ref[node] || force) && this.delFromHtab(node)) {
          this.listDel(node);
          return node;
        }
      }
    }
    return -1;
  }

  /** bpf_lru_pop_free(): a node for a new element on `cpu`, or -1 (the map fails ENOMEM). */
  popFree(cpu: number): number {
    return this.percpu ? this.percpuPopFree(cpu) : this.commonPopFree(cpu);
  }

  private percpuPopFree(cpu: number): number {
    const l = this.lists[cpu]!;
    this.rotate(l);
    const free = l.heads[T_FREE];
    if (this.empty(free)) this.shrink(l, PERCPU_FREE_TARGET, free, T_FREE);
    if (this.empty(free)) return -1;
    const node = this.next[free]!;
    this.ref[node] = 0;
    this.move(l, node, T_INACTIVE);
    return node;
  }

  private commonPopFree(cpu: number): number {
    const loc = this.locals[cpu]!;
    let node = this.localPopFree(loc);
    if (node < 0) {
      this.popFreeToLocal(loc);
      node = this.localPopFree(loc);
    }
    if (node >= 0) {
      this.addPending(loc, cpu, node);
      return node;
    }
    // Steal from the local free/pending lists of the CPUs, round robin from next_steal.
    const first = loc.nextSteal;
    let steal = first;
    do {
      const sl = this.locals[steal]!;
      node = this.localPopFree(sl);
      if (node < 0) node = this.localPopPending(sl);
      steal = (steal + 1) % this.cpus;
    } while (node < 0 && steal !== first);
    loc.nextSteal = steal;
    if (node >= 0) this.addPending(loc, cpu, node);
    return node;
  }

  /** bpf_lru_push_free(): the node's element left the map. */
  pushFree(node: number): void {
    if (this.percpu) {
      this.move(this.lists[this.cpuOf[node]!]!, node, T_FREE);
      return;
    }
    const t = this.type[node]!;
    if (t === T_FREE || t === T_LOCAL_FREE) return;
    if (t === T_LOCAL_PENDING) {
      this.type[node] = T_LOCAL_FREE;
      this.ref[node] = 0;
      this.listMove(node, this.locals[this.cpuOf[node]!]!.free);
      return;
    }
    this.move(this.lists[0]!, node, T_FREE);
  }

  // ---- inspection ------------------------------------------------------------------------

  /** The list `node` is on and its ref bit. */
  nodeState(node: number): { list: LruListName; ref: boolean; cpu: number } {
    return { list: LIST_NAMES[this.type[node]!]!, ref: this.ref[node] === 1, cpu: this.cpuOf[node]! };
  }

  /** The nodes of a list, head first (for tests): `cpu` selects a per-CPU or local list. */
  listNodes(list: LruListName, cpu = 0): number[] {
    let head: number;
    if (list === 'local-free' || list === 'local-pending') {
      const loc = this.locals[cpu];
      if (!loc) return [];
      head = list === 'local-free' ? loc.free : loc.pending;
    } else {
      const l = this.percpu ? this.lists[cpu] : this.lists[0];
      if (!l) return [];
      head = l.heads[LIST_NAMES.indexOf(list) as 0 | 1 | 2];
    }
    const out: number[] = [];
    for (let n = this.next[head]!; n !== head; n = this.next[n]!) out.push(n);
    return out;
  }
}
