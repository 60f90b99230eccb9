#!/usr/bin/env python3
"""Runs the benchmark suites and writes one JSON of every result, then the
report (report.py) from it.

./ci/bench builds the programs and calls this. A repetition runs every
program once, in the same order (A B C ... A B C ...), so drift of a noisy
machine hits all alike; each figure is the median over the repetitions.
Programs print what they like to the console; the results come only from
the files they write (collect.py).

Output (OUT is bench-out by default): OUT/results.json and results.md, or
OUT/callgrind.json and callgrind.md with --callgrind; OUT/raw/results/ or
OUT/raw/callgrind/ holds every program's own files (Google Benchmark's JSON,
callgrind.out, logs).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

import collect
import report
import spec
import suites

THREADS = [1, 2, 4, 8, 16, 32]
QUICK_THREADS = [1, 2, 32]


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


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def rounded(v):
    """Floats to 6 significant digits: more than any timing here holds."""
    if isinstance(v, float):
        return float("%.6g" % v)
    if isinstance(v, dict):
        return {k: rounded(x) for k, x in v.items()}
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return v


def dump(doc, f):
    """The run's JSON with one record (one process) per line, so that two
    runs' files compare line by line."""
    items = list(rounded(doc).items())
    f.write("{\n")
    for i, (k, v) in enumerate(items):
        if isinstance(v, list) and v:
            text = "[\n%s\n ]" % ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in v)
        else:
            text = json.dumps(v, ensure_ascii=False)
        f.write(" %s: %s%s\n" % (json.dumps(k), text, "," if i + 1 < len(items) else ""))
    f.write("}\n")


# ---- Planning ------------------------------------------------------------------

class GbenchRun:
    """One program's process per repetition: its selections' union."""

    def __init__(self, program, threads, pattern):
        self.program, self.threads, self.filter = program, threads, pattern


def plan_gbench(chosen, cfg, alone):
    """Program name -> GbenchRun. Each selection keeps the suite's focus
    thread counts when the suite runs alone; a program runs the union of
    its selections' thread counts, and a selection that wants fewer gets a
    threads clause in the filter."""
    wanted = {}
    for s in chosen:
        threads = cfg.threads
        if alone and s.focus:
            threads = [t for t in cfg.threads if t in s.focus]
        if not threads:
            print("bench: suite %s runs at %s threads, none asked for" % (
                s.name, ",".join(map(str, s.focus))))
            continue
        for sel in s.select:
            if sel.program not in suites.PROGRAMS:
                sys.exit("bench: suite %s selects from unknown program %s" % (s.name, sel.program))
            wanted.setdefault(sel.program, []).extend((p, tuple(threads)) for p in sel.prefixes)
    runs = {}
    for prog, sels in wanted.items():
        union = sorted({t for _, ts in sels for t in ts})
        alts = []
        for prefix, ts in sels:
            if any(prefix != q and prefix.startswith(q) and ts == us for q, us in sels):
                continue	# a shorter prefix at the same threads takes it
            alt = re.escape(prefix) + ".*"
            if list(ts) != union:
                alt += "/threads:(%s)$" % "|".join(map(str, ts))
            if alt not in alts:
                alts.append(alt)
        runs[prog] = GbenchRun(suites.PROGRAMS[prog], union, "^(%s)" % "|".join(alts))
    return runs


# ---- Running -------------------------------------------------------------------

class Runner:
    def __init__(self, cfg, raw, log_dir):
        self.cfg, self.raw, self.log_dir = cfg, raw, log_dir
        self.samples, self.context, self.processes = [], {}, []
        self.start = time.time()

    def expand(self, s, out_file=""):
        return s.replace("{build}", self.cfg.build).replace("{out}", out_file)

    def process(self, label, argv, tag, env=None, log=None):
        """Runs argv to its end; returns (exit status, wall s, peak RSS KiB)."""
        print("%s %s  (%.0f s)" % (tag, " ".join(argv), time.time() - self.start), flush=True)
        full_env = dict(os.environ, **env) if env else None
        t0 = time.monotonic()
        with open(log, "w") if log else open(os.devnull, "w") as logf:
            sink = logf if log else None
            p = subprocess.Popen(argv, env=full_env, stdout=sink, stderr=sink)
            _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        self.processes.append({"label": label, "tag": tag, "argv": argv, "env": env or {},
                               "exit": p.returncode, "wall_s": round(wall, 3),
                               "max_rss_kib": usage.ru_maxrss, "load_avg": load_average()})
        return p.returncode, wall, usage.ru_maxrss

    def fail(self, argv, rc, log=None):
        if log and os.path.exists(log):
            with open(log) as f:
                sys.stderr.write(f.read()[-3000:])
        sys.exit("bench: %s failed (exit %d)" % (argv[0], rc))

    def gbench(self, run, rep, tag):
        out = os.path.join(self.raw, "%s-r%d.json" % (run.program.name, rep + 1))
        # Line-buffered, so the console shows each benchmark as it ends.
        argv = (["stdbuf", "-oL"] if shutil.which("stdbuf") else []) + [
            os.path.join(self.cfg.build, run.program.path),
            "--threads=" + ",".join(map(str, run.threads))] + run.program.args(self.cfg) + [
            "--benchmark_filter=" + run.filter,
            "--benchmark_min_time=%g" % self.cfg.min_time,
            "--benchmark_color=false", "--benchmark_counters_tabular=false",
            "--benchmark_out=" + out, "--benchmark_out_format=json"]
        rc, _, _ = self.process(run.program.name, argv, tag)
        if rc != 0:
            self.fail(argv, rc)
        samples, ctx = collect.load_gbench(out)
        self.samples += samples
        self.add_context(ctx)

    def add_context(self, ctx):
        if ctx.get("allocator"):
            self.context[ctx["allocator"]] = {k: ctx[k] for k in
                                              ("allocator_version", "kmm_cmdline") if k in ctx}
        host = {k: ctx[k] for k in ("host_name", "num_cpus", "mhz_per_cpu", "library_build_type")
                if k in ctx}
        if host:
            self.context["host"] = host

    def callgrind(self, run, tag):
        exe = os.path.join(self.cfg.build, run.path)
        n1, n2 = self.cfg.cg_iters, 2 * self.cfg.cg_iters
        irs = []
        for n in (n1, n2):
            out = os.path.join(self.raw, "%s-%s-%d.callgrind.out" % (run.label, run.case, n))
            log = os.path.join(self.log_dir, "%s-%s-%d.log" % (run.label, run.case, n))
            argv = ["valgrind", "--tool=callgrind", "--toggle-collect=bench_cg_measure",
                    "--callgrind-out-file=" + out, exe, "--callgrind=" + run.case,
                    "--iters=%d" % n]
            env = {k: self.expand(v) for k, v in run.env.items()}
            rc, _, _ = self.process("callgrind " + run.label, argv, tag, env=env, log=log)
            if rc != 0:
                self.fail(argv, rc, log)
            irs.append(collect.callgrind_total(out))
        v = (irs[1] - irs[0]) / (n2 - n1)
        print("%s %s %s: %.1f instructions/op" % (tag, run.label, run.case, v), flush=True)
        self.samples.append({"allocator": run.label, "pattern": run.case, "threads": 1,
                             "counters": {"instructions": v}})

    def command(self, run, rep, tag):
        out = os.path.join(self.raw, "%s-%s-t%d-r%d.json" % (
            run.label, re.sub(r"[^\w.-]", "_", run.pattern or "run"), run.threads, rep + 1))
        argv = [self.expand(a, out) for a in run.argv]
        env = {k: self.expand(v, out) for k, v in run.env.items()}
        rc, wall, rss = self.process("%s %s, %d threads" % (run.label, run.pattern, run.threads),
                                     argv, tag, env=env)
        key = {"allocator": run.label, "pattern": run.pattern, "threads": run.threads}
        if rc != 0:
            self.samples.append(dict(key, error="exit %d" % rc))
        elif run.json:
            samples, ctx = collect.load_records(out)
            self.samples += samples
            self.add_context(ctx)
        else:
            self.samples.append(dict(key, counters={"wall_s": wall, "max_rss_kib": rss}))


def run_all(cfg, chosen, alone, raw):
    shutil.rmtree(raw, ignore_errors=True)
    os.makedirs(raw)
    log_dir = os.path.join(raw, "logs")
    os.makedirs(log_dir)
    gb = list(plan_gbench(chosen, cfg, alone).values())
    other = [r for s in chosen for r in s.runs(cfg)]
    reps = cfg.reps if gb or any(isinstance(r, spec.Command) and r.repeat for r in other) else 1
    r = Runner(cfg, raw, log_dir)
    nrun = len(gb) * reps + sum(
        (2 if isinstance(x, spec.Callgrind) else 1) *
        (reps if isinstance(x, spec.Command) and x.repeat else 1) for x in other)
    k = 0

    def tag(rep, n=1):
        nonlocal k
        k += n
        return "[%d/%d rep %d]" % (k, nrun, rep + 1)

    for rep in range(reps):
        for g in gb:
            r.gbench(g, rep, tag(rep))
        for x in other:
            if isinstance(x, spec.Callgrind) and rep == 0:
                r.callgrind(x, tag(rep, 2))
            elif isinstance(x, spec.Command) and (rep == 0 or x.repeat):
                r.command(x, rep, tag(rep))
    return r, reps


def choose(suite, callgrind):
    """(mode, suites) for --suite and --callgrind."""
    cg = [s for s in suites.SUITES if s.mode == "callgrind"]
    if callgrind or suite in [s.name for s in cg]:
        return "callgrind", [s for s in cg if s.name == suite] or cg
    if suite == "all":
        return "timed", [s for s in suites.SUITES if s.mode == "timed"]
    return "timed", [suites.by_name(suite)]


def build_targets(chosen, cfg):
    """The CMake targets the chosen suites run."""
    out = []
    for s in chosen:
        names = [os.path.basename(suites.PROGRAMS[sel.program].path) for sel in s.select]
        names += [os.path.basename(r.path) for r in s.runs(cfg) if isinstance(r, spec.Callgrind)]
        for n in names + s.build:
            if n not in out:
                out.append(n)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build/release", help="the CMake build directory")
    ap.add_argument("--out", default="bench-out")
    ap.add_argument("--quick", action="store_true", help="threads 1,2,32, short runs")
    ap.add_argument("--suite", default="all",
                    help="all (every timed suite) or one of: " +
                    ", ".join(s.name for s in suites.SUITES))
    ap.add_argument("--reps", type=int, help="repetitions (default 3, quick 2)")
    ap.add_argument("--min-time", type=float, help="seconds per benchmark (default 0.05)")
    ap.add_argument("--threads", help="thread counts, e.g. 1,2,4")
    ap.add_argument("--callgrind", action="store_true",
                    help="instructions per operation under callgrind (the callgrind suites)")
    ap.add_argument("--cg-iters", type=int, default=20000)
    ap.add_argument("--cmdline", default=None, help="the command shown in the report")
    ap.add_argument("--print-targets", action="store_true",
                    help="print the CMake targets the chosen suites need, and exit")
    args = ap.parse_args()

    try:
        mode, chosen = choose(args.suite, args.callgrind)
    except KeyError as e:
        ap.error(str(e.args[0]))
    threads = ([int(t) for t in args.threads.split(",")] if args.threads
               else QUICK_THREADS if args.quick else THREADS)
    cfg = spec.Config(args.build, threads, quick=args.quick,
                      reps=args.reps or (2 if args.quick else 3),
                      min_time=args.min_time or (0.01 if args.quick else 0.05),
                      cg_iters=args.cg_iters)
    if args.print_targets:
        print(" ".join(build_targets(chosen, cfg)))
        return
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    date = datetime.datetime.now(datetime.timezone.utc)
    load0 = load_average()
    stem = "callgrind" if mode == "callgrind" else "results"
    raw = os.path.join(args.out, "raw", stem)
    runner, reps = run_all(cfg, chosen, args.suite != "all", raw)
    records = collect.aggregate(runner.samples)
    doc = {
        "format": 1,
        "meta": {
            "machine": machine(), "date": date.strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git_commit(), "mode": mode,
            "command": args.cmdline or "run.py " + " ".join(sys.argv[1:]),
            "suites": [s.name for s in chosen], "alone": args.suite != "all",
            "reps": reps, "min_time": cfg.min_time, "threads": cfg.threads,
            "quick": cfg.quick, "cg_iters": cfg.cg_iters,
            "load_avg": [load0, load_average()], "seconds": round(time.time() - t0),
        },
        "context": runner.context,
        "records": records,
        "processes": runner.processes,
    }
    js = os.path.join(args.out, stem + ".json")
    with open(js, "w") as f:
        dump(doc, f)
    md = report.write(doc, os.path.join(args.out, stem + ".md"), os.path.join(args.out, "plots"))
    print("\nbench: %d records from %d processes in %.0f s" % (
        len(records), len(runner.processes), time.time() - t0))
    print("bench: json    %s (each program's own output in %s/)" % (js, raw))
    print("bench: report  %s" % md)
    bad = [r for r in records if r.get("errors") or r["metrics"].get("kmm_reports")]
    for r in bad:
        print("bench: %s %s threads %d: %s" % (r["allocator"], r["pattern"], r["threads"],
              "; ".join(r.get("errors", [])) or "%d kmm reports" % r["metrics"]["kmm_reports"]))
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
