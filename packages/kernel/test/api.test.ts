// The friendly API: handles over the same bpf() paths, so the same errors.
import { SysError } from '@bpfsim/isa';
import { BpfClient, Kernel, readLE } from '../src';

const COUNTER = `
.map counts type=hash key_size=4 value_size=8 max_entries=16
  *(u32 *)(r10 - 4) = 7
  r2 = r10
  r2 += -4
  r1 = counts ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
out:
  r0 = 2
  exit
`;

describe('BpfClient', () => {
  test('maps: create, update with numbers, lookup, iterate, flags, delete', () => {
    const k = new Kernel();
    const c = new BpfClient(k, k.spawn());
    const m = c.createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'counts' });
    m.update(1, 100n);
    m.update(2, 200);
    expect(readLE(m.lookup(1)!)).toBe(100n);
    expect(m.lookup(3)).toBeUndefined();
    expect(() => m.update(1, 5, 'noexist')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => m.update(9, 5, 'exist')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect([...m.keys()].map((key) => Number(readLE(key))).sort()).toEqual([1, 2]);
    m.delete(1);
    expect([...m.entries()].map(([key, v]) => [Number(readLE(key)), Number(readLE(v))])).toEqual([[2, 200]]);
    expect(() => c.createMap({ type: 'nosuch', keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/unknown map type 'nosuch'/);
  });
  test('programs: load assembly with named maps, test-run it, see the map change', () => {
    const k = new Kernel();
    const c = new BpfClient(k, k.spawn());
    const counts = c.createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 });
    counts.update(7, 0);
    const p = c.loadProgram({ type: 'xdp', insns: COUNTER, maps: { counts }, logLevel: 1 });
    expect(p.log).toContain('processed');
    for (let i = 0; i < 3; i++) expect(p.testRun(new Uint8Array(64)).retval).toBe(2);
    expect(readLE(counts.lookup(7)!)).toBe(3n);
    expect(() => c.loadProgram({ type: 'xdp', insns: COUNTER })).toThrow(/declares map 'counts'/);
    expect(() => c.loadProgram({ type: 'xdp', insns: 'exit' })).toThrow(SysError);
  });
  test('programs attach to cgroups by path and detach', () => {
    const k = new Kernel();
    k.cgroups.create('/app');
    const c = new BpfClient(k, k.spawn());
    const p = c.loadProgram({ type: 'cgroup_skb', attachType: 'cgroup_inet_ingress', insns: 'r0 = 1\nexit' });
    p.attach('/app', 'cgroup_inet_ingress');
    expect(() => p.attach('/nope', 'cgroup_inet_ingress')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    p.detach('/app', 'cgroup_inet_ingress');
    const linkFd = p.link('/app', 'cgroup_inet_ingress');
    expect(linkFd).toBeGreaterThan(2);
  });
});
