"""Turns what the programs wrote into samples, and samples into records.

A sample is one repetition's figures for one key:
    {"allocator", "pattern", "threads", "counters": {...}} or, for a run
    that failed, {"allocator", "pattern", "threads", "error": "..."}.
A record is the median of a key's samples (see aggregate()).

Sources, all files (nothing is read from a program's console):
- Google Benchmark's JSON (--benchmark_out_format=json): benchmarks named
  "<allocator>/<pattern>/manual_time/threads:<n>" (bench/bench.h);
- callgrind's output file (its "totals:" or "summary:" line);
- a program's own records JSON (spec.Command with json=True).
"""

import json
import re
import statistics

import metrics

TIME_UNIT_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}

# Google Benchmark's own fields of a benchmark entry; every other number is
# a counter the program set.
GBENCH_FIELDS = {"family_index", "per_family_instance_index", "repetitions",
                 "repetition_index", "threads", "iterations", "real_time", "cpu_time"}

NAME_SUFFIX = re.compile(r"/(manual_time|real_time|process_time|threads:\d+|iterations:\d+"
                         r"|min_time:[\d.]+s?|repeats:\d+).*$")


def split_name(name):
    """'kmm/cache_pair/64/manual_time/threads:2' -> ('kmm', 'cache_pair/64')."""
    base = NAME_SUFFIX.sub("", name)
    if "/" not in base:
        return None
    allocator, pattern = base.split("/", 1)
    return allocator, pattern


def gbench_samples(data):
    """Samples and context of one Google Benchmark JSON document."""
    ctx = data.get("context", {})
    samples = []
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        key = split_name(b["name"])
        if not key:
            continue
        s = {"allocator": key[0], "pattern": key[1], "threads": int(b.get("threads", 1))}
        if b.get("error_occurred"):
            s["error"] = b.get("error_message", "error")
        else:
            c = {k: v for k, v in b.items()
                 if k not in GBENCH_FIELDS and isinstance(v, (int, float))
                 and not isinstance(v, bool)}
            c["threads"] = s["threads"]
            if ctx.get("num_cpus"):
                c["num_cpus"] = ctx["num_cpus"]
            if "cpu_time" in b and c.get("ops"):
                # cpu_time is per iteration over all threads.
                c["cpu_ns_op"] = (b["cpu_time"] * TIME_UNIT_NS.get(b.get("time_unit"), 1) *
                                  b.get("iterations", 0) / c["ops"])
            s["counters"] = c
        samples.append(s)
    return samples, ctx


def load_gbench(path):
    with open(path) as f:
        return gbench_samples(json.load(f))


def callgrind_total(path):
    """Instructions executed under collection, from a callgrind.out file."""
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ValueError("%s: no totals line" % path)


def load_records(path):
    """A program's own records JSON -> samples and context."""
    with open(path) as f:
        data = json.load(f)
    samples = []
    for i, r in enumerate(data.get("records", [])):
        missing = {"allocator", "pattern", "threads"} - set(r)
        if missing:
            raise ValueError("%s: record %d lacks %s" % (path, i, ", ".join(sorted(missing))))
        s = {"allocator": r["allocator"], "pattern": r["pattern"], "threads": int(r["threads"])}
        if r.get("error"):
            s["error"] = str(r["error"])
        else:
            s["counters"] = dict(r.get("metrics", {}), threads=s["threads"])
        samples.append(s)
    return samples, data.get("context", {})


def aggregate(samples):
    """Samples -> records sorted by key: each metric the median over the
    repetitions, with every repetition's value kept in "samples"."""
    by_key = {}
    for s in samples:
        by_key.setdefault((s["allocator"], s["pattern"], s["threads"]), []).append(s)
    records = []
    for (alloc, pattern, threads), group in sorted(by_key.items()):
        reps = [metrics.derive_all(s["counters"]) for s in group if "error" not in s]
        rec = {"allocator": alloc, "pattern": pattern, "threads": threads,
               "reps": len(reps), "metrics": {}, "samples": {}}
        for name in metrics.METRICS:
            vals = [r[name] for r in reps if name in r]
            if vals:
                rec["metrics"][name] = statistics.median(vals)
                rec["samples"][name] = vals
        errors = [s["error"] for s in group if "error" in s]
        if errors:
            rec["errors"] = errors
        records.append(rec)
    return records
