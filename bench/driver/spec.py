"""The vocabulary of bench/driver/suites.py: programs, what a suite runs and
what its part of the report shows. Plain data; run.py executes the runs,
report.py renders the sections.

Every result is a record keyed by (allocator, pattern, threads) with a dict
of metrics (metrics.py); sections select records by those keys.
"""


class Config:
    """What one invocation asked for (run.py fills it from the command line)."""

    def __init__(self, build, threads, quick=False, reps=1, min_time=0.05, cg_iters=20000):
        self.build = build		# the CMake build directory (build/release)
        self.threads = threads		# thread counts, e.g. [1, 2, 32]
        self.quick = quick
        self.reps = reps
        self.min_time = min_time
        self.cg_iters = cg_iters


# ---- What runs -------------------------------------------------------------

class Program:
    """A Google Benchmark program: `path` relative to the build directory
    (its file name is its CMake target); `args(cfg)` its own flags. Each
    program runs once per repetition with the union of its suites'
    selections as --benchmark_filter, writing Google Benchmark's JSON
    (--benchmark_out)."""

    def __init__(self, name, path, args=None):
        self.name, self.path = name, path
        self.args = args or (lambda cfg: [])


class Select:
    """Benchmarks of one program, by name prefix ("kmm/page_pair/" is every
    order and thread count of kmm's page pattern)."""

    def __init__(self, program, *prefixes):
        self.program, self.prefixes = program, prefixes


class Callgrind:
    """One program (path as Program's) run twice under callgrind in its --callgrind=CASE mode,
    with N and 2N operations: the record (label, case, 1) gets
    instructions = (Ir(2N) - Ir(N)) / N. `env` as Command's (e.g. LD_PRELOAD)."""

    def __init__(self, label, path, case, env=None):
        self.label, self.path, self.case, self.env = label, path, case, env or {}


class Command:
    """Any program. "{build}" and "{out}" in argv and env values expand to
    the build directory and a fresh output file. With json=True the program
    writes its own records to {out}:

        {"context": {...}, "records": [{"allocator": "kmm", "pattern": "boot",
          "threads": 1, "metrics": {"wall_s": 0.003, "max_rss_kib": 2100}}]}

    (metrics named as in metrics.py, raw counters allowed); otherwise the
    record (label, pattern, threads) gets the process's own wall time and
    peak RSS, measured by the runner. Repeated like every run unless
    repeat=False."""

    def __init__(self, label, argv, pattern=None, threads=1, env=None, json=False,
                 repeat=True):
        self.label, self.argv, self.pattern, self.threads = label, argv, pattern, threads
        self.env, self.json, self.repeat = env or {}, json, repeat


class Suite:
    """One entry of the registry.

    name      what --suite takes
    title     the report's heading for it
    select    Select()s of Google Benchmark programs
    runs      cfg -> [Callgrind | Command]: every other kind of run
    sections  what the report shows (the classes below)
    focus     thread counts kept when this suite runs alone (--suite NAME);
              the full run uses every thread count
    mode      "timed" (part of the full run) or "callgrind" (--callgrind)
    build     CMake targets its runs need beyond the programs it selects
              (./ci/bench builds what the chosen suites need)
    """

    def __init__(self, name, title, select=(), runs=None, sections=(), focus=None,
                 mode="timed", build=()):
        self.name, self.title, self.select = name, title, list(select)
        self.runs = runs or (lambda cfg: [])
        self.sections, self.focus, self.mode = list(sections), focus, mode
        self.build = list(build)


# ---- What the report shows ----------------------------------------------------

class Summary:
    """Per pattern and thread count: the subject's metric and subject ÷ each
    of `against`; with bars, one plot per thread count of every allocator's
    figure relative to the best (mimalloc-bench's style: best = 1, lower is
    better)."""

    def __init__(self, title, patterns, subject, against, threads, metric="ops_s", bars=True):
        self.title, self.patterns, self.subject, self.against = title, patterns, subject, against
        self.threads, self.metric, self.bars = threads, metric, bars


class Scaling:
    """Per pattern: the metric of every allocator present at every thread
    count, subject ÷ each other one, and a line plot against threads."""

    def __init__(self, patterns, subject="kmm", metric="ops_s"):
        self.patterns, self.subject, self.metric = patterns, subject, metric


class Compare:
    """Subject against alternatives of the same process: per pattern and
    thread count, the metric of each, subject ÷ each (also by its twin, e.g.
    CPU time), and `extra` figures as (allocator, metric) pairs."""

    def __init__(self, title, patterns, subject, against, extra=(), metric="ops_s"):
        self.title, self.patterns, self.subject, self.against = title, patterns, subject, against
        self.extra, self.metric = list(extra), metric


class Matrix:
    """Patterns down, allocators across, one metric (e.g. instructions per
    operation, peak RSS); per thread count when the records have several
    (only `threads` when given). With relative, each cell is its figure
    relative to the best of its row (1.00 = the best, as the bars); with
    bars, plots relative to the best as Summary does."""

    def __init__(self, title, metric, patterns, allocators, threads=None, relative=False,
                 bars=True):
        self.title, self.metric = title, metric
        self.patterns, self.allocators = patterns, allocators
        self.threads, self.relative, self.bars = threads, relative, bars
