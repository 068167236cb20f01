// "Who connects where": a raw tracepoint program on raw_syscalls:sys_enter catches every
// connect(2), and records, per cgroup, the user call stack of the caller in a stack map with
// BPF_F_STACK_BUILD_ID — each frame a build id and a file offset, which a symbolizer in user
// space turns back into function names (as perf and bcc's profile do) without the binaries
// having to be on the tracing host. One binary's build-id page is not in the page cache: its
// frames come back as raw IPs, as Linux gives them.
import { scenario } from '@bpfsim/scenario';

const STACK_DEPTH = 8;
const FRAME = 32; // struct bpf_stack_build_id: status, build_id[20], offset | ip

/** On sys_enter for connect (42): counts[{cgroup id, stack id}] += 1. */
const TRACE = `
  r6 = r1
  r2 = *(u64 *)(r6 + 8)        // args[1]: the syscall number
  if r2 != 42 goto out         // connect
  call bpf_get_current_cgroup_id
  *(u64 *)(r10 - 16) = r0
  r1 = r6
  r2 = stacks ll
  r3 = 0x100                   // BPF_F_USER_STACK
  call bpf_get_stackid
  if r0 s< 0 goto out
  *(u64 *)(r10 - 8) = r0
  r1 = counts ll
  r2 = r10
  r2 += -16
  call bpf_map_lookup_elem
  if r0 == 0 goto first
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  goto out
first:
  r1 = 1
  *(u64 *)(r10 - 24) = r1
  r1 = counts ll
  r2 = r10
  r2 += -16
  r3 = r10
  r3 += -24
  r4 = 0
  call bpf_map_update_elem
out:
  r0 = 0
  exit`;

export default scenario({
  name: 'who-connects-where',
  lesson: 'raw tracepoint + build-id stack map: which code in which cgroup makes each connect',
  about: 'Two services on one host, in cgroups /web and /batch, connect to a database and to object storage. A raw_tracepoint program on sys_enter records (cgroup, user stack) for every connect(2) into a BPF_F_STACK_BUILD_ID stack map; the report symbolizes each frame from its build id and offset. The batch binary\'s build-id page is not resident, so its frames are raw IPs.',
  async run(w) {
    const app = w.host('app');
    const db = w.host('db');
    w.link(app, db, { a: ['10.0.0.1/24'], b: ['10.0.0.5/24', '10.0.0.6/24'] });
    app.cgroup('/web');
    app.cgroup('/batch');
    const web = w.binary('/usr/bin/web-api', ['main', 'serve', 'handle_request', 'load_user', 'db_connect']);
    const batch = w.binary('/usr/bin/exporter', ['main', 'run_job', 'upload'], { noteResident: false });

    const stacks = w.map(app, 'stacks', { type: 'stack_trace', keySize: 4, valueSize: STACK_DEPTH * FRAME, maxEntries: 64, flags: 0x20 }); // BPF_F_STACK_BUILD_ID
    const counts = w.map(app, 'counts', { type: 'hash', keySize: 16, valueSize: 8, maxEntries: 64 });
    w.program(app, { name: 'who_connects', type: 'raw_tracepoint', asm: TRACE, maps: { stacks, counts } }).attachRawTracepoint('sys_enter');

    for (const [addr, port] of [['0.0.0.0', 5432], ['0.0.0.0', 443]] as const) {
      void w.process(db, { comm: `srv${port}` }, async (p) => {
        const l = p.socket(4, 'tcp');
        p.bind(l, `${addr}:${port}`);
        p.listen(l);
        for (;;) p.close(await p.accept(l));
      });
    }
    await w.sleep(1);
    await w.process(app, { comm: 'web-api', cgroup: '/web', exe: web }, async (p) => {
      for (let i = 0; i < 3; i++) {
        await p.frames(['main', 'serve', 'handle_request', 'load_user', 'db_connect'], async () => {
          const s = p.socket(4, 'tcp');
          await p.connect(s, '10.0.0.5:5432');
          p.close(s);
        });
      }
    });
    await w.process(app, { comm: 'exporter', cgroup: '/batch', exe: batch }, async (p) => {
      await p.frames(['main', 'run_job', 'upload'], async () => {
        const s = p.socket(4, 'tcp');
        await p.connect(s, '10.0.0.6:443');
        p.close(s);
      });
    });

    // The report: per (cgroup, stack), the count and the symbolized frames.
    const cgName = new Map<bigint, string>(['/web', '/batch'].map((n) => [BigInt(app.host.kernel.cgroups.lookup(n)!.id), n]));
    const report = new Map<string, { count: number; frames: string[] }>();
    for (const [k, v] of counts.handle.entries()) {
      const kv = new DataView(k.buffer, k.byteOffset, 16);
      const cg = cgName.get(kv.getBigUint64(0, true)) ?? '?';
      const stack = stacks.handle.lookup(Number(kv.getBigUint64(8, true)))!;
      const frames: string[] = [];
      for (let i = 0; i < STACK_DEPTH; i++) {
        const f = new DataView(stack.buffer, stack.byteOffset + i * FRAME, FRAME);
        const status = f.getInt32(0, true);
        const off = f.getBigUint64(24, true);
        if (status === 1) frames.push(w.symbolize(stack.subarray(i * FRAME + 4, i * FRAME + 24), off) ?? `?+0x${off.toString(16)}`);
        else if (status === 2) frames.push(`ip 0x${off.toString(16)}`);
      }
      report.set(cg, { count: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)), frames });
      w.note(`${cg}: ${report.get(cg)!.count} connect(s) from ${frames.join(' <- ')}`);
    }
    w.expect(report.get('/web')?.count, 'the web service connected three times, from one stack').toBe(3);
    w.expect(report.get('/web')?.frames, 'its frames symbolize from build id + offset, innermost first').toEqual(['db_connect+0x10', 'load_user+0x10', 'handle_request+0x10', 'serve+0x10', 'main+0x10']);
    w.expect(report.get('/batch')?.count, 'the exporter connected once').toBe(1);
    w.expect(report.get('/batch')?.frames.every((f) => f.startsWith('ip 0x5555')), 'its build-id page is not resident: raw IPs (BPF_STACK_BUILD_ID_IP)').toBe(true);
  },
});
