// Public API of @bpfsim/kernel: a simulated host's BPF subsystem.
export { Kernel, ManualClock, KERNEL_PROFILES } from './kernel';
export type { Clock, KernelOptions, KernelProfile, TraceLine } from './kernel';
export { Process, CAP, ALL_CAPS } from './process';
export type { Capability, ProcessOptions } from './process';
export { BpfObject } from './object';
export type { ObjectKind } from './object';
export { FdTable } from './fd-table';
export { BpfFs, BPFFS_MOUNT } from './bpffs';
export { Cgroup, CgroupTree } from './cgroup/cgroup';
export { BpfMap, MapTypeRegistry } from './maps/map';
export * from './maps/map';
export { BpfProg } from './prog';
export type { ProgSpec } from './prog';
export { ProgTypeRegistry, builtinProgTypes } from './prog-types/registry';
export type { ProgTypeEntry } from './prog-types/registry';
export { bpf, fdMap, fdProg, fdObject, objName } from './syscall';
export type { CommandHandler, ProgLoadAttr, LineInfoAttr, ObjPinAttr, GetIdAttr, InfoAttr, ProgInfo, MapInfoOut, TestRunAttr } from './syscall';
export type { HelperKernel } from './helpers/run-ctx';
export { RunCtx, TraceRunCtx, runCtxOf } from './helpers/run-ctx';
export { HelperTable, helper, protoOnly, implement } from './helpers/func-proto';
export type { BpfFuncProto, ProtoFlags } from './helpers/func-proto';
export { builtinHelpers } from './helpers/builtin';
export { SOCK_HELPER_PROTOS } from './helpers/proto-only';
export { KernelEmitter } from './events';
export type { KernelEvents, KernelEventName, KernelEventSink } from './events';
export { formatPrintk, mapArg, memArg } from './helpers/generic';
export { sha1 } from './sha1';
export { Rng } from './rng';
export { BpfLink, fdLink, linkCreate, linkUpdate, linkDetach } from './link';
export type { LinkInfo, LinkCreateAttr, LinkUpdateAttr, LinkCreator } from './link';
export { CgroupFile, CGROUP2_MOUNT, openCgroup, fdCgroup, removeCgroup } from './cgroup/cgroup-file';
export { CgroupLink } from './cgroup/cgroup-link';
export {
  BPF_F_ALLOW_OVERRIDE,
  BPF_F_ALLOW_MULTI,
  BPF_F_REPLACE,
  BPF_F_BEFORE,
  BPF_F_AFTER,
  BPF_F_ID,
  BPF_F_PREORDER,
  BPF_F_LINK,
  BPF_F_QUERY_EFFECTIVE,
  BPF_CGROUP_MAX_PROGS,
  CGROUP_ATTACH_TYPES,
  cgroupBpfEnabled,
  computeEffective,
  effectivePrograms,
} from './cgroup/attach';
export type { ProgQueryAttr, ProgListEntry } from './cgroup/attach';
export { attachTypeToProgType, checkAttachType, isCgroupProgType, progAttach, progDetach, progQuery, registerAttachTarget } from './cgroup/commands';
export type { AttachTarget, ProgAttachAttr } from './cgroup/commands';
export { runCgroupHook, runCgroupSkb, onHookRun, NET_XMIT_SUCCESS, NET_XMIT_DROP, NET_XMIT_CN } from './cgroup/runner';
export type { HookRunEvent, HookListener, CgroupHookOptions, CgroupHookResult, CgRunCtx } from './cgroup/runner';
export { BASE_HELPERS, SK_BASE_HELPERS, BASE_HELPER_OFFERS, SK_BASE_HELPER_OFFERS, offers } from './prog-types/base-helpers';
export type { NamedOffer } from './prog-types/base-helpers';
export { SOCKET_FILTER, SOCKET_FILTER_ENTRY, SK_BUFF_FILTER_FIELDS, SK_FILTER_HELPERS } from './prog-types/socket-filter';
export { XDP, XDP_ENTRY } from './prog-types/xdp';
export { CGROUP_SKB, SK_BUFF_CG_FIELDS } from './prog-types/cgroup-skb';
export { CGROUP_SOCK, BPF_SOCK_FIELDS } from './prog-types/cgroup-sock';
export {
  registerBuiltinMaps,
  ArrayMap,
  HashMap,
  BpfLru,
  ProgArrayMap,
  PerfEvent,
  PerfEventArrayMap,
  BPF_F_CURRENT_CPU,
  ArrayOfMapsMap,
  HashOfMapsMap,
  InnerMapMeta,
  QueueStackMap,
  RingbufMap,
  BPF_RB_NO_WAKEUP,
  BPF_RB_FORCE_WAKEUP,
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
  BloomFilterMap,
  jhash,
  MAP_MEMORY_LIMIT,
  mapFdMode,
} from './maps/index';
export type { LruListName, ProgArrayOwner, PerfSample, RingbufRecord, MapCreateCmdAttr, MapElemAttr, MapFreezeAttr, BuiltinMapTypeOps, MapAllocContext } from './maps/index';
export { BpfClient, MapHandle, ProgHandle, ProgLoadRefused, attachTypeNumber, readLE } from './api';
export type { MapDatum, MapSpecInput, ProgramInput } from './api';
export { RAW_TRACEPOINT, RAW_TP_MAX_ARGS } from './prog-types/raw-tracepoint';
export { anyTracepointProbes, TRACEPOINTS, Tracepoint, findTracepoint, tracepoints, fireTracepoint, onTraceRun, recursionMisses } from './tracing/tracepoints';
export type { TracepointDef, TraceRunEvent, TracepointProbe } from './tracing/tracepoints';
export { RawTpLink, BPF_LINK_TYPE_RAW_TRACEPOINT, rawTracepointOpen, rawTpLinkAttach, testRunRawTp } from './tracing/raw-tp';
export type { RawTracepointOpenAttr } from './tracing/raw-tp';
export { packetTestRun } from './prog-types/test-run';
export type { TestRunner } from './prog-types/test-run';
export { StackTraceMap, BPF_F_STACK_BUILD_ID, BPF_F_USER_STACK, BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID, BPF_F_USER_BUILD_ID, BPF_F_SKIP_FIELD_MASK, BPF_STACK_BUILD_ID_EMPTY, BPF_STACK_BUILD_ID_VALID, BPF_STACK_BUILD_ID_IP, PERF_EVENT_MAX_STACK } from './maps/stack-map';
export { MemoryMap, PAGE_SIZE, ipOf, symbolize } from './tracing/mm';
export type { SimBinary, SimSymbol, Vma } from './tracing/mm';
export { KERNEL_TEXT, kernelAddress, kernelStack, kernelSymbolize } from './tracing/kallsyms';
export type { KernelFunction } from './tracing/kallsyms';
export { readBuildId, readFunctionSymbols, binaryFromElf, writeElf } from './tracing/elf';
export type { ElfSpec } from './tracing/elf';
export {
  ElfFile,
  ElfError,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ET_REL,
  ET_EXEC,
  EM_X86_64,
  EM_BPF,
  SHT,
  SHF_WRITE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_MERGE,
  SHF_STRINGS,
  PT,
  PF_X,
  PF_W,
  PF_R,
  STB,
  STT,
  STV,
  SHN_UNDEF,
  SHN_LORESERVE,
  SHN_ABS,
  SHN_COMMON,
  SHN_XINDEX,
  NT_GNU_BUILD_ID,
} from './elf';
export type { ElfErrorCode, ElfSection, ElfSegment, ElfSymbol, ElfReloc, ElfRelocSection, ElfNote } from './elf';
export { KERNEL_STRUCTS, StructWriter, kernelObject, releaseKernelObject } from './tracing/kobjects';
export type { KernelStruct, StructLayout, FieldLayout, FieldValue } from './tracing/kobjects';
export type { FdSource, FdValueMap } from './maps/fd-array';
export { CGROUP_SOCK_ADDR, CGROUP_SOCK_ADDR_ENTRY, BPF_SOCK_ADDR_FIELDS, SOCK_ADDR_ATTACH_TYPES } from './prog-types/cgroup-sock-addr';
export { SOCK_OPS, SOCK_OPS_ENTRY, BPF_SOCK_OPS_CB, BPF_SOCK_OPS_FIELDS, BPF_SOCK_OPS_SIZE } from './prog-types/sock-ops';
