// The CLI's contact with the outside world, injected so commands run in tests without a
// process: files, standard streams and colours.
import * as fs from 'node:fs';

export interface Io {
  readFile(path: string): Uint8Array;
  readStdin(): Uint8Array;
  writeFile(path: string, data: Uint8Array | string): void;
  stdout(text: string): void;
  stdoutBytes(bytes: Uint8Array): void;
  stderr(text: string): void;
}

/** A usage or input problem: printed as one line `PLACE: message` (PLACE defaults to bpfsim), exit status 2. */
export class UsageError extends Error {
  readonly code = 'ERR_BPFSIM_USAGE';
  constructor(
    message: string,
    readonly place?: string,
  ) {
    super(message);
  }
}

export const nodeIo: Io = {
  readFile: (path) => fs.readFileSync(path),
  readStdin: () => fs.readFileSync(0),
  writeFile: (path, data) => fs.writeFileSync(path, data),
  stdout: (text) => void process.stdout.write(text),
  stdoutBytes: (bytes) => void process.stdout.write(bytes),
  stderr: (text) => void process.stderr.write(text),
};

/** Reads FILE, or standard input for `-`; a missing file is a UsageError naming it. */
export function readInput(io: Io, file: string): Uint8Array {
  if (file === '-') return io.readStdin();
  try {
    return io.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new UsageError(`cannot read '${file}': ${why}`);
  }
}

/** The name errors use for FILE (`<stdin>` for `-`). */
export const displayName = (file: string): string => (file === '-' ? '<stdin>' : file);

export const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
