// What a scenario module exports: `export default scenario({ ... })`.
import { ScenarioError } from './errors';
import type { World } from './world';

export interface ScenarioDef {
  /** Short id ("single-ip"); the file name by convention. */
  name: string;
  /** One line: what the scenario teaches. */
  lesson: string;
  /** A longer explanation, shown by `bpfsim run` before the timeline. */
  about?: string;
  /** The default seed (the same seed gives the same run, byte for byte). */
  seed?: number;
  /** Virtual time after which the run stops (ms; default 60 000). */
  timeLimitMs?: number;
  run(w: World): Promise<void>;
}

/** Declares a scenario (checks its shape so a bad module fails with a clear message). */
export function scenario(def: ScenarioDef): ScenarioDef {
  if (!def || typeof def.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(def.name)) throw new ScenarioError('E_SCENARIO', `a scenario needs a name of lowercase letters, digits, dashes and underscores (got ${JSON.stringify(def?.name)})`);
  if (typeof def.lesson !== 'string' || !def.lesson) throw new ScenarioError('E_SCENARIO', `scenario ${def.name} needs a one-line lesson`);
  if (typeof def.run !== 'function') throw new ScenarioError('E_SCENARIO', `scenario ${def.name} needs a run(w) function`);
  return def;
}
