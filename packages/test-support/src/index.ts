// Helpers shared by the packages' tests (Node APIs allowed), and the live-kernel probe runner
// that @bpfsim/selfcheck (bpfsim selfcheck) also uses.
export { conformanceDir, dataFiles } from './conformance';
export { SCRIPTS, kernelUnavailable, probe } from './kernel-probe';
