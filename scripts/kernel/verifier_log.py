#!/usr/bin/env python3
"""Print the live kernel verifier's log for a program: a development aid for matching
bpfsim's log line by line. Usage (as root):

    verifier_log.py PROG_TYPE LOG_LEVEL HEX [ATTACH_TYPE]

HEX is the program's bytes (16 hex digits per instruction, whitespace ignored).
Prints the log, then `errno=<name>` or `fd=ok`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpfsys  # noqa: E402


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    prog_type, level = int(sys.argv[1]), int(sys.argv[2])
    raw = bytes.fromhex("".join(sys.argv[3].split()))
    attach = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    try:
        fd, log = bpfsys.prog_load(prog_type, raw, expected_attach_type=attach, log_level=level)
        bpfsys.close(fd)
        sys.stdout.write(log)
        print("fd=ok")
    except bpfsys.BpfError as e:
        sys.stdout.write(e.log)
        print(f"errno={e.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
