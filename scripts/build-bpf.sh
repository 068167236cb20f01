#!/usr/bin/env bash
# Builds the example BPF objects: scenarios/progs/*.bpf.c -> scenarios/progs/*.bpf.o.
#
# The objects are committed, so tests and the loader work without clang; run this after
# changing a source (npm run build:bpf). The build is deterministic: the same source and
# compiler give the same bytes. Sources are compiled from the repository root by relative
# path and -ffile-prefix-map maps the root to ".", so no absolute path of this checkout
# ends up in DWARF or BTF line info. Nothing is stripped: BTF, .BTF.ext and DWARF stay.
#
# Needs clang (with the BPF target) and libbpf's headers (<bpf/bpf_helpers.h>); on
# Debian, as root, it installs clang and libbpf-dev with apt-get when they are missing.
# The committed objects were built with Debian clang 14.0.6 and libbpf-dev 1.1.2.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_install=()
command -v clang >/dev/null 2>&1 || need_install+=(clang)
[ -f /usr/include/bpf/bpf_helpers.h ] || need_install+=(libbpf-dev)
if [ ${#need_install[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
		echo "build-bpf: installing ${need_install[*]} with apt-get" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}"
	else
		echo "build-bpf: missing ${need_install[*]}." >&2
		echo "  Install clang (with the BPF target) and libbpf's headers, e.g. on Debian/Ubuntu:" >&2
		echo "    sudo apt-get install clang libbpf-dev" >&2
		echo "  (automatic install is done only as root on Debian)." >&2
		exit 1
	fi
fi

# <linux/types.h> includes <asm/types.h>, which Debian keeps under the multiarch directory.
multiarch="$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"

CFLAGS=(
	-g -O2 -target bpf
	-D__TARGET_ARCH_x86
	-Wall -Werror
	-I"/usr/include/$multiarch"
	-ffile-prefix-map="$root"=.
)

shopt -s nullglob
srcs=(scenarios/progs/*.bpf.c)
if [ ${#srcs[@]} -eq 0 ]; then
	echo "build-bpf: no scenarios/progs/*.bpf.c" >&2
	exit 1
fi
echo "build-bpf: $(clang --version | head -n 1)"
for src in "${srcs[@]}"; do
	obj="${src%.c}.o"
	clang "${CFLAGS[@]}" -c "$src" -o "$obj"
	echo "  $src -> $obj"
done
