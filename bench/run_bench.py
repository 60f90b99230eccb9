#!/usr/bin/env python3
"""Runs kmm's benchmark programs and the peers, alternating, and writes the
JSON, a markdown table and gnuplot PNGs to the output directory.

./ci/bench calls this after building; see --help. Each program run is one
process: bench_kmm (kmm booted once), bench_kmm with pcp=off, and one
bench_peer_<name> per peer malloc. A repetition runs every program once, in
the same order (A B C ... A B C ...), so drift of a noisy machine hits all
alike; each figure is the median over the repetitions.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

START = time.time()
PEERS = ["glibc", "jemalloc", "tcmalloc", "mimalloc"]
THREADS = [1, 2, 4, 8, 16, 32]
QUICK_THREADS = [1, 2, 32]

# Pattern key -> what it does (the table's wording).
PATTERNS = {
    "cache_pair/64": "kmem_cache_alloc+free 64 B (peers: malloc+free 64 B)",
    "cache_batch_fifo/64": "1000 x kmem_cache_alloc 64 B, then free FIFO",
    "cache_batch_lifo/64": "1000 x kmem_cache_alloc 64 B, then free LIFO",
    "kmalloc_mix/256": "kmalloc/kfree, kernel-like size mix, 256 live",
    "prodcons/64": "producer/consumer remote frees, 64 B (ops = objects)",
    "page_pair/0": "order-0 page alloc+free (peers: aligned_alloc 4 KiB)",
    "page_pair/3": "order-3 page alloc+free (peers: aligned_alloc 32 KiB)",
    "page_pair/9": "order-9 page alloc+free (peers: aligned_alloc 2 MiB)",
    "vmalloc/65536": "vmalloc+touch+vfree 64 KiB",
    "vmalloc/1048576": "vmalloc+touch+vfree 1 MiB (peers: malloc+touch+free 1 MiB, "
                       "which may keep the memory mapped)",
    "vmalloc/16777216": "vmalloc+touch+vfree 16 MiB",
    "kfree_rcu/64": "kmalloc 64 B + kfree_rcu",
}

# The main matrix: patterns every allocator runs at every thread count.
MATRIX = ["cache_pair/64", "cache_batch_fifo/64", "cache_batch_lifo/64",
          "kmalloc_mix/256", "prodcons/64", "page_pair/0", "page_pair/3",
          "page_pair/9", "vmalloc/1048576", "kfree_rcu/64"]

T12 = r"/manual_time/threads:[12]$"

# Suites: the programs each runs and the benchmark filter for each.
# "all" is the main matrix plus every issue's comparison.
SUITES = {
    "all": {
        "kmm": r"^(kmm|call_rcu)/|^mmap/vmalloc/1048576/|^mmap/vmalloc/.*" + T12 +
               r"|^glibc_same/cache_(pair|batch_fifo|batch_lifo)/64" + T12,
        "kmm_nopcp": r"^kmm_nopcp/page_pair/",
        "peers": r"^[a-z]+/(page_pair|cache_|kmalloc_mix|prodcons|vmalloc/1048576/)",
    },
    # Issues 2 and 3: orders 0 and 3 (and 9) with and without pcp.
    "pages": {
        "kmm": r"^kmm/page_pair/.*" + T12,
        "kmm_nopcp": r"^kmm_nopcp/page_pair/.*" + T12,
    },
    # Issue 4: kmem_cache 64 B against malloc of the same process.
    "slab": {
        "kmm": r"^(kmm|glibc_same)/cache_(pair|batch_fifo|batch_lifo)/64" + T12,
    },
    # Issue 5: vmalloc against mmap, 64 KiB, 1 MiB, 16 MiB.
    "vmalloc": {
        "kmm": r"^(kmm|mmap)/vmalloc/.*" + T12,
    },
    # Issue 6: kfree_rcu against call_rcu + kfree.
    "rcu": {
        "kmm": r"^(kmm|call_rcu)/kfree_rcu/.*" + T12,
    },
    # Just the matrix against the peers.
    "peers": {
        "kmm": r"^kmm/(page_pair|cache_|kmalloc_mix|prodcons|vmalloc/1048576/)",
        "peers": r"^[a-z]+/(page_pair|cache_|kmalloc_mix|prodcons|vmalloc/1048576/)",
    },
}

NAME_RE = re.compile(r"^([a-z_]+)/(.+)/manual_time/threads:(\d+)$")


def parse_name(name):
    """'kmm/cache_pair/64/manual_time/threads:2' -> ('kmm', 'cache_pair/64', 2)."""
    m = NAME_RE.match(name)
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def fmt_rate(v):
    if v is None:
        return "–"
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return "%.3g%s" % (v / div, unit)
    return "%.3g" % v


def fmt(v, spec=None):
    if v is None:
        return "–"
    if spec:
        return spec % v
    # Ratios: two decimals, except far from 1.
    if v >= 100:
        return "%.0f" % v
    if v < 0.01:
        return "%.1g" % v
    return "%.2f" % v


def metrics(bench):
    """Figures of one benchmark run from Google Benchmark's JSON entry."""
    c = bench
    ops = c.get("ops")
    ops_s = c.get("ops_s")
    out = {"ops_s": ops_s}
    if ops_s:
        out["ns_op"] = 1e9 / ops_s
    if "fast" in c and "slow" in c and c["fast"] + c["slow"] > 0:
        out["hit"] = c["fast"] / (c["fast"] + c["slow"])
    if "locks" in c and ops:
        out["locks_1k"] = c["locks"] / ops * 1000
    if "shard_locks" in c and ops:
        out["shard_locks_1k"] = c["shard_locks"] / ops * 1000
    if c.get("vmalloc"):
        out["mmap_per_vmalloc"] = c.get("vmap_mmap", 0) / c["vmalloc"]
    if "peak_waiting" in c and c["peak_waiting"] >= 0:
        out["peak_waiting"] = c["peak_waiting"]
    return out


class Runner:
    def __init__(self, label, exe, args, filt):
        self.label, self.exe, self.args, self.filt = label, exe, args, filt


def make_runners(args, suite):
    b = args.build
    threads = ",".join(str(t) for t in args.threads)
    cfg = SUITES[suite]
    runners = []
    # Quick runs boot less memory: populating it is most of a boot.
    mem = " mem=512M" if args.quick else ""
    if "kmm" in cfg:
        runners.append(Runner("kmm", os.path.join(b, "bench_kmm"),
                              ["--threads=" + threads] +
                              (["--kmm_cmdline=" + mem.strip()] if mem else []), cfg["kmm"]))
    if "kmm_nopcp" in cfg:
        runners.append(Runner("kmm_nopcp", os.path.join(b, "bench_kmm"),
                              ["--threads=" + threads, "--label=kmm_nopcp",
                               "--kmm_cmdline=pcp=off" + mem], cfg["kmm_nopcp"]))
    if "peers" in cfg:
        for p in PEERS:
            runners.append(Runner(p, os.path.join(b, "bench_peer_" + p),
                                  ["--threads=" + threads], cfg["peers"]))
    return runners


COUNTER_RE = re.compile(r"(\w+)=([-\d.]+)([kMG]?)(/s)?")
SCALE = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}


def progress(line, tag):
    """One line per finished benchmark, from the console output."""
    parts = line.split()
    if not parts or not parse_name(parts[0]):
        return
    alloc, pattern, threads = parse_name(parts[0])
    c = {m.group(1): float(m.group(2)) * SCALE[m.group(3)]
         for m in COUNTER_RE.finditer(line)}
    f = metrics(c)
    extra = ""
    if "hit" in f:
        extra += "  hit %5.1f%%" % (100 * f["hit"])
    if "locks_1k" in f:
        extra += "  locks/1k %7.1f" % f["locks_1k"]
    if "ERROR" in line:
        extra += "  " + line[line.index("ERROR"):]
    print("%s %-10s %-20s t=%-2d %8s ops/s %9s ns/op%s  (%.0f s)" % (
        tag, alloc, pattern, threads, fmt_rate(f.get("ops_s")),
        fmt(f.get("ns_op"), "%.1f"), extra, time.time() - START), flush=True)


def run_all(args, runners, raw_dir):
    files = []
    nrun = len(runners) * args.reps
    k = 0
    for rep in range(args.reps):
        for r in runners:
            k += 1
            out = os.path.join(raw_dir, "%s-r%d.json" % (r.label, rep + 1))
            cmd = ["stdbuf", "-oL", r.exe] + r.args + [
                "--benchmark_filter=" + r.filt,
                "--benchmark_min_time=%g" % args.min_time,
                "--benchmark_color=false",
                "--benchmark_counters_tabular=false",
                "--benchmark_out=" + out, "--benchmark_out_format=json"]
            tag = "[%d/%d rep %d]" % (k, nrun, rep + 1)
            print("%s %s %s" % (tag, os.path.basename(r.exe), " ".join(r.args)), flush=True)
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            for line in p.stdout:
                progress(line, tag)
            err = p.stderr.read()
            if p.wait() != 0:
                sys.stderr.write(err)
                sys.exit("bench: %s failed (exit %d)" % (r.exe, p.returncode))
            for line in err.splitlines():
                if ("BUG" in line or "WARNING:" in line) and "built as DEBUG" not in line:
                    print("%s %s: %s" % (tag, r.label, line), flush=True)
            files.append(out)
    return files


def aggregate(files):
    """(alloc, pattern, threads) -> {metric: median}, plus per-rep ops/s."""
    reps = {}
    context = {}
    for f in files:
        with open(f) as fh:
            data = json.load(fh)
        ctx = data.get("context", {})
        if "allocator" in ctx:
            context[ctx["allocator"]] = {k: ctx.get(k) for k in
                                         ("allocator_version", "kmm_cmdline") if k in ctx}
            context["_host"] = {k: ctx.get(k) for k in
                                ("host_name", "num_cpus", "mhz_per_cpu", "caches", "library_build_type")}
        for b in data.get("benchmarks", []):
            if b.get("run_type") != "iteration":
                continue
            key = parse_name(b["name"])
            if not key:
                continue
            if b.get("error_occurred"):
                reps.setdefault(key, []).append({"error": b.get("error_message", "error")})
                continue
            m = metrics(b)
            unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}.get(b.get("time_unit"), 1)
            if "cpu_time" in b:
                # CPU time of all threads per operation: what one operation
                # costs, insensitive to other load on the machine.
                m["cpu_ns_op"] = b["cpu_time"] * unit * b.get("iterations", 0) / b["ops"] \
                    if b.get("ops") else None
            reps.setdefault(key, []).append(m)
    res = {}
    for key, runs in reps.items():
        ok = [r for r in runs if "error" not in r]
        fig = {"reps": len(ok), "ops_s_reps": [r.get("ops_s") for r in ok]}
        if len(ok) < len(runs):
            fig["errors"] = [r["error"] for r in runs if "error" in r]
        names = set()
        for r in ok:
            names |= set(r)
        for n in names:
            vals = [r[n] for r in ok if r.get(n) is not None]
            if vals:
                fig[n] = statistics.median(vals)
        if fig.get("ops_s"):
            fig["ns_op"] = 1e9 / fig["ops_s"]
        res[key] = fig
    return res, context


def get(res, alloc, pattern, threads, metric="ops_s"):
    f = res.get((alloc, pattern, threads))
    return f.get(metric) if f else None


def ratio(a, b):
    return a / b if a and b else None


def allocs_of(res, pattern):
    order = ["kmm", "kmm_nopcp"] + PEERS + ["glibc_same", "mmap", "call_rcu"]
    present = {a for (a, p, t) in res if p == pattern}
    return [a for a in order if a in present]


def threads_of(res, pattern):
    return sorted({t for (a, p, t) in res if p == pattern})


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s" % (model, os.cpu_count(), platform.release())


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def verdict(ok):
    return "—" if ok is None else ("met" if ok else "**not met**")


def targets(res, peers):
    """Issue 8's and issue 4's targets, from this run: two lists of rows of
    (what, elapsed-time figure, verdict, CPU-time figure, verdict). Both
    figures are "higher is better" throughput ratios; the CPU-time one comes
    from CPU ns/op, which other load on a shared machine cannot inflate (for
    2 threads it is the speed-up two idle cores would give)."""
    rows, rows4 = [], []

    def cpu(alloc, pattern, t):
        return get(res, alloc, pattern, t, "cpu_ns_op")

    def row(what, wall, cpu_fig, good, out=rows):
        out.append((what, fmt(wall), verdict(None if wall is None else good(wall)),
                     fmt(cpu_fig), verdict(None if cpu_fig is None else good(cpu_fig))))

    def best(pattern, t, metric, pick):
        vals = [(get(res, p, pattern, t, metric), p) for p in peers if get(res, p, pattern, t, metric)]
        return pick(vals) if vals else (None, None)

    for pattern in ["cache_pair/64", "cache_batch_fifo/64", "cache_batch_lifo/64",
                    "kmalloc_mix/256", "prodcons/64"]:
        for t in ((1, 2) if pattern != "prodcons/64" else (2,)):
            bw, who = best(pattern, t, "ops_s", max)
            bc, who_c = best(pattern, t, "cpu_ns_op", min)
            kc = cpu("kmm", pattern, t)
            row("%s, %d thread%s: kmm ÷ fastest peer (%s; by CPU: %s) ≥ 1" % (
                pattern, t, "s" if t > 1 else "", who or "–", who_c or "–"),
                ratio(get(res, "kmm", pattern, t), bw), ratio(bc, kc), lambda r: r >= 1)
    for pattern in ["cache_pair/64", "kmalloc_mix/256", "page_pair/0"]:
        c1, c2, c32 = cpu("kmm", pattern, 1), cpu("kmm", pattern, 2), cpu("kmm", pattern, 32)
        row("%s: kmm 2 threads ÷ 1 thread ≥ 1.9" % pattern,
            ratio(get(res, "kmm", pattern, 2), get(res, "kmm", pattern, 1)),
            2 * c1 / c2 if c1 and c2 else None, lambda r: r >= 1.9)
        row("%s: kmm 32 threads ÷ 2 threads ≥ 0.9" % pattern,
            ratio(get(res, "kmm", pattern, 32), get(res, "kmm", pattern, 2)),
            ratio(c2, c32), lambda r: r >= 0.9)
    row("1 thread: kmem_cache pair ops/s ÷ order-0 page pair (pcp) ops/s ≤ 4",
        ratio(get(res, "kmm", "cache_pair/64", 1), get(res, "kmm", "page_pair/0", 1)),
        ratio(cpu("kmm", "page_pair/0", 1), cpu("kmm", "cache_pair/64", 1)), lambda r: r <= 4)
    for size in ("65536", "1048576", "16777216"):
        p = "vmalloc/" + size
        row("%s, 1 thread: vmalloc+vfree ÷ mmap+munmap ≥ 1" % p,
            ratio(get(res, "kmm", p, 1), get(res, "mmap", p, 1)),
            ratio(cpu("mmap", p, 1), cpu("kmm", p, 1)), lambda r: r >= 1)
    # Issue 4: the slab patterns against glibc in the same process, within
    # 1.5x of the fastest of jemalloc/tcmalloc/mimalloc, and 2-thread scaling.
    fast_peers = [p for p in peers if p != "glibc"]
    for pattern in ["cache_pair/64", "cache_batch_fifo/64", "cache_batch_lifo/64"]:
        for t in (1, 2):
            row("%s, %d thread%s: kmm ÷ glibc malloc+free, same process ≥ 1" % (
                pattern, t, "s" if t > 1 else ""),
                ratio(get(res, "kmm", pattern, t), get(res, "glibc_same", pattern, t)),
                ratio(cpu("glibc_same", pattern, t), cpu("kmm", pattern, t)),
                lambda r: r >= 1, rows4)
            vals = [(get(res, p, pattern, t), p) for p in fast_peers if get(res, p, pattern, t)]
            cvals = [(cpu(p, pattern, t), p) for p in fast_peers if cpu(p, pattern, t)]
            bw, who = max(vals) if vals else (None, None)
            bc, who_c = min(cvals) if cvals else (None, None)
            row("%s, %d thread%s: kmm ÷ fastest of jemalloc/tcmalloc/mimalloc (%s; by CPU: %s) "
                "≥ 0.67 (within 1.5x)" % (pattern, t, "s" if t > 1 else "", who or "–",
                                           who_c or "–"),
                ratio(get(res, "kmm", pattern, t), bw), ratio(bc, cpu("kmm", pattern, t)),
                lambda r: r >= 1 / 1.5, rows4)
        c1, c2 = cpu("kmm", pattern, 1), cpu("kmm", pattern, 2)
        row("%s: kmm 2 threads ÷ 1 thread ≥ 1.9" % pattern,
            ratio(get(res, "kmm", pattern, 2), get(res, "kmm", pattern, 1)),
            2 * c1 / c2 if c1 and c2 else None, lambda r: r >= 1.9, rows4)
    return rows, rows4


def write_markdown(path, res, context, args, plots, cmdline):
    peers = [p for p in PEERS if any(a == p for (a, _, _) in res)]
    L = []
    w = L.append
    w("# kmm benchmark results\n")
    w("- machine: %s" % machine())
    w("- date: %s UTC, commit %s" % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
                                    git_commit()))
    w("- command: `%s`" % cmdline)
    w("- %d repetitions alternated across processes (A B … A B …), each figure the median; "
      "min time %g s per benchmark; time is the span from the first thread's start to the "
      "last thread's end" % (args.reps, args.min_time))
    for a in ["kmm", "kmm_nopcp"] + peers:
        if a in context:
            extra = ", ".join("%s %s" % (k, v) for k, v in context[a].items())
            w("- %s: %s" % (a, extra))
    host = context.get("_host", {})
    if host.get("library_build_type"):
        w("- Google Benchmark library build: %s (its overhead is outside the timed batches)"
          % host["library_build_type"])
    w("")
    w("ops/s counts whole operations: an alloc+free pair is one; ns/op is "
      "1e9 / (ops/s) over all threads. **Ratios are kmm ops/s ÷ peer ops/s: above 1.00 "
      "kmm is faster.** Hit = fast-path hit rate (pages: pcp hits / all order ≤ 3 "
      "allocations; slabs: lockless hits on the CPU's sheaf or per-CPU freelist / all "
      "allocations). Locks/1k = "
      "spinlock and mutex acquisitions of the benchmark threads per 1000 operations; shard "
      "locks/1k = buddy shard-lock acquisitions (kmm_stats.zone_lock) per 1000 operations. "
      "CPU ns/op = CPU time of all threads per operation (insensitive to other load; "
      "includes waiting on the ring in prodcons).\n")

    for issue, rows in zip((8, 4), targets(res, peers)):
        if not any(r[1] != "–" for r in rows):
            continue
        w("## Issue %d targets (this run)\n" % issue)
        w("Each figure is a throughput ratio (higher is better), from elapsed time and from "
          "CPU time per operation (not inflated by other load on a shared machine).\n")
        w("| target | elapsed | | CPU time | |")
        w("| --- | ---: | --- | ---: | --- |")
        for r in rows:
            if r[1] != "–":
                w("| %s | %s | %s | %s | %s |" % r)
        w("")

    summary = [p for p in MATRIX if ("kmm", p, 1) in res or ("kmm", p, 2) in res]
    if summary and peers:
        w("## Summary: kmm ops/s and kmm ÷ peer at 1, 2 and 32 threads\n")
        w("| pattern | threads | kmm ops/s | " + " | ".join("÷ " + p for p in peers) + " |")
        w("| --- | ---: | ---: |" + " ---: |" * len(peers))
        for pattern in summary:
            for t in (1, 2, 32):
                if ("kmm", pattern, t) not in res:
                    continue
                k = get(res, "kmm", pattern, t)
                w("| %s | %d | %s | %s |" % (pattern, t, fmt_rate(k), " | ".join(
                    fmt(ratio(k, get(res, p, pattern, t))) for p in peers)))
        w("")

    w("## kmm against the peers (ops/s; ratio kmm ÷ peer)\n")
    for pattern in [p for p in MATRIX if any(pp == p for (_, pp, _) in res)]:
        allocs = [a for a in allocs_of(res, pattern) if a in ["kmm", "kmm_nopcp"] + peers]
        if not allocs:
            continue
        w("### %s — %s\n" % (pattern, PATTERNS.get(pattern, "")))
        hdr = ["threads"] + allocs + ["kmm/%s" % p for p in peers if p in allocs]
        w("| " + " | ".join(hdr) + " |")
        w("|" + " ---: |" * len(hdr))
        for t in threads_of(res, pattern):
            cells = [str(t)] + [fmt_rate(get(res, a, pattern, t)) for a in allocs]
            cells += [fmt(ratio(get(res, "kmm", pattern, t), get(res, p, pattern, t)))
                      for p in peers if p in allocs]
            w("| " + " | ".join(cells) + " |")
        if pattern in plots:
            w("\n![%s](%s)" % (pattern, os.path.relpath(plots[pattern], os.path.dirname(path))))
        w("")

    w("## kmm in detail\n")
    w("| pattern | threads | ops/s | ns/op | CPU ns/op | hit | locks/1k ops | shard locks/1k |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (a, p, t) in sorted(k for k in res if k[0] in ("kmm", "kmm_nopcp")):
        f = res[(a, p, t)]
        w("| %s%s | %d | %s | %s | %s | %s | %s | %s |" % (
            p, " (pcp=off)" if a == "kmm_nopcp" else "", t, fmt_rate(f.get("ops_s")),
            fmt(f.get("ns_op"), "%.1f"), fmt(f.get("cpu_ns_op"), "%.1f"),
            fmt(100 * f["hit"], "%.1f%%") if "hit" in f else "–",
            fmt(f.get("locks_1k"), "%.1f"), fmt(f.get("shard_locks_1k"), "%.1f")))
    w("")

    # The issues' own comparisons.
    if any(k[0] == "kmm_nopcp" for k in res):
        w("## Pages: pcp against pcp=off (issues 2, 3)\n")
        w("| order | threads | pcp ops/s | pcp=off ops/s | pcp ÷ off | (by CPU time) | "
          "shard locks/1k pcp | shard locks/1k off | hit (pcp) |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for order in (0, 3, 9):
            p = "page_pair/%d" % order
            for t in threads_of(res, p):
                on, off = res.get(("kmm", p, t), {}), res.get(("kmm_nopcp", p, t), {})
                w("| %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                    order, t, fmt_rate(on.get("ops_s")), fmt_rate(off.get("ops_s")),
                    fmt(ratio(on.get("ops_s"), off.get("ops_s"))),
                    fmt(ratio(off.get("cpu_ns_op"), on.get("cpu_ns_op"))),
                    fmt(on.get("shard_locks_1k"), "%.1f"), fmt(off.get("shard_locks_1k"), "%.1f"),
                    fmt(100 * on["hit"], "%.1f%%") if "hit" in on else "–"))
        w("")
    if any(k[0] == "glibc_same" for k in res):
        w("## kmem_cache against malloc in the same process (issue 4)\n")
        w("| pattern | threads | kmm ops/s | glibc ops/s | kmm ÷ glibc | (by CPU time) | kmm hit |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for p in ("cache_pair/64", "cache_batch_fifo/64", "cache_batch_lifo/64"):
            for t in threads_of(res, p):
                if ("glibc_same", p, t) not in res:
                    continue
                k, g = res.get(("kmm", p, t), {}), res[("glibc_same", p, t)]
                w("| %s | %d | %s | %s | %s | %s | %s |" % (
                    p, t, fmt_rate(k.get("ops_s")), fmt_rate(g.get("ops_s")),
                    fmt(ratio(k.get("ops_s"), g.get("ops_s"))),
                    fmt(ratio(g.get("cpu_ns_op"), k.get("cpu_ns_op"))),
                    fmt(100 * k["hit"], "%.1f%%") if "hit" in k else "–"))
        w("")
    if any(k[0] == "mmap" for k in res):
        w("## vmalloc against mmap (issue 5)\n")
        w("| size | threads | vmalloc ops/s | mmap ops/s | vmalloc ÷ mmap | (by CPU time) | "
          "mmap calls per vmalloc |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for size in ("65536", "1048576", "16777216"):
            p = "vmalloc/" + size
            for t in threads_of(res, p):
                if ("mmap", p, t) not in res:
                    continue
                k, m = res.get(("kmm", p, t), {}), res[("mmap", p, t)]
                w("| %s | %d | %s | %s | %s | %s | %s |" % (
                    size, t, fmt_rate(k.get("ops_s")), fmt_rate(m.get("ops_s")),
                    fmt(ratio(k.get("ops_s"), m.get("ops_s"))),
                    fmt(ratio(m.get("cpu_ns_op"), k.get("cpu_ns_op"))),
                    fmt(k.get("mmap_per_vmalloc"))))
        w("")
    if any(k[0] == "call_rcu" for k in res):
        w("## kfree_rcu against call_rcu + kfree (issue 6)\n")
        w("| threads | kfree_rcu objects/s | call_rcu objects/s | ratio | (by CPU time) | "
          "peak waiting (kfree_rcu) | peak waiting (call_rcu) |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for t in threads_of(res, "kfree_rcu/64"):
            k, c = res.get(("kmm", "kfree_rcu/64", t), {}), res.get(("call_rcu", "kfree_rcu/64", t), {})
            w("| %d | %s | %s | %s | %s | %s | %s |" % (
                t, fmt_rate(k.get("ops_s")), fmt_rate(c.get("ops_s")),
                fmt(ratio(k.get("ops_s"), c.get("ops_s"))),
                fmt(ratio(c.get("cpu_ns_op"), k.get("cpu_ns_op"))),
                fmt(k.get("peak_waiting"), "%.0f"), fmt(c.get("peak_waiting"), "%.0f")))
        w("")
    errs = [(k, f["errors"]) for k, f in res.items() if "errors" in f]
    if errs:
        w("## Failed runs\n")
        for k, e in errs:
            w("- %s/%s threads %d: %s" % (k[0], k[1], k[2], "; ".join(e)))
        w("")
    with open(path, "w") as f:
        f.write("\n".join(L))


def plot(res, out_dir):
    """One PNG per pattern: ops/s against threads, one line per allocator."""
    if not shutil.which("gnuplot"):
        print("bench: gnuplot not found, no plots")
        return {}
    plots = {}
    os.makedirs(out_dir, exist_ok=True)
    for pattern in MATRIX + ["vmalloc/65536", "vmalloc/16777216"]:
        allocs = allocs_of(res, pattern)
        threads = threads_of(res, pattern)
        if not allocs or len(threads) < 2:
            continue
        base = os.path.join(out_dir, pattern.replace("/", "_"))
        with open(base + ".dat", "w") as f:
            f.write("# threads " + " ".join(allocs) + " (ops/s)\n")
            for t in threads:
                vals = [get(res, a, pattern, t) for a in allocs]
                f.write("%d %s\n" % (t, " ".join("%.6g" % v if v else "NaN" for v in vals)))
        lines = ", ".join(
            "'%s.dat' using 1:%d with linespoints lw %d pt 7 lc rgb '%s' title '%s'" % (
                base, i + 2, 3 if a == "kmm" else 2, COLORS.get(a, "#000000"), a)
            for i, a in enumerate(allocs))
        script = "\n".join([
            "set terminal pngcairo size 900,560 noenhanced font 'sans,11'" if gnuplot_has_cairo()
            else "set terminal png size 900,560 noenhanced",
            "set output '%s.png'" % base,
            "set title '%s: %s'" % (pattern, PATTERNS.get(pattern, "").replace("'", "")),
            "set xlabel 'threads (bound to kmm CPUs 0..n-1; %d host cores)'" % os.cpu_count(),
            "set ylabel 'operations per second'",
            "set logscale x 2", "set xtics (%s)" % ", ".join("'%d' %d" % (t, t) for t in threads),
            "set format y '%.1s%c'", "set yrange [0:*]", "set grid",
            "set key outside right top", "set datafile missing 'NaN'",
            "plot " + lines, ""])
        r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if r.returncode == 0:
            plots[pattern] = base + ".png"
        else:
            print("bench: gnuplot failed for %s: %s" % (pattern, r.stderr.strip()))
    return plots


_cairo = None
COLORS = {"kmm": "#7b1fa2", "kmm_nopcp": "#ce93d8", "glibc": "#1565c0", "jemalloc": "#ef6c00",
          "tcmalloc": "#c62828", "mimalloc": "#2e7d32", "mmap": "#616161", "call_rcu": "#00838f",
          "glibc_same": "#64b5f6"}


def gnuplot_has_cairo():
    global _cairo
    if _cairo is None:
        r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _cairo = "pngcairo" in (r.stdout + r.stderr)
    return _cairo


def callgrind(args):
    """Instructions per operation of the single-thread fast paths."""
    cases = ["cache_pair", "cache_batch", "kmalloc_pair", "page_pair"]
    progs = [("kmm", "bench_kmm")] + [(p, "bench_peer_" + p) for p in PEERS]
    n1, n2 = args.cg_iters, 2 * args.cg_iters
    cg_dir = os.path.join(args.out, "callgrind")
    os.makedirs(cg_dir, exist_ok=True)
    res = {}
    for label, exe in progs:
        for case in cases:
            irs = []
            for n in (n1, n2):
                out = os.path.join(cg_dir, "%s-%s-%d.out" % (label, case, n))
                cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=bench_cg_measure",
                       "--callgrind-out-file=" + out, os.path.join(args.build, exe),
                       "--callgrind=" + case, "--iters=%d" % n]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    print("bench: %s --callgrind=%s failed:\n%s" % (exe, case, r.stderr[-2000:]))
                    irs = None
                    break
                irs.append(callgrind_total(out))
            if irs and None not in irs:
                res[(label, case)] = (irs[1] - irs[0]) / (n2 - n1)
                print("callgrind %-9s %-13s %7.1f instructions/op" % (label, case, res[(label, case)]),
                      flush=True)
    L = ["# Instructions per operation (callgrind)\n",
         "- machine: %s; date %s UTC; commit %s" % (machine(), datetime.datetime.utcnow()
                                                    .strftime("%Y-%m-%d %H:%M"), git_commit()),
         "- `valgrind --tool=callgrind --toggle-collect=bench_cg_measure`, one thread: "
         "(Ir(2N) − Ir(N)) / N with N = %d, so warm-up and setup cancel out. One operation "
         "= alloc + write one word + free. Peers run malloc(64)+free for both 64-byte "
         "patterns and aligned_alloc(4096)+free for the page pattern.\n" % n1,
         "| pattern | " + " | ".join(l for l, _ in progs) + " |",
         "| --- |" + " ---: |" * len(progs)]
    names = {"cache_pair": "kmem_cache_alloc+free 64 B",
             "cache_batch": "kmem_cache 64 B, batch of 1000 freed FIFO", "kmalloc_pair": "kmalloc+kfree 64 B",
             "page_pair": "alloc+free order-0 page (pcp)"}
    for case in cases:
        L.append("| %s | %s |" % (names[case], " | ".join(
            fmt(res.get((l, case)), "%.1f") for l, _ in progs)))
    md = os.path.join(args.out, "callgrind.md")
    with open(md, "w") as f:
        f.write("\n".join(L) + "\n")
    with open(os.path.join(args.out, "callgrind.json"), "w") as f:
        json.dump({"iters": [n1, n2], "instructions_per_op":
                   [{"allocator": l, "pattern": c, "instructions": v} for (l, c), v in res.items()]},
                  f, indent=1)
    print("\n" + "\n".join(L[3:]))
    print("\nbench: wrote %s" % md)


def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="directory holding bench_kmm and the peers")
    ap.add_argument("--out", default="bench-out")
    ap.add_argument("--quick", action="store_true", help="threads 1,2,32, short runs")
    ap.add_argument("--suite", default="all", choices=sorted(SUITES))
    ap.add_argument("--reps", type=int, help="repetitions (default 3, quick 2)")
    ap.add_argument("--min-time", type=float, help="seconds per benchmark (default 0.05)")
    ap.add_argument("--threads", help="thread counts, e.g. 1,2,4")
    ap.add_argument("--callgrind", action="store_true", help="instructions per op only")
    ap.add_argument("--cg-iters", type=int, default=20000)
    ap.add_argument("--cmdline", default="./ci/bench", help="shown in results.md")
    ap.add_argument("--report-only", action="store_true",
                    help="no runs: rebuild the table and plots from OUT/raw/*.json")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.callgrind:
        callgrind(args)
        return
    args.reps = args.reps or (2 if args.quick else 3)
    args.min_time = args.min_time or (0.01 if args.quick else 0.05)
    args.threads = ([int(t) for t in args.threads.split(",")] if args.threads
                    else QUICK_THREADS if args.quick else THREADS)

    raw = os.path.join(args.out, "raw")
    t0 = time.time()
    if args.report_only:
        files = sorted(os.path.join(raw, f) for f in os.listdir(raw) if f.endswith(".json"))
    else:
        shutil.rmtree(raw, ignore_errors=True)
        os.makedirs(raw)
        files = run_all(args, make_runners(args, args.suite), raw)
    res, context = aggregate(files)
    plots = plot(res, os.path.join(args.out, "plots"))
    md = os.path.join(args.out, "results.md")
    write_markdown(md, res, context, args, plots, args.cmdline)
    js = os.path.join(args.out, "results.json")
    with open(js, "w") as f:
        json.dump({
            "machine": machine(), "date": datetime.datetime.utcnow().isoformat() + "Z",
            "commit": git_commit(), "command": args.cmdline, "suite": args.suite,
            "reps": args.reps, "min_time": args.min_time, "threads": args.threads,
            "context": context, "raw": [os.path.relpath(f, args.out) for f in files],
            "results": [dict(allocator=a, pattern=p, threads=t, **v)
                        for (a, p, t), v in sorted(res.items())],
        }, f, indent=1)
    print("\nbench: %d benchmarks x %d repetitions in %.0f s" % (
        len(res), args.reps, time.time() - t0))
    print("bench: table   %s" % md)
    print("bench: json    %s (Google Benchmark's own output in %s/)" % (js, raw))
    if plots:
        print("bench: plots   %s/*.png" % os.path.join(args.out, "plots"))


if __name__ == "__main__":
    main()
