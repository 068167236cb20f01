// The playground's link format: a state survives the round trip byte for byte, the same
// state gives the same link, and a damaged or foreign fragment is a clear UrlStateError.
import fc from 'fast-check';
import { UrlStateError, decodeState, encodeState } from '../src/core';
import type { PlaygroundState } from '../src/core';

test('a state round-trips, with unicode and long programs', () => {
  const s: PlaygroundState = { scenario: 'single-ip', seed: 7, program: 'pin_bind', panel: 'step', edits: { pin_bind: 'r0 = 1 // ✓ café\nexit\n'.repeat(200) } };
  const frag = encodeState(s);
  expect(frag).toMatch(/^s=[A-Za-z0-9_-]+$/);
  expect(decodeState(`#${frag}`)).toEqual(s);
  expect(decodeState(frag)).toEqual(s);
});

test('property: any state round-trips, and the link does not depend on key order', () => {
  const state = fc.record(
    {
      scenario: fc.string({ minLength: 1 }),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
      program: fc.string(),
      panel: fc.constantFrom('timeline', 'verifier', 'step', 'maps', 'about'),
      edits: fc.dictionary(fc.string({ minLength: 1 }), fc.string({ unit: 'binary' })),
    },
    { requiredKeys: ['scenario'] },
  );
  fc.assert(
    fc.property(state, (s) => {
      const back = decodeState(encodeState(s))!;
      const norm = { ...s, ...(s.edits && !Object.keys(s.edits).length ? { edits: undefined } : {}) };
      expect(back).toEqual(JSON.parse(JSON.stringify(norm)));
      const reversed = Object.fromEntries(Object.entries(s).reverse()) as unknown as PlaygroundState;
      if (s.edits) reversed.edits = Object.fromEntries(Object.entries(s.edits).reverse());
      expect(encodeState(reversed)).toBe(encodeState(s));
    }),
    { seed: 42, numRuns: 300 },
  );
});

test('an empty fragment is no state', () => {
  expect(decodeState('')).toBeUndefined();
  expect(decodeState('#')).toBeUndefined();
});

test.each([
  ['#foo', /is not a playground state/],
  ['#s=%%%', /not base64url/],
  ['#s=AAAA', /damaged/],
  [`#s=${Buffer.from('[1]').toString('base64url')}`, /not an object/],
  [`#s=${Buffer.from('{"seed":1}').toString('base64url')}`, /names no scenario/],
  [`#s=${Buffer.from('{"scenario":"x","seed":-1}').toString('base64url')}`, /seed -1 is not an integer/],
  [`#s=${Buffer.from('{"scenario":"x","edits":{"p":3}}').toString('base64url')}`, /edit of program 'p' is not text/],
  [`#s=${Buffer.from('{"scenario":"x","edits":[]}').toString('base64url')}`, /edits are not a map/],
])('%s is refused: %s', (frag, why) => {
  expect(() => decodeState(frag)).toThrow(UrlStateError);
  expect(() => decodeState(frag)).toThrow(why);
});

test('a link cut short says it is damaged', () => {
  const frag = encodeState({ scenario: 'single-ip', edits: { a: 'r0 = 0\nexit\n' } });
  expect(() => decodeState(frag.slice(0, frag.length - 7))).toThrow(/damaged|not base64url/);
});
