// UTF-8 without TextEncoder/TextDecoder (the core packages use no host APIs beyond ES).

export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Decodes UTF-8; malformed bytes become U+FFFD. */
export function utf8Decode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; ) {
    const x = b[i]!;
    const need = x < 0x80 ? 0 : x >= 0xf0 && x < 0xf8 ? 3 : x >= 0xe0 ? 2 : x >= 0xc0 ? 1 : -1;
    if (need === 0) {
      s += String.fromCharCode(x);
      i++;
      continue;
    }
    if (need < 0 || i + need >= b.length) {
      s += '\ufffd';
      i++;
      continue;
    }
    let c = x & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const y = b[i + k]!;
      if ((y & 0xc0) !== 0x80) ok = false;
      c = (c << 6) | (y & 0x3f);
    }
    s += ok ? String.fromCodePoint(c) : '\ufffd';
    i += ok ? need + 1 : 1;
  }
  return s;
}
