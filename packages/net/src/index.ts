// Public API of @bpfsim/net: the simulated network stack.
export { Simulation, NS, US, MS, SEC } from './sim/simulation';
export type { SimulationOptions, StopReason, Timer } from './sim/simulation';
export { EventQueue } from './sim/event-queue';
export type { ScheduledEvent } from './sim/event-queue';
export { Rng } from './sim/rng';
