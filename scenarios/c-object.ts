// The port policy of port-policy.ts, written in C (scenarios/progs/port_policy.bpf.c),
// compiled by clang and loaded from its ELF object as libbpf would load it: the range is a
// pair of `const volatile` globals set before load, refusals are counted in a BTF-defined
// array map and in a .bss global, and both programs attach by their section names.
import * as fs from 'fs';
import * as path from 'path';
import { scenario } from '@bpfsim/scenario';

const le64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);

export default scenario({
  name: 'c-object',
  lesson: 'a policy written in C: load a clang-built ELF object, set its globals before load, read its maps after',
  about:
    'port_policy.bpf.o holds two post_bind programs (sections cgroup/post_bind4 and cgroup/post_bind6), a BTF-defined map `refusals`, the .rodata globals port_min/port_max and a .bss counter. The scenario sets the range to 8000-8099 before load (the verifier then sees constants), attaches both programs to /web, and reads the counters back from the maps: the same steps a libbpf skeleton takes.',
  async run(w) {
    const h = w.host('h');
    const c = w.host('client');
    w.link(h, c, { a: ['10.0.0.1/24', 'fd00::1/64'], b: ['10.0.0.2/24', 'fd00::2/64'] });
    h.cgroup('/web');
    const file = path.join(__dirname, 'progs', 'port_policy.bpf.o');
    const obj = w.object(h, fs.readFileSync(file), { file: 'port_policy.bpf.o', globals: { port_min: 8000, port_max: 8099 } });
    obj.program('port_range4').attach('/web');
    obj.program('port_range6').attach('/web');

    await w.process(h, { comm: 'nginx', cgroup: '/web' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await w.expectErrno(() => p.bind(s, '0.0.0.0:8100'), 'EPERM', 'port 8100 is outside the range set before load');
      p.bind(s, '0.0.0.0:8080');
      w.expect(p.getsockname(s), 'port 8080 is inside it').toBe('0.0.0.0:8080');
      const s6 = p.socket(6, 'tcp');
      await w.expectErrno(() => p.bind(s6, '[::]:443'), 'EPERM', 'post_bind6 keeps IPv6 servers in the range too');
      const u = p.socket(4, 'udp');
      await w.expectErrno(() => p.bind(u, '0.0.0.0:0'), 'EPERM', 'an ephemeral port is outside the range');
    });
    const refusals = obj.map('refusals').handle;
    w.expect(le64(refusals.lookup(0)!), 'refusals[0] (IPv4) counted two').toBe(2n);
    w.expect(le64(refusals.lookup(1)!), 'refusals[1] (IPv6) counted one').toBe(1n);
    w.expect(le64(obj.global('refused_total')), 'the .bss counter saw all three').toBe(3n);
    w.expect(le64(new Uint8Array([...obj.global('port_max'), 0, 0, 0, 0, 0, 0])), 'port_max reads back as set before load').toBe(8099n);
  },
});
