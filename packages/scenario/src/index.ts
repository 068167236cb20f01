// @bpfsim/scenario: scripted scenarios over the simulated stack (see scenarios/README.md).
export { scenario } from './scenario';
export type { ScenarioDef } from './scenario';
export { World, WorldHost, WorldProgram, WorldObject, Proc, Expectation, sockaddr, BUILTIN_METRICS } from './world';
export type { LinkOptions, MapSpec, ProgramRecord, ProgramSpec, SockName, WaitOpts, WorldMap, WorldProgramOptions } from './world';
// The socket uapi's names (SOL_SOCKET, SO_*, IPPROTO_*, TCP_*, IP_*, IPV6_*, MSG_*), for setsockopt and flags.
export { AF, SOCK, IPPROTO, SOL, SO, IP, IPV6, TCP, MSG, SHUT } from '@bpfsim/isa';
export { runScenario } from './runner';
export type { MapDump, RunOptions, RunResult } from './runner';
export { formatEvent, fmtTime } from './timeline';
export type { TimelineEvent, TraceLevel, SyscallEvent, HookTimelineEvent, MsgTimelineEvent, PacketTimelineEvent, TcpStateEvent, ExpectEvent, NoteEvent } from './timeline';
export { ScenarioError, ExpectationFailed } from './errors';
export { summarizeFrame } from './packets';
export { renderSvg } from './svg';
export type { SvgLink } from './svg';
