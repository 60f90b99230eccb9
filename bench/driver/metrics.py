"""The metrics a record may carry: what each means, which way is better, how
it is printed, and how it is derived from a program's raw counters.

A record's metrics are medians over the repetitions. Raw counters come from
the programs (Google Benchmark counters set by bench_report() and
kmm_meas_end(), the processes' own JSON, the runner's wait4()); a metric
with `derive` is computed from them, one repetition at a time. A new
counter becomes a metric with one entry here, e.g. a per-1000-operations
count: Metric(..., derive=per_1k("name")).
"""

import math


def per_1k(counter):
    """counter / ops * 1000: events per 1000 operations."""
    def derive(c):
        return c[counter] / c["ops"] * 1000 if counter in c and c.get("ops") else None
    return derive


def rate(v):
    """1234567 -> '1.23M'."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return "%.3g%s" % (v / div, unit)
    return "%.3g" % v


def ratio(v):
    """Two decimals, except far from 1."""
    if v >= 100:
        return "%.0f" % v
    if v < 0.01:
        return "%.1g" % v
    return "%.2f" % v


def fixed(spec):
    return lambda v: spec % v


def percent(v):
    return "%.1f%%" % (100 * v)


def mib_of_kib(v):
    return "%.1f" % (v / 1024)


class Metric:
    def __init__(self, label, doc, better=None, fmt=fixed("%.3g"), derive=None, twin=None):
        self.label = label	# column header
        self.doc = doc		# one sentence for the report's glossary
        self.better = better	# "higher", "lower" or None (not ranked)
        self.fmt = fmt
        self.derive = derive	# raw counters -> value (or None)
        self.twin = twin	# the same figure by another clock (see targets)

    def show(self, v):
        return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else self.fmt(v)


def cpu_ops_s(c):
    """Operations per second the run would reach on idle cores: min(threads,
    host CPUs) cores, each spending the measured CPU time per operation.
    Other load on a shared machine inflates elapsed time, not CPU time."""
    if not c.get("cpu_ns_op") or not c.get("threads") or not c.get("num_cpus"):
        return None
    return min(c["threads"], c["num_cpus"]) * 1e9 / c["cpu_ns_op"]


METRICS = {
    "ops_s": Metric(
        "ops/s", "whole operations per second over all threads (an alloc+free pair is one), "
        "timed from the first thread's start to the last thread's end", "higher", rate,
        twin="cpu_ops_s"),
    "ns_op": Metric("ns/op", "1e9 ÷ ops/s", "lower", fixed("%.1f"),
                    derive=lambda c: 1e9 / c["ops_s"] if c.get("ops_s") else None),
    "cpu_ns_op": Metric(
        "CPU ns/op", "CPU time of all threads per operation (insensitive to other load; "
        "includes waiting, e.g. on the producer/consumer ring)", "lower", fixed("%.1f")),
    "cpu_ops_s": Metric(
        "ops/s by CPU time", "min(threads, host CPUs) × 1e9 ÷ CPU ns/op: the throughput "
        "idle cores would give", "higher", rate, derive=cpu_ops_s),
    "hit": Metric(
        "hit", "fast-path hit rate (pages: pcp hits ÷ order ≤ 3 allocations; slabs: lockless "
        "hits on the CPU's sheaf or per-CPU freelist ÷ allocations)", "higher", percent,
        derive=lambda c: c["fast"] / (c["fast"] + c["slow"])
        if "fast" in c and "slow" in c and c["fast"] + c["slow"] > 0 else None),
    "locks_1k": Metric(
        "locks/1k ops", "spinlock and mutex acquisitions of the benchmark threads per 1000 "
        "operations", "lower", fixed("%.1f"), derive=per_1k("locks")),
    "rmws_1k": Metric(
        "atomic RMWs/1k ops", "atomic read-modify-writes outside lock words (each a write to a "
        "cache line other CPUs also write: what more cores would contend on) per 1000 "
        "operations", "lower", fixed("%.1f"), derive=per_1k("rmws")),
    "shard_locks_1k": Metric(
        "shard locks/1k", "buddy shard-lock acquisitions (kmm_stats.zone_lock) per 1000 "
        "operations", "lower", fixed("%.1f"), derive=per_1k("shard_locks")),
    "mmap_per_vmalloc": Metric(
        "mmaps per vmalloc", "host mmap calls per vmalloc", "lower", fixed("%.2f"),
        derive=lambda c: c.get("vmap_mmap", 0) / c["vmalloc"] if c.get("vmalloc") else None),
    "peak_waiting": Metric(
        "peak waiting", "most objects waiting for a grace period at once (kmalloc-64 in use "
        "above the start, sampled)", "lower", fixed("%.0f"),
        derive=lambda c: c["peak_waiting"] if c.get("peak_waiting", -1) >= 0 else None),
    "kmm_reports": Metric(
        "kmm reports", "BUG:/WARNING: reports kmm made during the run (kmm_bug_count())",
        "lower", fixed("%.0f")),
    "instructions": Metric(
        "instructions/op", "instructions per operation under callgrind, one thread: "
        "(Ir(2N) − Ir(N)) ÷ N, so warm-up and setup cancel out", "lower", fixed("%.1f")),
    "wall_s": Metric("seconds", "elapsed time of the process", "lower", fixed("%.3g")),
    "replay_s": Metric(
        "replay s", "a kernel trace's replay (kmm-replay): elapsed time from its first "
        "operation to its last, reading the trace not counted", "lower", fixed("%.3g"),
        twin="replay_cpu_s"),
    "replay_cpu_s": Metric(
        "replay CPU s", "the replay threads' CPU time, summed (insensitive to other load; "
        "includes their waits for each other)", "lower", fixed("%.3g")),
    "replay_rss_kib": Metric(
        "replay peak RSS MiB", "the replay's peak resident set above the loaded trace's: the "
        "allocator's memory for the trace's live objects and pages, its metadata and slack",
        "lower", mib_of_kib),
    "alloc_failures": Metric("failures", "allocations that failed in a replay", "lower",
                             fixed("%.0f")),
    "init_ms": Metric("kmm_init ms", "time kmm_init takes in a fresh process", "lower",
                      fixed("%.2f")),
    "exit_ms": Metric("kmm_exit ms", "time kmm_exit takes right after boot", "lower",
                      fixed("%.2f")),
    "rss_kib": Metric("RSS MiB", "the process's resident set at the pattern's point "
                      "(after boot; after the allocation; 5 s after freeing)", "lower",
                      mib_of_kib),
    "rss_mib": Metric("RSS MiB", "the same resident set, in MiB", "lower", fixed("%.2f"),
                      derive=lambda c: c["rss_kib"] / 1024 if "rss_kib" in c else None),
    "rss_ratio": Metric("RSS ÷ before", "resident set 5 s after freeing and shrinking, over "
                        "the resident set before the allocation", "lower", ratio),
    "back_s": Metric("seconds back", "seconds from the shrink until the resident set was "
                     "within 1.2x of the one before the allocation", "lower", fixed("%.2f")),
    "max_rss_kib": Metric("peak RSS MiB", "the process's peak resident set (wait4's ru_maxrss)",
                          "lower", mib_of_kib),
}

# Derived metrics in an order where each needs only raw counters or metrics
# derived before it.
DERIVED = [name for name, m in METRICS.items() if m.derive]


def derive_all(counters):
    """Raw counters of one repetition -> its metrics (raw ones kept when the
    catalog knows them, derived ones added)."""
    out = {k: v for k, v in counters.items() if k in METRICS and v is not None}
    work = dict(counters)
    for name in DERIVED:
        v = METRICS[name].derive(work)
        if v is not None:
            out[name] = work[name] = v
    return out


def get(name):
    if name not in METRICS:
        raise KeyError("unknown metric '%s' (known: %s)" % (name, ", ".join(sorted(METRICS))))
    return METRICS[name]
