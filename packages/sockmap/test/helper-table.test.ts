// The helper table (kernel/src/helpers/func-proto.ts): each helper is one entry, prototype
// and implementation, registered by the package that owns it. What the verifier checks a
// call against is the same whether or not the layers above are installed, every helper a
// program type offers has a prototype, and on a host with the whole stack every offered
// helper runs, except those the kernel lists as prototype-only.
import { assemble, helperId, helperName } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import type { BpfFuncProto } from '@bpfsim/kernel';
import { Kernel, builtinHelpers, helper } from '@bpfsim/kernel';
import { Network, installCgroupHooks } from '@bpfsim/net';
import { installSockmap } from '../src';

function fullKernel(): Kernel {
  const net = new Network({ seed: 1 });
  const host = net.addHost('h');
  installCgroupHooks(host);
  installSockmap(host.kernel);
  return host.kernel;
}

/** Everything of a prototype but the implementation. */
const protoOf = ({ func: _func, ...proto }: BpfFuncProto): Omit<BpfFuncProto, 'func'> => proto;

describe('the helper table', () => {
  test('installing the socket layer and sockmap adds implementations, and only msg_* prototypes', () => {
    const bare = new Kernel();
    const full = fullKernel();
    const bareIds = new Set(bare.helpers.protos().map((p) => p.id));
    for (const p of bare.helpers.protos()) expect(protoOf(full.helpers.get(p.id)!)).toEqual(protoOf(p));
    const added = full.helpers
      .protos()
      .filter((p) => !bareIds.has(p.id))
      .map((p) => p.name)
      .sort();
    expect(added).toEqual(['bpf_msg_apply_bytes', 'bpf_msg_cork_bytes', 'bpf_msg_pop_data', 'bpf_msg_pull_data', 'bpf_msg_push_data', 'bpf_msg_redirect_hash', 'bpf_msg_redirect_map']);
  });

  test('the verifier gets the table of a new kernel: builtinHelpers()', () => {
    expect(new Kernel().helpers.protos().map((p) => p.id)).toEqual([...builtinHelpers()].map((p) => p.id).sort((a, b) => a - b));
  });

  test('an offered helper without a prototype is refused at load, named (ENOTSUPP)', () => {
    const k = fullKernel();
    const proto = k.progTypes.descriptors().find((d) => d.name === 'xdp')!;
    const id = helperId('snprintf')!;
    expect(proto.helpers.some((o) => o.id === id)).toBe(true);
    expect(k.helpers.get(id)).toBeUndefined();
    const r = verify(assemble(`call ${id}\nr0 = 0\nexit`).insns, { progType: 6, progTypes: k.progTypes.descriptors(), helpers: k.helpers.protos(), logLevel: 1 });
    expect(r.errno).toBe('ENOTSUPP');
    expect(r.log).toContain('bpf_snprintf#165');
  });

  test('on a host with the whole stack, the offered helpers without an implementation are the prototype-only ones', () => {
    const k = fullKernel();
    const unimplemented = new Set<string>();
    for (const d of k.progTypes.descriptors()) for (const o of d.helpers) if (k.helpers.get(o.id) && !k.helpers.get(o.id)!.func) unimplemented.add(helperName(o.id)!);
    // No socket helper stays unimplemented once the socket layer is in.
    for (const name of ['bpf_bind', 'bpf_get_socket_cookie', 'bpf_setsockopt', 'bpf_getsockopt', 'bpf_sk_lookup_tcp', 'bpf_sk_release', 'bpf_sock_map_update', 'bpf_sock_hash_update', 'bpf_sock_ops_cb_flags_set', 'bpf_msg_redirect_map']) {
      expect(unimplemented.has(name)).toBe(false);
    }
    // The VM's table has a hole exactly where an entry is prototype-only.
    for (const p of k.helpers.protos()) expect(k.helpers.funcs[p.id] === undefined).toBe(unimplemented.has(p.name) || !p.func);
    // bpf_tail_call is carried out by the engines themselves.
    expect(unimplemented.has('bpf_tail_call')).toBe(true);
  });

  test('a second prototype for a helper id is refused, naming the helper', () => {
    const k = new Kernel();
    const other = helper('get_prandom_u32', ['any'], 'integer', (run) => run.retInt(4));
    expect(() => k.helpers.register([other])).toThrow('bpf_get_prandom_u32 is already in the helper table with another prototype');
    const sameProtoOtherFunc = helper('get_prandom_u32', [], 'integer', (run) => run.retInt(4));
    expect(() => k.helpers.register([sameProtoOtherFunc])).toThrow('with another implementation');
  });
});
