// Value → name lookups (uapiName, uapiShortName, errnoName in src/uapi.ts and src/errno.ts):
// every number of a table finds its name, aliases give the name listed first, numbers the
// table lacks give undefined, and the short names are what bpftool prints.
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_MAP_TYPE, BPF_PROG_TYPE, ERRNO, errnoName, uapiName, uapiShortName } from '../src';

describe('uapiName', () => {
  test('every value of a table maps back to its first name', () => {
    for (const table of [BPF_CMD, BPF_PROG_TYPE, BPF_ATTACH_TYPE, BPF_MAP_TYPE, ERRNO] as Record<string, number>[]) {
      const first = new Map<number, string>();
      for (const [k, v] of Object.entries(table)) if (!first.has(v)) first.set(v, k);
      for (const v of Object.values(table)) expect(uapiName(table, v)).toBe(first.get(v));
    }
  });

  test('an alias gives the name listed first; an unknown number gives undefined', () => {
    expect(uapiName(BPF_CMD, 10)).toBe('BPF_PROG_RUN');
    expect(uapiName(BPF_CMD, 9999)).toBeUndefined();
    expect(uapiName({ A: 1, B: 2, C: 1 }, 1)).toBe('A');
    expect(uapiName({ A: 1, B: 2, C: 1 }, 2)).toBe('B');
  });

  test('errnoName is uapiName over ERRNO', () => {
    expect(errnoName(98)).toBe('EADDRINUSE');
    expect(errnoName(ERRNO.ENOTSUPP)).toBe('ENOTSUPP');
    expect(errnoName(0)).toBeUndefined();
  });

  test('uapiShortName: the name without its prefix, lower case, as bpftool prints it', () => {
    expect(uapiShortName(BPF_PROG_TYPE, 'BPF_PROG_TYPE_', BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR)).toBe('cgroup_sock_addr');
    expect(uapiShortName(BPF_ATTACH_TYPE, 'BPF_', BPF_ATTACH_TYPE.BPF_CGROUP_INET4_CONNECT)).toBe('cgroup_inet4_connect');
    expect(uapiShortName(BPF_MAP_TYPE, 'BPF_MAP_TYPE_', BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKHASH)).toBe('sockhash');
    expect(uapiShortName(BPF_MAP_TYPE, 'BPF_MAP_TYPE_', 9999)).toBeUndefined();
  });
});
