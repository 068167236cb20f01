// The playground's state in the URL, so a teacher can hand out a link: the scenario, the
// seed, the program shown and any edited programs' text, as base64url JSON in the fragment
// (`#s=...`; a fragment never reaches a server, so a static host sees the same request).

/** What a link restores. */
export interface PlaygroundState {
  scenario: string;
  seed?: number;
  /** The program shown in the editor, by name. */
  program?: string;
  /** Edited programs: name → assembly. */
  edits?: Record<string, string>;
  /** The open panel ('timeline', 'verifier', 'step', 'maps', 'about'). */
  panel?: string;
}

export class UrlStateError extends Error {
  readonly code = 'E_URL_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'UrlStateError';
  }
}

// WHATWG encoders and base64 (browsers and Node have them; the core's lib has no DOM types).
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
declare const TextDecoder: new (label?: string, opts?: { fatal?: boolean }) => { decode(b: Uint8Array): string };
declare function btoa(s: string): string;
declare function atob(s: string): string;

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new UrlStateError('the link\'s state is not base64url text');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The fragment for a state, without '#'. Keys are written in a fixed order (same state, same link). */
export function encodeState(state: PlaygroundState): string {
  const ordered: PlaygroundState = { scenario: state.scenario };
  if (state.seed !== undefined) ordered.seed = state.seed;
  if (state.program !== undefined) ordered.program = state.program;
  if (state.panel !== undefined) ordered.panel = state.panel;
  if (state.edits && Object.keys(state.edits).length) ordered.edits = Object.fromEntries(Object.keys(state.edits).sort().map((k) => [k, state.edits![k]!]));
  return `s=${toBase64Url(new TextEncoder().encode(JSON.stringify(ordered)))}`;
}

/**
 * The state in a fragment ('#s=...' or 's=...'); undefined for an empty fragment. A
 * fragment that is not ours, or is damaged, is a UrlStateError naming what is wrong.
 */
export function decodeState(fragment: string): PlaygroundState | undefined {
  const f = fragment.replace(/^#/, '');
  if (!f) return undefined;
  const m = /^s=(.*)$/.exec(f);
  if (!m) throw new UrlStateError(`the link's fragment '#${f.slice(0, 40)}' is not a playground state (#s=...)`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(m[1]!)));
  } catch (e) {
    if (e instanceof UrlStateError) throw e;
    throw new UrlStateError('the link\'s state is damaged (it does not decode to JSON); was it cut short?');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UrlStateError('the link\'s state is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.scenario !== 'string' || !v.scenario) throw new UrlStateError('the link\'s state names no scenario');
  const state: PlaygroundState = { scenario: v.scenario };
  if (v.seed !== undefined) {
    if (typeof v.seed !== 'number' || !Number.isInteger(v.seed) || v.seed < 0 || v.seed > 0xffffffff) throw new UrlStateError(`the link's seed ${JSON.stringify(v.seed)} is not an integer in 0..2^32-1`);
    state.seed = v.seed;
  }
  if (v.program !== undefined) {
    if (typeof v.program !== 'string') throw new UrlStateError('the link\'s program is not a name');
    state.program = v.program;
  }
  if (v.panel !== undefined) {
    if (typeof v.panel !== 'string') throw new UrlStateError('the link\'s panel is not a name');
    state.panel = v.panel;
  }
  if (v.edits !== undefined) {
    if (typeof v.edits !== 'object' || v.edits === null || Array.isArray(v.edits)) throw new UrlStateError('the link\'s edits are not a map of program name to text');
    const edits: Record<string, string> = {};
    for (const [k, t] of Object.entries(v.edits as Record<string, unknown>)) {
      if (typeof t !== 'string') throw new UrlStateError(`the link's edit of program '${k}' is not text`);
      edits[k] = t;
    }
    state.edits = edits;
  }
  return state;
}
