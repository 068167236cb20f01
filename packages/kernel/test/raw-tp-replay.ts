// Runs one raw tracepoint case in bpfsim through bpf(), as probe_raw_tp.py runs it in Linux,
// and answers in the same form.
import { BPF_CMD, SysError, decode, parseHexBytes } from '@bpfsim/isa';
import { Kernel, bpf, fireTracepoint } from '../src';
import type { RawTpCase, RawTpResult } from './raw-tp-cases';

const RAW_TP = 17;

function errnoOf(e: unknown): string {
  if (e instanceof SysError) return e.code;
  throw e;
}

export function replayRawTp(c: RawTpCase): RawTpResult {
  const k = new Kernel();
  const p = k.spawn({ comm: 'probe' });
  const load = (insns: string, progType = RAW_TP, attachType = 0, fdArray?: number[]): number =>
    bpf(k, p, BPF_CMD.BPF_PROG_LOAD, {
      prog_type: progType,
      insns: decode(parseHexBytes(insns)),
      license: 'GPL',
      expected_attach_type: attachType,
      ...(fdArray ? { fd_array: fdArray } : {}),
      log_level: 1,
      log_size: 1 << 20,
    });
  const open = (progFd: number, name: string | null): number => bpf(k, p, BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, { name, prog_fd: progFd });
  switch (c.kind) {
    case 'helper': {
      const insns = `85000000${Buffer.from(new Int32Array([c.helper]).buffer).toString('hex')}b7000000000000009500000000000000`;
      const attr = { prog_type: RAW_TP, insns: decode(parseHexBytes(insns)), license: 'GPL', log_level: 1, log_size: 1 << 20, log_buf: '' };
      try {
        bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr);
        return 'offered';
      } catch (e) {
        errnoOf(e);
        return /cannot use helper|invalid func/.test(attr.log_buf) ? 'refused' : 'offered';
      }
    }
    case 'openBadFd':
      try {
        return open(9999, c.name) >= 0 ? 'ok' : 'unreachable';
      } catch (e) {
        return errnoOf(e);
      }
    case 'load':
      try {
        load(c.insns);
        return 'ok';
      } catch (e) {
        return errnoOf(e);
      }
    default:
  }
  let mapFd: number | undefined;
  if (c.kind === 'lifecycle') mapFd = bpf(k, p, BPF_CMD.BPF_MAP_CREATE, { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 });
  let fd: number;
  try {
    fd = c.kind === 'openProg' ? load(c.insns, c.progType, c.attachType) : load(c.insns, RAW_TP, 0, mapFd !== undefined ? [mapFd] : undefined);
  } catch (e) {
    return `load:${errnoOf(e)}`;
  }
  try {
    switch (c.kind) {
      case 'open':
      case 'openProg': {
        const link = open(fd, c.name);
        p.fds.close(link);
        return 'ok';
      }
      case 'testRun': {
        const attr: { prog_fd: number; ctx_in?: Uint8Array; data_in?: Uint8Array; repeat?: number; ctx_out?: Uint8Array; retval?: number } = { prog_fd: fd };
        if (c.ctxIn) attr.ctx_in = parseHexBytes(c.ctxIn);
        if (c.dataIn) attr.data_in = new Uint8Array(64);
        if (c.repeat) attr.repeat = c.repeat;
        if (c.ctxOut) attr.ctx_out = new Uint8Array(c.ctxOut);
        bpf(k, p, BPF_CMD.BPF_PROG_TEST_RUN, attr);
        return { retval: attr.retval! };
      }
      case 'linkCreate': {
        const link = bpf(k, p, BPF_CMD.BPF_LINK_CREATE, { prog_fd: fd, target_fd: 0, attach_type: c.attachType });
        p.fds.close(link);
        return 'ok';
      }
      case 'lifecycle': {
        const count = (): bigint => {
          const value = new Uint8Array(8);
          bpf(k, p, BPF_CMD.BPF_MAP_LOOKUP_ELEM, { map_fd: mapFd!, key: new Uint8Array(4), value });
          return new DataView(value.buffer).getBigUint64(0, true);
        };
        const syscalls = (): void => {
          for (let i = 0; i < 50; i++) fireTracepoint(k, 'sys_enter', [0, 110], p);
        };
        const link = open(fd, c.name);
        const before = count();
        syscalls();
        const during = count();
        p.fds.close(link);
        const afterClose = count();
        syscalls();
        return { whileOpen: during > before, afterClose: count() > afterClose };
      }
    }
  } catch (e) {
    return errnoOf(e);
  }
}
