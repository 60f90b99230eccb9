#!/usr/bin/env bash
# Records the kernel's slab and page-allocator tracepoints while a command
# runs and writes the trace text zstd-compressed. Run as root:
#   bench/traces/capture.sh [--all] OUT.trace.zst COMMAND [ARGS...]
# Only the command and its children are traced (set_event_pid with
# event-fork), interrupts included while they run; --all traces the whole
# machine, whatever else runs on it.
#
# The events: kmem:kmalloc, kmem:kfree, kmem:kmem_cache_alloc,
# kmem:kmem_cache_free, kmem:mm_page_alloc, kmem:mm_page_free and
# kmem:mm_page_free_batched (the page allocator frees order-0 pages of a
# batch through the last one, so without it most pages never meet their
# free). Pointers are printed unhashed (nohash-ptr) so that kmm-replay can
# tell which traced pages held slabs; the clock is "global" so that the
# timestamps of different CPUs compare. The tracing settings are put back
# after.
set -euo pipefail
all=0
[ "${1:-}" = --all ] && { all=1; shift; }
[ $# -ge 2 ] || { echo "usage: $0 [--all] OUT.trace.zst COMMAND [ARGS...]" >&2; exit 2; }
out=$1
shift
T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T

events="kmem:kmalloc kmem:kfree kmem:kmem_cache_alloc kmem:kmem_cache_free
kmem:mm_page_alloc kmem:mm_page_free kmem:mm_page_free_batched"
old_on=$(cat $T/tracing_on)
old_events=$(cat $T/set_event)
old_clock=$(sed 's/.*\[\(.*\)\].*/\1/' $T/trace_clock)
old_kb=$(sed 's/ .*//' $T/buffer_size_kb)
old_hash=$(grep -x 'hash-ptr\|nohash-ptr' $T/trace_options)
old_fork=$(grep -x 'event-fork\|noevent-fork' $T/trace_options)
old_pids=$(cat $T/set_event_pid)
restore() {
	echo 0 > $T/tracing_on
	echo "$old_events" > $T/set_event
	echo "$old_pids" > $T/set_event_pid
	echo "$old_fork" > $T/trace_options
	echo "$old_clock" > $T/trace_clock
	echo "$old_hash" > $T/trace_options
	echo > $T/trace
	echo "$old_kb" > $T/buffer_size_kb
	echo "$old_on" > $T/tracing_on
}
trap restore EXIT

echo 0 > $T/tracing_on
echo > $T/set_event
echo > $T/trace
echo "${KMM_TRACE_BUFFER_KB:-131072}" > $T/buffer_size_kb
echo global > $T/trace_clock
echo nohash-ptr > $T/trace_options
echo "$events" > $T/set_event
start=$(date +%s.%N)
if [ $all = 1 ]; then
	echo > $T/set_event_pid
	echo 1 > $T/tracing_on
	"$@"
else
	echo event-fork > $T/trace_options
	# the command's shell names itself, then becomes the command
	T=$T bash -c 'echo $$ > $T/set_event_pid && echo 1 > $T/tracing_on && exec "$@"' _ "$@"
fi
end=$(date +%s.%N)
echo 0 > $T/tracing_on

read -r kept written < <(sed -n 's/.*entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' $T/trace)
echo "capture: $(uname -r), $(nproc) CPUs, $(awk "BEGIN{printf \"%.2f\", $end - $start}") s, $kept events"
[ "$kept" = "$written" ] || echo "capture: WARNING: the buffer overflowed: $kept of $written events kept" >&2
zstd -q -19 --long=27 -f -o "$out" < $T/trace
ls -l "$out"
