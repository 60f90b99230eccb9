#!/usr/bin/env python3
"""Writes a run's report: markdown tables and gnuplot plots from the JSON
that run.py wrote, with every target of bench/targets.toml the run measured.

    report.py bench-out/results.json                      # -> bench-out/results.md, plots/
    report.py bench-out/results.json --md docs/bench/results.md --plots docs/bench

What each suite shows is declared in suites.py (spec.py's sections).
"""

import argparse
import json
import os
import statistics

import metrics
import sections
import suites
import targets

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "..", "targets.toml")


class Report(sections.Page):
    """The whole document: header, targets, each suite's sections, the rest."""

    def header(self):
        meta, ctx = self.doc["meta"], self.doc.get("context", {})
        chosen = [suites.by_name(n) for n in meta["suites"]]
        self.title = ("kmm benchmark results" if meta["mode"] != "callgrind"
                      else " / ".join(s.title for s in chosen))
        self.w("# %s\n" % self.title)
        self.w("- machine: %s" % meta["machine"])
        self.w("- date: %s, commit %s" % (meta["date"], meta["commit"]))
        self.w("- command: `%s`" % meta["command"])
        la = [x for x in meta.get("load_avg", []) if x is not None]
        if la and meta["mode"] != "callgrind":
            self.w("- host load average (1 min) before and after the run: %s (before it, "
                   "anything above 0 is other work sharing the cores: elapsed times are then "
                   "noisy)" % " / ".join("%.2f" % x for x in la))
        if meta["mode"] == "callgrind":
            self.w("- `valgrind --tool=callgrind --toggle-collect=bench_cg_measure`, one thread, "
                   "N = %d: instruction counts are deterministic. One operation = alloc + write "
                   "one word + free." % meta["cg_iters"])
        else:
            self.w("- %d repetitions alternated across processes (A B … A B …), each figure "
                   "the median; min time %g s per benchmark; threads %s" % (
                       meta["reps"], meta["min_time"], ",".join(map(str, meta["threads"]))))
        for a in suites.allocator_order(set(ctx) - {"host"}):
            self.w("- %s: %s" % (a, ", ".join("%s %s" % kv for kv in ctx[a].items())))
        host = ctx.get("host", {})
        if host.get("library_build_type"):
            self.w("- Google Benchmark library build: %s (its overhead is outside the timed "
                   "batches)" % host["library_build_type"])
        self.w()

    def target_table(self, path):
        rows, missing, twin_any = [], 0, False
        for t in targets.load(path):
            v, ok, who = t.measure(self.index)
            if v is None:
                missing += 1
                continue
            self.used.add(t.metric)
            tv, tok, twho = t.measure(self.index, t.twin) if t.twin else (None, None, [])
            twin_any |= tv is not None
            rows.append((t, v, ok, who, tv, tok, twho))
        if not rows:
            return
        self.w("## Targets\n")
        self.w("Each target is a figure of this run and the bound it should hold "
               "(bench/targets.toml)%s.\n" % (
                   "; a throughput ratio is given by elapsed time and by CPU time per "
                   "operation, which other load on a shared machine does not inflate"
                   if twin_any else ""))

        def fig(t, v, who):
            text = metrics.ratio(v) if t.over else metrics.get(t.metric).show(v)
            return text + (" (%s)" % ", ".join(who) if who else "")

        def verdict(ok):
            return "–" if ok is None else ("yes" if ok else "**no**")
        hdr = ["target", "figure", "holds"] + (["by CPU time", "holds"] if twin_any else [])
        body = []
        for t, v, ok, who, tv, tok, twho in rows:
            r = [t.title(), fig(t, v, who), verdict(ok)]
            if twin_any:
                r += [fig(t, tv, twho) if tv is not None else "–", verdict(tok)]
            self.ratios |= t.over is not None
            body.append(r)
        self.table(hdr, body, ["---", None, "---"] + ([None, "---"] if twin_any else []))
        held = sum(1 for r in rows if r[2])
        self.w("%d of %d measured targets hold%s.\n" % (
            held, len(rows), "; %d more need records this run did not make" % missing
            if missing else ""))

    def detail(self):
        recs = [r for r in self.doc["records"] if r["allocator"] in ("kmm", "kmm_nopcp")
                and "ops_s" in r["metrics"]]
        if not recs:
            return
        skip = {"cpu_ops_s", "kmm_reports", "instructions"}
        cols = [m for m in metrics.METRICS if m not in skip and any(m in r["metrics"]
                                                                    for r in recs)]
        self.w("## kmm in detail\n")
        rows = [["%s%s" % (r["pattern"], " (pcp=off)" if r["allocator"] == "kmm_nopcp" else ""),
                 str(r["threads"])] + [self.show(m, r["metrics"].get(m)) for m in cols]
                for r in sorted(recs, key=lambda r: (r["pattern"], r["allocator"], r["threads"]))]
        self.table(["pattern", "threads"] + [metrics.get(m).label for m in cols], rows,
                   ["---"] + [None] * (len(cols) + 1))

    def processes(self):
        procs = self.doc.get("processes", [])
        if not procs:
            return
        groups = {}
        for p in procs:
            groups.setdefault(p.get("label") or os.path.basename(p["argv"][0]), []).append(p)
        self.w("## Processes\n")
        self.table(["run", "processes", "median s", "peak RSS MiB", "failed"], [
            [n, str(len(g)), "%.1f" % statistics.median(p["wall_s"] for p in g),
             metrics.mib_of_kib(max(p["max_rss_kib"] for p in g)),
             str(sum(1 for p in g if p["exit"]))]
            for n, g in groups.items()], ["---", None, None, None, None])

    def problems(self):
        bad = [r for r in self.doc["records"] if r.get("errors") or
               r["metrics"].get("kmm_reports")]
        if not bad:
            return
        self.w("## Failed runs and kmm reports\n")
        for r in bad:
            what = list(r.get("errors", []))
            if r["metrics"].get("kmm_reports"):
                what.append("%d kmm reports" % r["metrics"]["kmm_reports"])
            self.w("- %s %s, %d threads: %s" % (r["allocator"], r["pattern"], r["threads"],
                                               "; ".join(what)))
        self.w()

    def glossary(self):
        self.w("## What the figures mean\n")
        for name in metrics.METRICS:
            if name in self.used:
                m = metrics.get(name)
                self.w("- **%s**: %s%s." % (m.label, m.doc, "" if not m.better else
                                              " (%s is better)" % m.better))
        if self.ratios:
            self.w("- **A ÷ B** of throughputs: above 1.00 A is faster. Threads are bound to "
                   "kmm CPUs 0..n-1; more threads than host cores share them.")
        self.w()

    def render(self, targets_path):
        self.header()
        self.target_table(targets_path)
        for name in self.doc["meta"]["suites"]:
            s = suites.by_name(name)
            mark = len(self.lines)
            self.suite_title, self.suite_name = s.title, s.name
            if s.title != self.title:
                self.w("## %s\n" % s.title)
            body = len(self.lines)
            for sec in s.sections:
                self.section(sec)
            if len(self.lines) == body:
                del self.lines[mark:]
        self.detail()
        self.problems()
        self.glossary()
        self.processes()
        return "\n".join(self.lines).rstrip() + "\n"


def write(doc, md_path, plot_dir, targets_path=TARGETS):
    os.makedirs(os.path.dirname(os.path.abspath(md_path)), exist_ok=True)
    text = Report(doc, md_path, plot_dir).render(targets_path)
    with open(md_path, "w") as f:
        f.write(text)
    return md_path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json", help="results.json or callgrind.json of a run")
    ap.add_argument("--md", help="the report to write (default: beside the JSON)")
    ap.add_argument("--plots", help="directory of the plots (default: plots/ beside the JSON)")
    ap.add_argument("--targets", default=TARGETS)
    args = ap.parse_args()
    with open(args.json) as f:
        doc = json.load(f)
    base = os.path.dirname(args.json)
    md = args.md or os.path.splitext(args.json)[0] + ".md"
    print(write(doc, md, args.plots or os.path.join(base, "plots"), args.targets))


if __name__ == "__main__":
    main()
