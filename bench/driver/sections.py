"""The report's sections (spec.py's Summary, Scaling, Compare, Matrix),
written onto a Page: the markdown being built, with lookups into the run's
records and the plots it links."""

import os

import metrics
import plots
import spec
import suites
import targets


def ratio(a, b):
    return a / b if a and b else None


class Page:
    """The markdown being written, with lookups into the run's records."""

    def __init__(self, doc, md_path, plot_dir):
        self.doc, self.md_path, self.plot_dir = doc, md_path, plot_dir
        self.index = targets.index_of(doc["records"])
        self.lines = []
        self.used = set()	# metrics shown, for the glossary
        self.suite_title = self.title = None
        self.suite_name = ""	# names the suite's bar plots
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
                name = "%s_relative_%s_%dt" % (self.suite_name, sec.metric, t)
                self.image(self.bars(name, title, sec.metric, pats, allocs, tab),
                           "relative to the best, %d thread%s" % (t, "s" if t > 1 else ""))

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
                self.image(self.bars("%s_relative_%s%s" % (self.suite_name, sec.metric, suffix),
                                     "%s%s (1 = the best; lower is better)" % (
                                         sec.title, ", %d threads" % t if suffix else ""),
                                     sec.metric, pats, allocs, tab), sec.title)

    def section(self, sec):
        {spec.Summary: self.summary, spec.Scaling: self.scaling, spec.Compare: self.compare,
         spec.Matrix: self.matrix}[type(sec)](sec)


KINDS = (spec.Summary, spec.Scaling, spec.Compare, spec.Matrix)
