"""What kmm aims for, as data: bench/targets.toml, read by the report.

A target is a figure of a run and a bound it should hold:

    [[target]]
    name = "kmem_cache pair ÷ fastest peer, 1 thread"
    pattern = "cache_pair/64"    # a record's pattern
    threads = 1                  # and thread count
    metric = "ops_s"             # a metric of metrics.py ([defaults] gives one)
    value = "kmm"                # an allocator, or "best of GROUP" / "best of a b c"
    over = "best of peers"       # optional: the figure is value ÷ over
    holds = ">= 1.0"             # >=, <=, > or < a number

value and over may be tables that override the target's fields for that
side: { of = "kmm", threads = 2 }. "best" is the highest figure of the
named allocators for a metric where higher is better, the lowest otherwise.
When the metric has a twin (ops_s: throughput by CPU time), the report
shows the target by the twin too.
"""

import operator
import tomllib

import metrics

OPS = {">=": (operator.ge, "≥"), "<=": (operator.le, "≤"), ">": (operator.gt, ">"),
       "<": (operator.lt, "<")}


class TargetError(ValueError):
    pass


class Side:
    """One side of a target: whose figure, of which pattern, threads, metric."""

    def __init__(self, spec, target, groups):
        if isinstance(spec, str):
            spec = {"of": spec}
        unknown = set(spec) - {"of", "pattern", "threads", "metric"}
        if unknown or "of" not in spec:
            raise TargetError("%s: a side is a name or {of, pattern, threads, metric}" %
                              target["name"])
        of = spec["of"].split()
        self.best = of[:2] == ["best", "of"]
        names = of[2:] if self.best else of
        if self.best and len(names) == 1 and names[0] in groups:
            names = groups[names[0]]
        if not names or (not self.best and len(names) > 1):
            raise TargetError("%s: '%s' names no allocator, or several without 'best of'" %
                              (target["name"], spec["of"]))
        self.allocators = names
        self.pattern = spec.get("pattern", target.get("pattern"))
        self.threads = spec.get("threads", target.get("threads"))
        self.metric = spec.get("metric")
        if self.pattern is None or self.threads is None:
            raise TargetError("%s: no pattern or threads" % target["name"])
        if self.metric:
            metrics.get(self.metric)

    def figure(self, index, metric):
        """(value, allocator) from index[(allocator, pattern, threads)], or (None, None)."""
        metric = self.metric or metric
        vals = [(index[k]["metrics"][metric], a) for a in self.allocators
                for k in [(a, self.pattern, self.threads)]
                if k in index and metric in index[k]["metrics"]]
        if not vals:
            return None, None
        if not self.best:
            return vals[0]
        pick = max if metrics.get(metric).better == "higher" else min
        return pick(vals, key=lambda v: v[0])


class Target:
    def __init__(self, t, defaults, groups):
        t = dict(defaults, **t)
        if "name" not in t or "value" not in t or "holds" not in t:
            raise TargetError("a target needs name, value and holds: %r" % t)
        self.name = t["name"]
        self.metric = t.get("metric", "ops_s")
        metrics.get(self.metric)
        self.value = Side(t["value"], t, groups)
        self.over = Side(t["over"], t, groups) if "over" in t else None
        parts = t["holds"].split()
        if len(parts) != 2 or parts[0] not in OPS:
            raise TargetError("%s: holds '%s' is not '<op> <number>'" % (self.name, t["holds"]))
        self.op, self.symbol = OPS[parts[0]]
        try:
            self.bound = float(parts[1])
        except ValueError:
            raise TargetError("%s: bound '%s' is not a number" % (self.name, parts[1]))
        self.bound_text = parts[1]
        explicit = self.value.metric or (self.over and self.over.metric)
        self.twin = None if explicit else metrics.get(self.metric).twin

    def title(self):
        return "%s, %s %s" % (self.name, self.symbol, self.bound_text)

    def measure(self, index, metric=None):
        """(figure, holds, who) for one metric (the target's by default):
        figure None when the run lacks a side; who names the allocators
        that "best of" picked."""
        metric = metric or self.metric
        v, va = self.value.figure(index, metric)
        who = [va] if self.value.best and va else []
        if self.over:
            o, oa = self.over.figure(index, metric)
            if self.over.best and oa:
                who.append(oa)
            v = v / o if v is not None and o else None
        return v, (None if v is None else self.op(v, self.bound)), who


def load(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    groups = data.get("groups", {})
    defaults = data.get("defaults", {})
    return [Target(t, defaults, groups) for t in data.get("target", [])]


def index_of(records):
    return {(r["allocator"], r["pattern"], r["threads"]): r for r in records}
