// An in-memory Io for running the CLI in tests.
import type { Io } from '../src';

export class MemoryIo implements Io {
  files = new Map<string, Uint8Array>();
  stdin: Uint8Array = new Uint8Array();
  out = '';
  outBytes: number[] = [];
  err = '';

  constructor(files: Record<string, string | Uint8Array> = {}) {
    for (const [k, v] of Object.entries(files)) this.files.set(k, typeof v === 'string' ? new TextEncoder().encode(v) : v);
  }
  readFile(path: string): Uint8Array {
    const f = this.files.get(path);
    if (!f) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return f;
  }
  readStdin(): Uint8Array {
    return this.stdin;
  }
  writeFile(path: string, data: Uint8Array | string): void {
    this.files.set(path, typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }
  stdout(text: string): void {
    this.out += text;
  }
  stdoutBytes(bytes: Uint8Array): void {
    this.outBytes.push(...bytes);
  }
  stderr(text: string): void {
    this.err += text;
  }
}
