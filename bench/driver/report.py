#!/usr/bin/env python3
"""Writes a run's report: markdown tables and gnuplot plots from the JSON
that run.py wrote, with every target of bench/targets.toml the run measured.

    report.py bench-out/results.json                      # -> bench-out/results.md, plots/
    report.py bench-out/results.json --md docs/bench/results.md --plots docs/bench

What each suite shows is declared in suites.py (spec.py's sections).
"""

import argparse
import os
import statistics

import metrics
import plots
import spec
import suites
import targets as targets_mod

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "..", "targets.toml")


def ratio(a, b):
    return a / b if a and b else None


class Report:
    def __init__(self, doc, md_path, plot_dir):
        self.doc, self.md_path, self.plot_dir = doc, md_path, plot_dir
        self.index = targets_mod.index_of(doc["records"])
        self.lines = []
        self.used = set()	# metrics shown, for the glossary
        self.suite_title = self.title = None
        self.ratios = False	# whether any A ÷ B was shown

    def w(self, s=""):
        self.lines.append(s)

    def get(self, alloc, pattern, threads, metric):
        r = self.index.get((alloc, pattern, threads))
        return r["metrics"].get(metric) if r else None

    def has(self, alloc, pattern, threads=None):
        return any(k[0] == alloc and k[1] == pattern and threads in (None, k[2])
                   for k in self.index)

    def threads_of(self, pattern, allocs=None):
        return sorted({t for (a, p, t) in self.index if p == pattern and
                       (allocs is None or a in allocs)})

    def allocs_of(self, pattern):
        return suites.allocator_order({a for (a, p, _) in self.index if p == pattern})

    def show(self, metric, v):
        self.used.add(metric)
        return metrics.get(metric).show(v)

    def image(self, path, alt):
        if path:
            self.w("![%s](%s)\n" % (alt, os.path.relpath(path, os.path.dirname(self.md_path))))

    def table(self, header, rows, align=None):
        self.w("| " + " | ".join(header) + " |")
        self.w("|" + "".join(" %s |" % (a or "---:") for a in (align or [None] * len(header))))
        for r in rows:
            self.w("| " + " | ".join(r) + " |")
        self.w()

    def heading(self, title):
        # A section named as its suite needs no heading of its own.
        if title != self.suite_title:
            self.w("%s %s\n" % ("##" if self.suite_title == self.title else "###", title))

    def plot_base(self, name):
        return os.path.join(self.plot_dir, name.replace("/", "_").replace(" ", "_"))

    # ---- Sections ------------------------------------------------------------------

    def summary(self, sec):
        pats = [p for p in sec.patterns if self.has(sec.subject, p)]
        against = [a for a in sec.against if any(self.has(a, p) for p in pats)]
        threads = [t for t in sec.threads if any(self.has(sec.subject, p, t) for p in pats)]
        if not pats or not against or not threads:
            return
        m = metrics.get(sec.metric)
        self.heading(sec.title)
        self.w("%s %s ÷ each: above 1.00 %s is %s.\n" % (
            sec.subject, m.label, sec.subject,
            "faster" if m.better == "higher" else "higher"))
        rows = []
        for p in pats:
            for t in threads:
                k = self.get(sec.subject, p, t, sec.metric)
                if k is None:
                    continue
                rows.append([p, str(t), self.show(sec.metric, k)] + [
                    metrics.ratio(r) if r else "–"
                    for r in (ratio(k, self.get(a, p, t, sec.metric)) for a in against)])
        self.ratios = True
        self.table(["pattern", "threads", "%s %s" % (sec.subject, m.label)] +
                   ["÷ " + a for a in against], rows, ["---", None, None] + [None] * len(against))
        if sec.bars:
            allocs = [sec.subject] + against
            for t in threads:
                tab = {(p, a): self.get(a, p, t, sec.metric) for p in pats for a in allocs}
                title = "%s and %s, %d thread%s (1 = the best; lower is better)" % (
                    sec.subject, ", ".join(sec.against), t, "s" if t > 1 else "")
                self.image(self.bars("relative_%s_%dt" % (sec.metric, t), title, sec.metric,
                                     pats, allocs, tab), "relative, %d threads" % t)

    def bars(self, name, title, metric, groups, allocs, tab):
        return plots.bars(self.plot_base(name), title, metric, groups, allocs, tab)

    def scaling(self, sec):
        for p in sec.patterns:
            allocs = self.allocs_of(p)
            threads = self.threads_of(p)
            if not allocs:
                continue
            others = [a for a in allocs if a != sec.subject] if sec.subject in allocs else []
            self.w("### %s — %s\n" % (p, suites.PATTERNS.get(p, "")))
            rows = []
            for t in threads:
                k = self.get(sec.subject, p, t, sec.metric)
                rows.append([str(t)] + [self.show(sec.metric, self.get(a, p, t, sec.metric))
                                        for a in allocs] +
                            [metrics.ratio(r) if r else "–"
                             for r in (ratio(k, self.get(a, p, t, sec.metric)) for a in others)])
            self.ratios |= bool(others)
            self.table(["threads"] + allocs + ["%s/%s" % (sec.subject, a) for a in others], rows)
            if len(threads) >= 2:
                self.image(plots.lines(
                    self.plot_base(p), "%s: %s" % (p, suites.PATTERNS.get(p, "")), sec.metric,
                    threads, [(a, [self.get(a, p, t, sec.metric) for t in threads])
                              for a in allocs]), p)

    def compare(self, sec):
        m = metrics.get(sec.metric)
        pats = [p for p in sec.patterns if any(self.has(a, p) for a in sec.against)]
        if not pats or not self.index:
            return
        self.heading(sec.title)
        twin = m.twin
        hdr = ["pattern", "threads", "%s %s" % (sec.subject, m.label)]
        hdr += ["%s %s" % (a, m.label) for a in sec.against]
        for a in sec.against:
            hdr.append("%s ÷ %s" % (sec.subject, a))
            if twin:
                hdr.append("(by CPU time)")
        hdr += ["%s %s" % (a, metrics.get(x).label) for a, x in sec.extra]
        rows = []
        for p in pats:
            for t in self.threads_of(p, [sec.subject] + sec.against):
                r = [p, str(t), self.show(sec.metric, self.get(sec.subject, p, t, sec.metric))]
                r += [self.show(sec.metric, self.get(a, p, t, sec.metric)) for a in sec.against]
                for a in sec.against:
                    for mm in [sec.metric] + ([twin] if twin else []):
                        v = ratio(self.get(sec.subject, p, t, mm), self.get(a, p, t, mm))
                        if v and metrics.get(mm).better == "lower":
                            v = 1 / v	# a throughput ratio either way
                        r.append(metrics.ratio(v) if v else "–")
                        self.used.add(mm)
                r += [self.show(x, self.get(a, p, t, x)) for a, x in sec.extra]
                rows.append(r)
        self.ratios = True
        self.table(hdr, rows, ["---"] + [None] * (len(hdr) - 1))

    def matrix(self, sec):
        allocs = [a for a in sec.allocators if any(self.has(a, p) for p in sec.patterns)]
        pats = [p for p in sec.patterns if any(self.has(a, p) for a in allocs)]
        if not pats:
            return
        m = metrics.get(sec.metric)
        self.heading(sec.title)

        def keep(p):
            return [t for t in self.threads_of(p, allocs) if sec.threads is None or
                    t in sec.threads]
        threads = sorted({t for p in pats for t in keep(p)})
        if sec.relative:
            self.w("Each figure is %s relative to the best of its row: 1.00 is the best, "
                   "2.00 twice as %s.\n" % (m.label, "slow" if m.better == "higher" else
                                            "much"))
        rows = []
        for p in pats:
            for t in keep(p):
                vals = [self.get(a, p, t, sec.metric) for a in allocs]
                if sec.relative and m.better:
                    ok = [v for v in vals if v]
                    best = (max if m.better == "higher" else min)(ok) if ok else None
                    cells = [metrics.ratio(plots.relative(v, best, m.better)) if v and best
                             else "–" for v in vals]
                    self.used.add(sec.metric)
                else:
                    cells = [self.show(sec.metric, v) for v in vals]
                rows.append(["`%s` %s" % (p, suites.PATTERNS.get(p, ""))] +
                            ([str(t)] if len(threads) > 1 else []) + cells)
        self.table(["pattern"] + (["threads"] if len(threads) > 1 else []) + allocs, rows,
                   ["---"] + [None] * (len(allocs) + (len(threads) > 1)))
        if sec.bars:
            for t in threads:
                tab = {(p, a): self.get(a, p, t, sec.metric) for p in pats for a in allocs}
                suffix = "_%dt" % t if len(threads) > 1 else ""
                self.image(self.bars("relative_%s%s" % (sec.metric, suffix),
                                     "%s%s (1 = the best; lower is better)" % (
                                         sec.title, ", %d threads" % t if suffix else ""),
                                     sec.metric, pats, allocs, tab), sec.title)

    SECTIONS = {spec.Summary: summary, spec.Scaling: scaling, spec.Compare: compare,
                spec.Matrix: matrix}

    # ---- Around the sections ---------------------------------------------------------

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
            self.w("- host load average (1 min) at start and end: %s — above zero, other "
                   "work shared the cores and elapsed times are noisy" %
                   " / ".join("%.2f" % x for x in la))
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

    def targets(self, path):
        rows, missing, twin_any = [], 0, False
        for t in targets_mod.load(path):
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
        self.targets(targets_path)
        for name in self.doc["meta"]["suites"]:
            s = suites.by_name(name)
            mark = len(self.lines)
            self.suite_title = s.title
            if s.title != self.title:
                self.w("## %s\n" % s.title)
            body = len(self.lines)
            for sec in s.sections:
                self.SECTIONS[type(sec)](self, sec)
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
    import json
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
