"""The report's plots, drawn by gnuplot: a line per allocator against
threads, and mimalloc-bench's bars relative to the best. Each returns the
PNG's path, or None (no gnuplot, or gnuplot failed: said on stderr)."""

import os
import shutil
import subprocess
import sys

import metrics
import suites

_terminal = None


def terminal(width, height):
    global _terminal
    if _terminal is None:
        r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _terminal = "pngcairo" if "pngcairo" in r.stdout + r.stderr else "png"
    return "set terminal %s size %d,%d noenhanced%s" % (
        _terminal, width, height, " font 'sans,11'" if _terminal == "pngcairo" else "")


def colour(allocator, i):
    return suites.ALLOCATORS.get(allocator) or ["#424242", "#8d6e63", "#9e9d24", "#5c6bc0"][i % 4]


def quote(s):
    return s.replace("'", "")


def datablock(rows):
    return ["$data << EOD"] + rows + ["EOD"]


def gnuplot(base, script):
    if not shutil.which("gnuplot"):
        return None
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        sys.stderr.write("bench: gnuplot failed for %s: %s\n" % (base, r.stderr.strip()))
        return None
    return base + ".png"


def lines(base, title, metric, threads, series):
    """series: [(allocator, [value or None per thread count])]."""
    m = metrics.get(metric)
    data = ["%d %s" % (t, " ".join("%.6g" % v[i] if v[i] else "NaN" for _, v in series))
            for i, t in enumerate(threads)]
    plot = ", ".join(
        "$data using 1:%d with linespoints lw %d pt 7 lc rgb '%s' title '%s'" % (
            i + 2, 3 if a == "kmm" else 2, colour(a, i), a)
        for i, (a, _) in enumerate(series))
    return gnuplot(base, "\n".join(datablock(data) + [
        terminal(900, 560), "set output '%s.png'" % base, "set title '%s'" % quote(title),
        "set xlabel 'threads (bound to kmm CPUs 0..n-1; %d host cores)'" % os.cpu_count(),
        "set ylabel '%s'" % m.label, "set logscale x 2",
        "set xtics (%s)" % ", ".join("'%d' %d" % (t, t) for t in threads),
        "set format y '%.1s%c'", "set yrange [0:*]", "set grid",
        "set key outside right top", "set datafile missing 'NaN'", "plot " + plot, ""]))


CAP = 3.0


def relative(value, best, better):
    """How far from the best, as mimalloc-bench draws it: 1 is the best,
    2 is twice the time (half the throughput) or twice the memory."""
    return best / value if better == "higher" else value / best


def bars(base, title, metric, groups, allocators, table):
    """Clustered bars: one cluster per group (pattern), one bar per
    allocator, each figure relative to the best of its cluster; bars above
    CAP are cut there and labelled with their value. table[(group,
    allocator)] is the metric's value."""
    m = metrics.get(metric)
    rel = {}
    for g in groups:
        vals = {a: table[(g, a)] for a in allocators if table.get((g, a))}
        if vals:
            best = (max if m.better == "higher" else min)(vals.values())
            for a, v in vals.items():
                rel[(g, a)] = relative(v, best, m.better)
    groups = [g for g in groups if any((g, a) in rel for a in allocators)]
    allocators = [a for a in allocators if any((g, a) in rel for g in groups)]
    if not groups or len(allocators) < 2:
        return None
    data = ["%s %s" % (g.replace(" ", "_"), " ".join(
        "%.4g" % rel[(g, a)] if (g, a) in rel else "NaN" for a in allocators)) for g in groups]
    n = len(allocators)
    width = 0.8 / n
    plot = []
    for i, a in enumerate(allocators):
        x = "($0 + %.4f)" % ((i - (n - 1) / 2) * width)
        col = "column(%d)" % (i + 2)
        plot.append("$data using %s:(%s > %g ? %g : %s)%s with boxes fs solid 0.85 "
                    "lc rgb '%s' title '%s'" % (x, col, CAP, CAP, col,
                                                ":xtic(1)" if i == 0 else "", colour(a, i), a))
        plot.append("$data using %s:(%g):(%s > %g ? sprintf('%%.3g', %s) : '') with labels "
                    "rotate by 90 right offset 0,-0.3 font ',8' notitle" % (x, CAP, col, CAP, col))
    return gnuplot(base, "\n".join(datablock(data) + [
        terminal(max(700, 110 * len(groups) * max(1, n // 3) + 220), 520),
        "set output '%s.png'" % base,
        "set title '%s'" % quote(title),
        "set ylabel '%s'" % (
            "time per operation relative to the best (best %s ÷ %s)" % (m.label, m.label)
            if m.better == "higher" else "%s relative to the best (÷ best)" % m.label),
        "set yrange [0:%g]" % (CAP * 1.05), "set boxwidth %.4f" % (width * 0.95),
        "set style fill solid border -1", "set grid ytics", "set xtics rotate by -25",
        "set xrange [-0.6:%g]" % (len(groups) - 0.4), "set key outside right top",
        "set datafile missing 'NaN'", "plot " + ", ".join(plot), ""]))
