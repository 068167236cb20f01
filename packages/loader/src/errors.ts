// Small error classes with codes: what is wrong with an object file, and where.

/**
 * A malformed or unsupported object: names the file, the place (a section, a byte offset,
 * a BTF type id) and what was expected. libbpf says the same things with -LIBBPF_ERRNO__FORMAT,
 * -EINVAL or -ENOTSUP and a pr_warn line; here they are one message.
 */
export class ObjectFormatError extends Error {
  constructor(
    /** ELF_FORMAT, ELF_SECTION, ELF_RELOC, BTF_FORMAT, BTF_EXT_FORMAT, CORE_RELO, MAP_DEF, PROG_SECTION, … */
    readonly code: string,
    /** Where: `file.o: section '.maps' +0x18`, `file.o: .BTF type [12]`. */
    readonly place: string,
    message: string,
  ) {
    super(`${place}: ${message}`);
    this.name = 'ObjectFormatError';
  }
}

/** A use of the object API that cannot be done (unknown program name, load twice, resize after load). */
export class LoaderUsageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LoaderUsageError';
  }
}

/** Something the object asks for that bpfsim (or libbpf) does not do; the load goes on without it when it can. */
export interface LoaderWarning {
  code: string;
  place: string;
  message: string;
}
