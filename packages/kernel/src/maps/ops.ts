// What the built-in map types add to MapTypeOps: map_alloc() checks that depend on the
// caller's credentials, which BPF_MAP_CREATE runs between the privilege check and the
// allocation, as Linux does.
import type { MapCreateAttr, MapHost, MapSpec, MapTypeOps } from './map';

export interface MapAllocContext {
  /** bpf_bypass_spec_v1(): CAP_PERFMON lets arrays skip the power-of-two rounding. */
  perfmon: boolean;
  /** capable(CAP_SYS_ADMIN) (BPF_F_ZERO_SEED). */
  sysAdmin: boolean;
  /** attr->map_flags as given (MapSpec.flags drops the fd-only RDONLY/WRONLY bits). */
  mapFlags: number;
}

export interface BuiltinMapTypeOps extends MapTypeOps {
  /** map_alloc_check() where it depends on the caller; used instead of `check`. */
  checkWith?(attr: MapCreateAttr, host: MapHost, ctx: MapAllocContext): void;
  /** map_alloc()'s checks, after the privilege check. */
  allocCheck?(spec: MapSpec, host: MapHost, ctx: MapAllocContext): void;
}
