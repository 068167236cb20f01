// Process entry of the bundled `bpfsim` binary (and of `bpfsim sweep`'s worker threads).
import { runCli } from './main';
import { isSweepWorker, sweepWorkerMain } from './sweep-worker';

if (isSweepWorker()) sweepWorkerMain();
else main();

function main(): void {
  // A reader that stops early (`bpfsim ... | head`) closes the pipe: that ends the output,
  // it is not an error (as for coreutils under SIGPIPE).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }

  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bpfsim: internal error: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
