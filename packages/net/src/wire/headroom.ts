// Headroom (as an skb's): a builder that knows the layers below will wrap what it built
// allocates their headers' room in front of it, in the same buffer, and offers it; the next
// layer down claims that room and writes its header there instead of allocating a new
// buffer and copying the bytes under it. Only the buffer last offered can be claimed, once:
// anything else (a datagram from elsewhere, a second wrap of the same bytes) is copied as
// before. The bytes on the wire are the same either way.

let offered: Uint8Array | undefined;

/** `b` (just built, in a buffer no one else writes) has free bytes before it in its buffer
 * that the next layer may claim. Returns `b`. */
export function offerHeadroom(b: Uint8Array): Uint8Array {
  offered = b;
  return b;
}

/** The view of `b` grown by `n` bytes in front, when `b` is the view last offered and its
 * buffer has that room; else undefined (the caller copies). */
export function claimHeadroom(b: Uint8Array, n: number): Uint8Array | undefined {
  if (b !== offered) return undefined;
  offered = undefined;
  const at = b.byteOffset;
  if (at < n) return undefined;
  return new Uint8Array(b.buffer, at - n, b.length + n);
}
