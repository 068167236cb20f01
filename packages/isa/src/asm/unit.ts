// What both assembly syntaxes build: instruction slots with their source lines, labels,
// fixups resolved once every label is known, map declarations and warnings.
import { AsmError } from '../errors';
import { helperId } from '../helpers';
import type { Insn } from '../insn';
import { LD_IMM64 } from '../insn';
import {
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} from '../opcodes';
import { toS16, toS32 } from './numbers';

export interface SourceLoc {
  /** 1-based line in the file. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** A map declared in assembly with `.map NAME type=… key_size=… value_size=… max_entries=…`. */
export interface MapDef {
  name: string;
  /** `enum bpf_map_type` value. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** For map-in-map types: the declared map whose shape the inner maps take. */
  innerMap?: string;
  line: number;
}

export interface AsmWarning extends SourceLoc {
  message: string;
}

export interface AsmResult {
  insns: Insn[];
  /** Source line of each slot (both slots of an ld_imm64 carry the same line). */
  lines: number[];
  labels: Map<string, number>;
  /** Declared maps; `map[NAME]` references are encoded as BPF_PSEUDO_MAP_IDX into this list. */
  maps: MapDef[];
  /** `.section` name (libbpf's program naming: `cgroup/connect4`, `xdp`, …), if given. */
  section?: string;
  /** `.license` string, if given. */
  license?: string;
  warnings: AsmWarning[];
}

/**
 * A reference to a name, resolved when the whole file has been read.
 * - `off`/`imm`: a jump displacement to a label, in the 16-bit off or the 32-bit imm;
 * - `call`: a label (bpf-to-bpf call) or else a helper name;
 * - `symbol`: the value of `rX = NAME ll`: a declared map or else a label (BPF_PSEUDO_FUNC);
 * - `map`: `map[NAME]`, a declared map.
 */
interface Fixup extends SourceLoc {
  slot: number;
  name: string;
  kind: 'off' | 'imm' | 'call' | 'symbol' | 'map';
}

export class AssemblyUnit {
  readonly insns: Insn[] = [];
  readonly lines: number[] = [];
  readonly labels = new Map<string, { slot: number; loc: SourceLoc }>();
  readonly maps: MapDef[] = [];
  readonly warnings: AsmWarning[] = [];
  section?: string;
  license?: string;
  private readonly fixups: Fixup[] = [];
  /** A label the syntax defines implicitly (uBPF: `exit`), unless the file defines it. */
  private implicitLabels = new Map<string, number>();

  constructor(readonly file: string) {}

  fail(loc: SourceLoc, reason: string): never {
    throw new AsmError(this.file, loc.line, loc.column, reason);
  }

  warn(loc: SourceLoc, message: string): void {
    this.warnings.push({ ...loc, message });
  }

  /** The slot the next instruction will take. */
  get pc(): number {
    return this.insns.length;
  }

  emit(loc: SourceLoc, ...slots: Insn[]): number {
    const at = this.insns.length;
    for (const s of slots) {
      this.insns.push(s);
      this.lines.push(loc.line);
    }
    return at;
  }

  defineLabel(name: string, loc: SourceLoc): void {
    const prev = this.labels.get(name);
    if (prev) this.fail(loc, `label '${name}' is already defined on line ${prev.loc.line}`);
    this.labels.set(name, { slot: this.pc, loc });
  }

  defineImplicitLabel(name: string): void {
    if (!this.implicitLabels.has(name)) this.implicitLabels.set(name, this.pc);
  }

  refer(slot: number, name: string, kind: Fixup['kind'], loc: SourceLoc): void {
    this.fixups.push({ slot, name, kind, ...loc });
  }

  declareMap(def: MapDef, loc: SourceLoc): void {
    const prev = this.maps.find((m) => m.name === def.name);
    if (prev) this.fail(loc, `map '${def.name}' is already declared on line ${prev.line}`);
    this.maps.push(def);
  }

  private labelSlot(name: string): number | undefined {
    return this.labels.get(name)?.slot ?? this.implicitLabels.get(name);
  }

  finish(): AsmResult {
    for (const f of this.fixups) this.resolve(f);
    for (const m of this.maps) {
      if (m.innerMap !== undefined && !this.maps.some((o) => o.name === m.innerMap))
        this.fail({ line: m.line, column: 1 }, `map '${m.name}': inner_map '${m.innerMap}' is not declared`);
    }
    const last = this.insns.length;
    for (const [name, { slot, loc }] of this.labels) {
      if (slot > last) this.fail(loc, `label '${name}' points past the end`);
    }
    const labels = new Map<string, number>();
    for (const [name, slot] of this.implicitLabels) labels.set(name, slot);
    for (const [name, { slot }] of this.labels) labels.set(name, slot);
    const result: AsmResult = { insns: this.insns, lines: this.lines, labels, maps: this.maps, warnings: this.warnings };
    if (this.section !== undefined) result.section = this.section;
    if (this.license !== undefined) result.license = this.license;
    return result;
  }

  private resolve(f: Fixup): void {
    const ins = this.insns[f.slot]!;
    const target = this.labelSlot(f.name);
    const mapIndex = this.maps.findIndex((m) => m.name === f.name);
    const disp = (what: string): number => {
      if (target === undefined) return this.fail(f, `unknown label '${f.name}'`);
      const d = BigInt(target - (f.slot + 1));
      const v = what === 'off' ? toS16(d) : toS32(d);
      if (v === undefined) return this.fail(f, `label '${f.name}' is out of reach of a ${what === 'off' ? '16' : '32'}-bit displacement (${d})`);
      return v;
    };
    switch (f.kind) {
      case 'off':
        ins.off = disp('off');
        return;
      case 'imm':
        ins.imm = disp('imm');
        return;
      case 'call':
        if (target !== undefined) {
          ins.src = BPF_PSEUDO_CALL;
          ins.imm = disp('imm');
          return;
        }
        {
          const id = helperId(f.name);
          if (id === undefined) this.fail(f, `'${f.name}' is neither a label nor a helper name`);
          ins.imm = id;
        }
        return;
      case 'symbol':
        if (mapIndex >= 0) {
          ins.src = BPF_PSEUDO_MAP_IDX;
          ins.imm = mapIndex;
          return;
        }
        if (target !== undefined) {
          ins.src = BPF_PSEUDO_FUNC;
          ins.imm = disp('imm');
          return;
        }
        this.fail(f, `'${f.name}' is neither a declared map nor a label`);
        return;
      case 'map':
        if (mapIndex < 0) this.fail(f, `map '${f.name}' is not declared (declare it with .map)`);
        if (ins.code !== LD_IMM64 || (ins.src !== BPF_PSEUDO_MAP_IDX && ins.src !== BPF_PSEUDO_MAP_IDX_VALUE))
          this.fail(f, 'internal: map reference on a non-map instruction');
        ins.imm = mapIndex;
        return;
    }
  }
}
