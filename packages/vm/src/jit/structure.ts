// Structured control flow from a subprogram's basic blocks, so the JIT can emit real JS
// loops and labelled blocks instead of a dispatch loop. The algorithm is Norman Ramsey's
// "Beyond Relooper" (ICFP 2022): walk the dominator tree; a block reached by more than one
// forward edge (a merge node) is placed after a labelled block that its predecessors `break`
// out of; a loop header wraps its dominated region in a labelled loop that back edges
// `continue`. It needs a reducible graph; isReducible() says when to fall back.
import type { Block } from '../program';

export interface Cfg {
  /** Blocks reachable from the entry, in reverse postorder (entry first). */
  order: Block[];
  /** Reverse-postorder number by block start. */
  rpo: Map<number, number>;
  /** Immediate dominator's start by block start (the entry maps to itself). */
  idom: Map<number, number>;
  /** Dominator-tree children by block start, in reverse postorder. */
  children: Map<number, number[]>;
  /** Blocks that are the target of a back edge. */
  loopHeaders: Set<number>;
  /** Blocks with two or more forward in-edges. */
  mergeNodes: Set<number>;
  reducible: boolean;
}

export function analyze(blocks: readonly Block[]): Cfg {
  const byStart = new Map(blocks.map((b) => [b.start, b]));
  const entry = blocks[0]!;

  // Depth-first postorder, iteratively (programs can have many blocks).
  const post: Block[] = [];
  const seen = new Set<number>();
  const stack: { b: Block; i: number }[] = [{ b: entry, i: 0 }];
  seen.add(entry.start);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.b.succ.length) {
      const s = top.b.succ[top.i++]!;
      if (!seen.has(s)) {
        seen.add(s);
        stack.push({ b: byStart.get(s)!, i: 0 });
      }
    } else {
      post.push(top.b);
      stack.pop();
    }
  }
  const order = post.reverse();
  const rpo = new Map(order.map((b, i) => [b.start, i]));

  const preds = new Map<number, number[]>(order.map((b) => [b.start, []]));
  for (const b of order) for (const s of b.succ) preds.get(s)!.push(b.start);

  // Dominators: Cooper, Harvey and Kennedy's iterative algorithm over reverse postorder.
  const idom = new Map<number, number>([[entry.start, entry.start]]);
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo.get(a)! > rpo.get(b)!) a = idom.get(a)!;
      while (rpo.get(b)! > rpo.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of order) {
      if (b === entry) continue;
      let d: number | undefined;
      for (const p of preds.get(b.start)!) if (idom.has(p)) d = d === undefined ? p : intersect(p, d);
      if (d !== undefined && idom.get(b.start) !== d) {
        idom.set(b.start, d);
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom.get(x)!) {
      if (x === a) return true;
      if (x === entry.start) return false;
    }
  };

  const children = new Map<number, number[]>(order.map((b) => [b.start, []]));
  for (const b of order) if (b !== entry) children.get(idom.get(b.start)!)!.push(b.start);

  const loopHeaders = new Set<number>();
  const mergeNodes = new Set<number>();
  let reducible = true;
  for (const b of order) {
    let forward = 0;
    for (const p of preds.get(b.start)!) {
      if (rpo.get(p)! >= rpo.get(b.start)!) {
        // A retreating edge: a back edge only if the target dominates the source.
        if (dominates(b.start, p)) loopHeaders.add(b.start);
        else reducible = false;
      } else forward++;
    }
    if (forward >= 2) mergeNodes.add(b.start);
  }
  return { order, rpo, idom, children, loopHeaders, mergeNodes, reducible };
}

/** The structured program: what the code generator walks. */
export type Structured =
  | { kind: 'block'; label: number; body: Structured[] } // `B<label>: { body }`, left by break
  | { kind: 'loop'; label: number; body: Structured[] } // `L<label>: for (;;) { body }`, re-entered by continue
  | { kind: 'code'; block: Block; exits: Exit[] }; // a basic block, then its exits

/** Where control goes after a basic block, per successor. */
export type Exit =
  | { kind: 'break'; label: number } // to a merge node placed after block `label`
  | { kind: 'continue'; label: number } // back to loop header `label`
  | { kind: 'inline'; body: Structured[] }; // to a block only this edge reaches: its code, inline

/** Ramsey's doTree / nodeWithin / doBranch over the analysed graph. */
export function structure(cfg: Cfg, blocks: readonly Block[]): Structured[] {
  const byStart = new Map(blocks.map((b) => [b.start, b]));
  const doBranch = (from: number, to: number): Exit => {
    if (cfg.rpo.get(to)! <= cfg.rpo.get(from)!) return { kind: 'continue', label: to };
    if (cfg.mergeNodes.has(to)) return { kind: 'break', label: to };
    return { kind: 'inline', body: doTree(to) };
  };
  const nodeWithin = (x: number, merges: number[]): Structured[] => {
    if (merges.length === 0) {
      const block = byStart.get(x)!;
      return [{ kind: 'code', block, exits: block.succ.map((s) => doBranch(x, s)) }];
    }
    // The merge child with the highest reverse-postorder number is the outermost block.
    const [y, ...rest] = merges as [number, ...number[]];
    return [{ kind: 'block', label: y, body: nodeWithin(x, rest) }, ...doTree(y)];
  };
  const doTree = (x: number): Structured[] => {
    const merges = cfg.children
      .get(x)!
      .filter((c) => cfg.mergeNodes.has(c))
      .sort((a, b) => cfg.rpo.get(b)! - cfg.rpo.get(a)!);
    const body = nodeWithin(x, merges);
    return cfg.loopHeaders.has(x) ? [{ kind: 'loop', label: x, body }] : body;
  };
  return doTree(cfg.order[0]!.start);
}
