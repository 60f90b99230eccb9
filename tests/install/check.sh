#!/usr/bin/env bash
# Installs kmm from the build tree into a scratch prefix, builds an outside
# program with pkg-config and with CMake's find_package, and runs it.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/ | head -1)
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -Wall -Werror -o "$prefix/consumer" "$src/consumer.c" $(pkg-config --cflags --libs kmm) -lpthread
KMM_SLABINFO_OUT=$prefix/slabinfo LD_LIBRARY_PATH=$libdir "$prefix/consumer"
# procps' slabtop reads kmm's slabinfo in place of the kernel's (as root, in
# a private mount namespace).
if [ "$(id -u)" -eq 0 ] && command -v slabtop >/dev/null && command -v unshare >/dev/null; then
	top=$(unshare -m sh -c "mount --bind '$prefix/slabinfo' /proc/slabinfo && slabtop -o")
	echo "$top" | grep -q 'consumer-objs' || { echo "slabtop did not list kmm's caches:"; echo "$top"; exit 1; }
	echo "slabtop: $(echo "$top" | grep -c kmalloc-) kmalloc caches and consumer-objs parsed"
else
	echo "slabtop: skipped (needs root, procps and util-linux)"
fi
# kmm-replay, installed beside the library, finds it on its own (RUNPATH).
"$prefix/bin/kmm-replay" --quiet --limit 20000 --json "$src/../../bench/traces/kmem-build.trace.zst" \
	> "$prefix/replay.json"
grep -q '"verdict": "ok"' "$prefix/replay.json" || { cat "$prefix/replay.json"; exit 1; }
echo "kmm-replay: $(grep -o '"ops": [0-9]*' "$prefix/replay.json") of the trace's start, verdict ok"
mkdir "$prefix/cm"
cat > "$prefix/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(kmm REQUIRED)
add_executable(consumer_cmake $src/consumer.c)
target_link_libraries(consumer_cmake PRIVATE kmm::kmm)
CM
cmake -S "$prefix/cm" -B "$prefix/cm/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cm/build" >/dev/null
LD_LIBRARY_PATH=$libdir "$prefix/cm/build/consumer_cmake" | tail -1
# liburcu's ThreadSanitizer suppressions come with kmm into both programs.
for prog in "$prefix/consumer" "$prefix/cm/build/consumer_cmake"; do
	nm "$prog" | grep -q ' T __tsan_default_suppressions$' ||
		{ echo "$prog lacks kmm's TSan suppressions"; exit 1; }
done
