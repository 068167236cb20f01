// Public API of @bpfsim/net: the simulated network stack.
export { Simulation, NS, US, MS, SEC } from './sim/simulation';
export type { SimulationOptions, StopReason, Timer } from './sim/simulation';
export { EventQueue } from './sim/event-queue';
export type { ScheduledEvent } from './sim/event-queue';
export { Rng } from './sim/rng';
export * from './wire/addr';
export * from './wire/checksum';
export * from './wire/ethernet';
export * from './wire/arp';
export * from './wire/ipv4';
export * from './wire/ipv6';
export * from './wire/udp';
export * from './wire/tcp';
export * from './wire/icmp';
export * from './wire/pcapng';
