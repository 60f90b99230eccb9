#!/usr/bin/env bash
# The traced workload: a compile, an archive and a file search, a few
# seconds in all on 2 CPUs. Run from the top of the source tree.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A compile: six of kmm's own sources at -O2, two at a time.
printf '%s\n' src/slub/slub.c src/buddy/page_alloc.c src/vmalloc/vmalloc.c src/slub/kmalloc.c \
	src/slub/sheaf.c src/buddy/pcp.c |
	xargs -P2 -I{} sh -c 'gcc -O2 -D_GNU_SOURCE -Iinclude -Isrc -c {} -o "$1/$(basename {}).o"' _ "$tmp"
# An archive: the kernel's UAPI headers through gzip.
tar -C /usr/include -cf - linux | gzip -6 > "$tmp/linux-headers.tar.gz"
# A file search: every C header under /usr/include that mentions kmalloc.
find /usr/include -name '*.h' -print0 | xargs -0 grep -l kmalloc > "$tmp/found" || true
