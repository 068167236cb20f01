// The module scripts/build.mjs makes at build time: every scenario of scenarios/, and the C
// sources of the example objects (scenarios/progs/*.bpf.c) by file name.
declare module 'virtual:scenarios' {
  import type { ScenarioDef } from '@bpfsim/scenario';
  export const SCENARIOS: { id: string; def: ScenarioDef }[];
  export const C_SOURCES: Record<string, string>;
}
