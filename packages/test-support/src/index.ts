// Test-only helpers shared by the packages' tests (Node APIs allowed: never bundled).
export { conformanceDir, dataFiles } from './conformance';
export { SCRIPTS, kernelUnavailable, probe } from './kernel-probe';
