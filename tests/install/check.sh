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

# Every macro of the installed headers (but kmm's own plumbing, KMM_* and
# kmm_*) is used by macros.c ...
missing=$(grep -ho '^#define [A-Za-z_][A-Za-z0-9_]*' "$prefix"/include/kmm/*.h |
	awk '{print $2}' | grep -Ev '^(KMM_|kmm_)' |
	sort -u | while read -r m; do grep -qw -- "$m" "$src/macros.c" || echo "$m"; done)
[ -z "$missing" ] || { echo "macros.c does not use: $missing"; exit 1; }
# ... and runs however a program links kmm: the shared library from PIE,
# non-PIE and -fPIC code, the static library, and a fully static program.
# the static library's own dependencies: kmm's static link line without -lkmm
deps=$(pkg-config --static --libs kmm | sed -e 's/ -lkmm / /')
for mode in pie nopie fpic static-lib static-lib-nopie static; do
	case $mode in
	pie)	flags=(-pie -fPIE); libs=$(pkg-config --libs kmm) ;;
	nopie)	flags=(-no-pie -fno-pic); libs=$(pkg-config --libs kmm) ;;
	fpic)	flags=(-fPIC); libs=$(pkg-config --libs kmm) ;;
	static-lib)	flags=(-pie -fPIE); libs="$libdir/libkmm.a $deps" ;;
	static-lib-nopie)	flags=(-no-pie -fno-pic); libs="$libdir/libkmm.a $deps" ;;
	static)	flags=(-static); libs=$(pkg-config --static --libs kmm) ;;
	esac
	# shellcheck disable=SC2086
	cc -Wall -Werror "${flags[@]}" -o "$prefix/macros-$mode" "$src/macros.c" \
		$(pkg-config --cflags kmm) $libs 2>"$prefix/macros-$mode.log" ||
		{ echo "macros.c ($mode) does not build:"; cat "$prefix/macros-$mode.log"; exit 1; }
	LD_LIBRARY_PATH=$libdir "$prefix/macros-$mode" >/dev/null ||
		{ echo "macros.c ($mode) failed"; exit 1; }
done
echo "macros: every public macro used, in 6 ways of linking"
# Static per-CPU variables in a shared library, a dlopen()ed module and the
# program, built the README's way, from PIE and from non-PIE code.
shared=$src/../shared
kmm_cc() { cc -Wall -Werror "$@" $(pkg-config --cflags kmm) $(pkg-config --libs kmm); }
kmm_cc -shared -fPIC -o "$prefix/libpcpu_lib.so" "$shared/pcpu_lib.c"
kmm_cc -shared -fPIC -o "$prefix/pcpu_plugin.so" "$shared/pcpu_plugin.c"
for mode in pie nopie; do
	flags=(-pie -fPIE)
	[ $mode = nopie ] && flags=(-no-pie -fno-pic)
	kmm_cc "${flags[@]}" -DPCPU_PLUGIN_PATH="\"$prefix/pcpu_plugin.so\"" -I"$shared" \
		-o "$prefix/percpu_shared-$mode" "$shared/test_percpu_shared.c" \
		-L"$prefix" -lpcpu_lib $(pkg-config --libs cmocka) -ldl
	LD_LIBRARY_PATH=$libdir:$prefix "$prefix/percpu_shared-$mode" >"$prefix/percpu_shared-$mode.log" 2>&1 ||
		{ echo "per-CPU variables across modules ($mode) failed:"; cat "$prefix/percpu_shared-$mode.log"; exit 1; }
done
echo "percpu: static per-CPU variables in the program, a shared library and a dlopen()ed module"
# Kernel-style code: the kernel's header names with one flag, every macro
# they define used.
missing=$(grep -ho '^#define [A-Za-z_][A-Za-z0-9_]*' "$prefix"/include/kmm-linux/linux/*.h |
	awk '{print $2}' | grep -Ev '^(KMM_|kmm_)' |
	sort -u | while read -r m; do grep -qw -- "$m" "$src/kernel_style.c" || echo "$m"; done)
[ -z "$missing" ] || { echo "kernel_style.c does not use: $missing"; exit 1; }
# shellcheck disable=SC2046
cc -Wall -Werror -o "$prefix/kernel_style" "$src/kernel_style.c" $(pkg-config --cflags --libs kmm-linux)
LD_LIBRARY_PATH=$libdir "$prefix/kernel_style"
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
add_executable(kernel_style_cmake $src/kernel_style.c)
target_link_libraries(kernel_style_cmake PRIVATE kmm::linux)
CM
cmake -S "$prefix/cm" -B "$prefix/cm/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cm/build" >/dev/null
LD_LIBRARY_PATH=$libdir "$prefix/cm/build/consumer_cmake" | tail -1
LD_LIBRARY_PATH=$libdir "$prefix/cm/build/kernel_style_cmake"

# liburcu's ThreadSanitizer suppressions come with kmm into both programs.
for prog in "$prefix/consumer" "$prefix/cm/build/consumer_cmake"; do
	nm "$prog" | grep -q ' T __tsan_default_suppressions$' ||
		{ echo "$prog lacks kmm's TSan suppressions"; exit 1; }
done
