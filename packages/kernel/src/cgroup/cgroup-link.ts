// BPF_LINK_TYPE_CGROUP (struct bpf_cgroup_link, bpf_cgroup_link_lops): a program attached to
// a cgroup in ALLOW_MULTI mode for as long as the link lives. Closing the last fd (and pin)
// detaches it; BPF_LINK_DETACH detaches it early (the link object stays, with no cgroup);
// BPF_LINK_UPDATE swaps its program in place.
import { BPF_LINK_TYPE, SysError } from '@bpfsim/isa';
import type { Kernel } from '../kernel';
import { BpfLink } from '../link';
import type { BpfProg } from '../prog';
import type { CgroupBpfLink } from './attach';
import { cgroupBpfDetach, cgroupBpfReplace } from './attach';
import type { Cgroup } from './cgroup';

export class CgroupLink extends BpfLink implements CgroupBpfLink {
  constructor(
    kernel: Kernel,
    prog: BpfProg,
    attachType: number,
    public cgroup: Cgroup | null,
  ) {
    super(kernel, BPF_LINK_TYPE.BPF_LINK_TYPE_CGROUP, prog, attachType);
  }

  /** bpf_cgroup_link_release() */
  protected detachFromHook(): void {
    const cg = this.cgroup;
    if (!cg) return; // detached already, or its cgroup was removed
    cgroupBpfDetach(cg, null, this, this.attachType, 0);
    this.cgroup = null;
  }

  /** bpf_cgroup_link_detach(): always succeeds, detached or not. */
  override detach(): void {
    this.detachFromHook();
  }

  /** cgroup_bpf_replace() */
  override updateProg(newProg: BpfProg, oldProg: BpfProg | null): void {
    if (!this.cgroup) throw new SysError('ENOLINK', 'the link is detached from its cgroup', 'BPF_LINK_UPDATE');
    if (oldProg && this.prog !== oldProg) throw new SysError('EPERM', 'old_prog_fd is not the link\'s program');
    cgroupBpfReplace(this.cgroup, this, newProg);
  }

  /** bpf_cgroup_link_fill_link_info(): cgroup_id is 0 once detached. */
  protected override fillInfo(): Record<string, unknown> {
    return { cgroup: { cgroup_id: this.cgroup?.id ?? 0n, attach_type: this.attachType } };
  }
}
