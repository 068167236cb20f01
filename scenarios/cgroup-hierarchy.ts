// cgroup v2 program inheritance: a program on a parent cgroup applies to its children;
// BPF_F_ALLOW_MULTI lets parent and child programs both run (the child's first, so the
// parent has the last word on a rewrite and any refusal wins); BPF_F_ALLOW_OVERRIDE lets
// a child's own program replace the parent's; with no flag the parent's program is final.
import { scenario } from '@bpfsim/scenario';

/** connect4: user_port = htons(port) when it is htons(from). */
const rewrite = (from: number, to: number): string => `
  r2 = *(u32 *)(r1 + 24)
  if r2 != ${((from & 0xff) << 8) | (from >> 8)} goto out
  r2 = ${((to & 0xff) << 8) | (to >> 8)}
  *(u32 *)(r1 + 24) = r2
out:
  r0 = 1
  exit`;

/** connect4: refuse :80. */
const REFUSE_80 = `
  r2 = *(u32 *)(r1 + 24)
  r0 = 0
  if r2 == 0x5000 goto out     // htons(80)
  r0 = 1
out:
  exit`;

export default scenario({
  name: 'cgroup-hierarchy',
  lesson: 'parent and child cgroups: inheritance, ALLOW_MULTI order, ALLOW_OVERRIDE, and a parent that forbids children',
  about: 'Three subtrees under /org: /org/multi (MULTI: the child rewrites :80 to :81, the parent :81 to :82 — both run, child first), /org/over (OVERRIDE: the child’s program replaces the parent’s refusal), /org/strict (no flag: the parent refuses :80 and the child cannot attach anything).',
  async run(w) {
    const h = w.host('h');
    const srv = w.host('srv');
    w.link(h, srv, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'] });
    for (const p of ['/org/multi/app', '/org/over/app', '/org/strict/app']) h.cgroup(p);
    w.program(h, { name: 'parent_81_82', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: rewrite(81, 82) }).attach('/org/multi', 'multi');
    w.program(h, { name: 'child_80_81', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: rewrite(80, 81) }).attach('/org/multi/app', 'multi');
    w.program(h, { name: 'parent_refuse', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: 'r0 = 0\nexit' }).attach('/org/over', 'override');
    w.program(h, { name: 'child_allow', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: 'r0 = 1\nexit' }).attach('/org/over/app', 'override');
    w.program(h, { name: 'strict_no_80', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: REFUSE_80 }).attach('/org/strict');
    await w.expectErrno(() => w.program(h, { name: 'child_try', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: 'r0 = 1\nexit' }).attach('/org/strict/app'), 'EPERM', 'a child of a parent attached without flags cannot attach');

    void w.process(srv, { comm: 'srv' }, async (p) => {
      for (const port of [80, 81, 82]) {
        const l = p.socket(4, 'tcp');
        p.bind(l, `0.0.0.0:${port}`);
        p.listen(l);
      }
      await p.sleep(10_000);
    });
    await w.sleep(1);
    await w.process(h, { comm: 'multi', cgroup: '/org/multi/app' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await p.connect(s, '10.0.0.2:80');
      w.expect(p.getpeername(s), 'MULTI: the child ran first (80 → 81), then the parent (81 → 82)').toBe('10.0.0.2:82');
    });
    await w.process(h, { comm: 'over', cgroup: '/org/over/app' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await p.connect(s, '10.0.0.2:80');
      w.expect(p.getpeername(s), 'OVERRIDE: the child’s program replaced the parent’s refusal').toBe('10.0.0.2:80');
    });
    await w.process(h, { comm: 'strict', cgroup: '/org/strict/app' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await w.expectErrno(p.connect(s, '10.0.0.2:80'), 'EPERM', 'no flag: the parent’s program applies to the child, final');
      const t = p.socket(4, 'tcp');
      await p.connect(t, '10.0.0.2:81');
      w.expect(p.getpeername(t), 'other ports pass').toBe('10.0.0.2:81');
    });
  },
});
