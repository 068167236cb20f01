// Public API of @bpfsim/cli: run the command in-process (tests, other tools).
export { runCli, buildProgram, EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INTERNAL } from './main';
export type { Io } from './io';
export { UsageError } from './io';
