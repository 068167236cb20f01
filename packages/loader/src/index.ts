// @bpfsim/loader: libbpf's job for bpfsim. Open an object clang wrote (`clang -g -O2 -target
// bpf -c prog.bpf.c`), adjust maps and globals, load it into a simulated kernel, attach its
// programs by their section names.
export { openObject, ObjectFile, ObjectProgram, ObjectMap, ProgramLoadError, coreTarget, kernelTypes } from './object';
export type { OpenOptions, LoadOptions } from './object';
export { ObjectFormatError, LoaderUsageError } from './errors';
export type { LoaderWarning } from './errors';
export { parseElf, R_BPF, relocTypeName } from './elf';
export { SECTION_DEFS, findSecDef, secDefMatches, secExtra } from './sec-defs';
export type { SecDef, SecAttach, SecAutoAttach } from './sec-defs';
export { LIBBPF_PIN, internalMapName, describeMapType } from './maps';
export type { MapDef, MapKind } from './maps';
export { Btf, BtfBuilder, BTF_KIND, BTF_INT, BTF_LINKAGE, fixupDatasec } from './btf';
export type { BtfType, BtfComposite, BtfEnum, BtfDatasec, BtfFunc, BtfFuncProto, BtfMember } from './btf';
export { parseBtfExt, buildBtfExt } from './btf-ext';
export { BPF_CORE, CORE_POISON_IMM, buildTargetBtf, calcCoreRelo, patchCoreInsn, targetStructsFromLayouts, essentialName } from './core';
export type { TargetStruct, CoreResult } from './core';
export type { BtfExt, FuncInfo, LineInfo, CoreRelo } from './btf-ext';
