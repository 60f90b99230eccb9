"""The benchmark suites: one entry each in SUITES. The vocabulary is in
spec.py; bench/README.md says how to add a suite."""

import os

from spec import Callgrind, Command, Compare, Matrix, Program, Scaling, Select, Suite, Summary

PEERS = ["glibc", "jemalloc", "tcmalloc", "mimalloc"]

# Every allocator label a record may carry: the report's order and the plots'
# colours. A label not listed still shows, after these, in grey.
ALLOCATORS = {
    "kmm": "#7b1fa2",
    "kmm_nopcp": "#ce93d8",	# kmm booted with pcp=off
    "glibc": "#1565c0",
    "jemalloc": "#ef6c00",
    "tcmalloc": "#c62828",
    "mimalloc": "#2e7d32",
    "glibc_same": "#64b5f6",	# glibc malloc inside bench_kmm
    "mmap": "#616161",		# mmap+munmap inside bench_kmm
    "call_rcu": "#00838f",	# call_rcu + kfree inside bench_kmm
}

# What each pattern does, for the report's headings.
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
    "replay/kmem-build": "a kernel's allocations replayed: a compile, an archive and a search "
                         "on Linux 6.18, 2 CPUs (bench/traces; peers: malloc and aligned_alloc)",
    # bench_footprint, each in fresh processes.
    "boot/mem=1G": "kmm_init at mem=1G",
    "boot/mem=8G": "kmm_init at mem=8G",
    "boot/mem=64G": "kmm_init at mem=64G",
    "kmalloc_100mb": "100 MiB of 64 B objects live (peers: malloc(64))",
    "alloc_free_shrink/kmem_cache": "100 MiB of 64 B kmem_cache objects freed, "
                                    "kmem_cache_shrink, drain_all_pages",
    "alloc_free_shrink/kmalloc": "100 MiB of 64 B kmallocs freed, drain_all_pages",
    "vmalloc_steady/65536": "vmalloc+touch+vfree 64 KiB, steady state "
                            "(mmap: mmap+touch+munmap)",
    "vmalloc_steady/1048576": "vmalloc+touch+vfree 1 MiB, steady state "
                              "(mmap: mmap+touch+munmap)",
    "vmalloc_steady/16777216": "vmalloc+touch+vfree 16 MiB, steady state "
                               "(mmap: mmap+touch+munmap)",
    "reuse/1048576": "1 MiB vmalloc+touch+vfree, steady state "
                     "(peers: malloc+touch+free 1 MiB)",
    "alloc_percpu_live/35000": "alloc_percpu with 35,000 objects of mixed sizes live",
    # Callgrind cases (one thread, alloc + one write + free).
    "cache_pair": "kmem_cache_alloc+free 64 B (peers: malloc+free 64 B)",
    "cache_batch": "kmem_cache 64 B, batch of 1000 freed FIFO (peers: malloc 64 B)",
    "kmalloc_pair": "kmalloc+kfree 64 B (peers: malloc+free 64 B)",
    "kmalloc_mix": "kmalloc+kfree over the size mix, a window of 256 live "
                   "(peers: malloc+free)",
    "page_pair": "alloc+free order-0 page through pcp (peers: aligned_alloc 4 KiB)",
    # Whole programs (bench_preload) under each allocator's malloc, preloaded.
    "preload/server": "server: requests allocated by one thread, freed by the next",
    "preload/prodcons": "producer/consumer pairs, 16-255 B objects through a ring",
    "preload/mixed": "mixed sizes (8 B - 4 MiB) and lifetimes, one step in ten a realloc",
    "malloc_pair": "malloc+free 64 B (bench_preload, allocator preloaded)",
    "malloc_mix": "malloc+free 1-1024 B (bench_preload, allocator preloaded)",
    "calloc_pair": "calloc(1, 64)+free (bench_preload, allocator preloaded)",
}


# kmm boots its defaults in every run, quick ones too: memory is populated
# on first use, so booting less would save nothing.
PROGRAMS = {p.name: p for p in [
    Program("kmm", "bench/bench_kmm"),
    Program("kmm_nopcp", "bench/bench_kmm",
            lambda cfg: ["--label=kmm_nopcp", "--kmm_cmdline=pcp=off"]),
] + [Program(p, "bench/bench_peer_" + p) for p in PEERS]}

# The patterns every allocator runs at every thread count.
MATRIX = ["cache_pair/64", "cache_batch_fifo/64", "cache_batch_lifo/64", "kmalloc_mix/256",
          "prodcons/64", "page_pair/0", "page_pair/3", "page_pair/9", "vmalloc/1048576"]
MATRIX_PREFIXES = ("page_pair/", "cache_", "kmalloc_mix/", "prodcons/", "vmalloc/1048576/")

CALLGRIND_CASES = ["cache_pair", "cache_batch", "kmalloc_pair", "kmalloc_mix", "page_pair"]

# bench_footprint's patterns.
BOOT = ["boot/mem=1G", "boot/mem=8G", "boot/mem=64G"]
SHRINK = ["alloc_free_shrink/kmem_cache", "alloc_free_shrink/kmalloc"]
STEADY = ["vmalloc_steady/65536", "vmalloc_steady/1048576", "vmalloc_steady/16777216"]

# Each allocator's malloc as a preloaded library: kmm's is libkmm-malloc.so.
# Under valgrind kmm's vmalloc space must fit valgrind's address space.
PEER_LIB_DIR = "/usr/lib/x86_64-linux-gnu/"
PRELOAD_LIBS = {
    "kmm": "{build}/lib/libkmm-malloc.so",
    "glibc": "",
    "jemalloc": PEER_LIB_DIR + "libjemalloc.so.2",
    "tcmalloc": PEER_LIB_DIR + "libtcmalloc_minimal.so.4",
    "mimalloc": PEER_LIB_DIR + "libmimalloc.so.2",
}
PRELOAD_PATTERNS = ["preload/server", "preload/prodcons", "preload/mixed"]
PRELOAD_THREADS = [1, 2, 4, 8]
PRELOAD_CG_CASES = ["malloc_pair", "malloc_mix", "calloc_pair"]


def preload_env(alloc, callgrind=False):
    env = {"LD_PRELOAD": PRELOAD_LIBS[alloc]} if PRELOAD_LIBS[alloc] else {}
    if alloc == "kmm" and callgrind:
        env["KMM_CMDLINE"] = "vmalloc=16G"
    return env


def preload_runs(cfg):
    return [Command(a, ["{build}/bench/bench_preload", p.split("/")[1], "--threads=%d" % t] +
                    (["--scale=25"] if cfg.quick else []),
                    pattern=p, threads=t, env=preload_env(a))
            for p in PRELOAD_PATTERNS for t in PRELOAD_THREADS for a in PRELOAD_LIBS]


# Kernel allocation traces (bench/traces), replayed by kmm-replay through
# kmm and, with --malloc, through each peer put under malloc by LD_PRELOAD
# (the record names the malloc that ran: a preload that did not take is
# an error, not glibc's figures under another name).
TRACES = {"replay/kmem-build": "kmem-build.trace.zst"}
TRACE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces")
PRELOAD = {"glibc": "", "jemalloc": "libjemalloc.so.2", "tcmalloc": "libtcmalloc_minimal.so.4",
           "mimalloc": "libmimalloc.so.2"}
REPLAY_THREADS = [1, 2, 4, 8, 16, 32, 64]	# the traced CPUs: whatever the trace had


def replay_runs(cfg):
    tool = "{build}/tools/replay/kmm-replay"
    runs = []
    for pattern, name in TRACES.items():
        trace = os.path.normpath(os.path.join(TRACE_DIR, name))
        args = ["--no-ksize", "--quiet", "--records", "{out}"]
        runs.append(Command("kmm", [tool] + args + [trace], pattern=pattern, json=True))
        for peer, lib in PRELOAD.items():
            runs.append(Command(peer, [tool, "--malloc", "--label", peer] + args + [trace],
                                pattern=pattern, json=True,
                                env={"LD_PRELOAD": lib} if lib else None))
    return runs


def matrix(label):
    return Select(label, *(label + "/" + p for p in MATRIX_PREFIXES))


SUITES = [
    Suite("peers", "kmm against the peers",
          select=[matrix(a) for a in ["kmm"] + PEERS],
          sections=[
              Summary("Summary: kmm ops/s and kmm ÷ peer", MATRIX, "kmm", PEERS,
                      threads=[1, 2, 32]),
              Scaling(MATRIX),
          ]),
    Suite("pages", "Pages: per-CPU lists against pcp=off",
          select=[Select("kmm", "kmm/page_pair/"), Select("kmm_nopcp", "kmm_nopcp/page_pair/")],
          focus=[1, 2],
          sections=[Compare("Pages: per-CPU lists against pcp=off",
                            ["page_pair/0", "page_pair/3", "page_pair/9"], "kmm", ["kmm_nopcp"],
                            extra=[("kmm", "shard_locks_1k"), ("kmm_nopcp", "shard_locks_1k"),
                                   ("kmm", "hit")])]),
    Suite("slab", "kmem_cache against malloc in the same process",
          select=[Select("kmm", "kmm/cache_", "glibc_same/cache_")],
          focus=[1, 2],
          sections=[Compare("kmem_cache against malloc in the same process",
                            ["cache_pair/64", "cache_batch_fifo/64", "cache_batch_lifo/64"],
                            "kmm", ["glibc_same"], extra=[("kmm", "hit")])]),
    Suite("vmalloc", "vmalloc against mmap",
          select=[Select("kmm", "kmm/vmalloc/", "mmap/vmalloc/")],
          focus=[1, 2],
          sections=[Compare("vmalloc against mmap (pages touched alike)",
                            ["vmalloc/65536", "vmalloc/1048576", "vmalloc/16777216"],
                            "kmm", ["mmap"], extra=[("kmm", "mmap_per_vmalloc")]),
                    Scaling(["vmalloc/65536", "vmalloc/16777216"])]),
    Suite("rcu", "kfree_rcu against call_rcu + kfree",
          select=[Select("kmm", "kmm/kfree_rcu/", "call_rcu/kfree_rcu/")],
          focus=[1, 2],
          sections=[Compare("kfree_rcu against call_rcu + kfree", ["kfree_rcu/64"], "kmm",
                            ["call_rcu"], extra=[("kmm", "peak_waiting"),
                                                 ("call_rcu", "peak_waiting")]),
                    Scaling(["kfree_rcu/64"])]),
    Suite("replay", "A kernel's allocations replayed (kmm-replay)", runs=replay_runs,
          build=["kmm-replay"],
          sections=[Summary("Replay time: kmm and kmm ÷ peer", list(TRACES), "kmm", PEERS,
                            threads=REPLAY_THREADS, metric="replay_s"),
                    Summary("Replay CPU time: kmm and kmm ÷ peer", list(TRACES), "kmm", PEERS,
                            threads=REPLAY_THREADS, metric="replay_cpu_s", bars=False),
                    Summary("Replay peak RSS: kmm and kmm ÷ peer", list(TRACES), "kmm", PEERS,
                            threads=REPLAY_THREADS, metric="replay_rss_kib")]),
    Suite("footprint", "Footprint: boot, resident memory, vmalloc against mmap",
          runs=lambda cfg: [Command("kmm", ["{build}/bench/bench_footprint", "--out={out}"] +
                                    (["--quick"] if cfg.quick else []),
                                    pattern="footprint", json=True, repeat=False)],
          build=["bench_footprint"],
          sections=[
              Matrix("Boot: kmm_init", "init_ms", BOOT, ["kmm"], bars=False),
              Matrix("Boot: resident set after kmm_init", "rss_mib", BOOT, ["kmm"], bars=False),
              Matrix("100 MiB of 64-byte objects: peak resident set", "max_rss_kib",
                     ["kmalloc_100mb"], ["kmm"] + PEERS),
              Matrix("Memory back to the host: resident set 5 s after free and shrink "
                     "÷ before the allocation", "rss_ratio", SHRINK, ["kmm"], bars=False),
              Compare("vmalloc against mmap in steady state (pages touched alike)", STEADY,
                      "kmm", ["mmap"]),
              Matrix("1 MiB alloc+touch+free in steady state, relative to the best", "ns_op",
                     ["reuse/1048576"], ["kmm"] + PEERS, relative=True),
              Matrix("alloc_percpu with 35,000 objects live: CPU ns per call", "cpu_ns_op",
                     ["alloc_percpu_live/35000"], ["kmm"], bars=False),
          ]),
    Suite("preload", "Whole programs under each allocator's malloc (preloaded)",
          runs=preload_runs, build=["bench_preload", "kmm_malloc"],
          sections=[
              Matrix("Time relative to the best", "wall_s", PRELOAD_PATTERNS, list(PRELOAD_LIBS),
                     relative=True),
              Matrix("Peak RSS relative to the best", "max_rss_kib", PRELOAD_PATTERNS,
                     list(PRELOAD_LIBS), relative=True),
              Matrix("Seconds", "wall_s", PRELOAD_PATTERNS, list(PRELOAD_LIBS), bars=False),
              Matrix("Peak RSS", "max_rss_kib", PRELOAD_PATTERNS, list(PRELOAD_LIBS), bars=False),
          ]),
    Suite("callgrind", "Instructions per operation (callgrind)", mode="callgrind",
          runs=lambda cfg: [Callgrind(a, PROGRAMS[a].path, case)
                            for a in ["kmm"] + PEERS for case in CALLGRIND_CASES],
          sections=[Matrix("kmm and the peers, one thread", "instructions",
                           CALLGRIND_CASES,
                           ["kmm"] + PEERS)]),
    Suite("preload_callgrind", "malloc+free under each allocator's malloc (callgrind)",
          mode="callgrind", build=["kmm_malloc"],
          runs=lambda cfg: [Callgrind(a, "bench/bench_preload", case,
                                      env=preload_env(a, callgrind=True))
                            for a in PRELOAD_LIBS for case in PRELOAD_CG_CASES],
          sections=[Matrix("Instructions per malloc+free, one thread", "instructions",
                           PRELOAD_CG_CASES, list(PRELOAD_LIBS))]),
]


def by_name(name):
    for s in SUITES:
        if s.name == name:
            return s
    raise KeyError("no suite '%s' (suites: %s)" % (name, ", ".join(s.name for s in SUITES)))


def allocator_order(labels):
    known = [a for a in ALLOCATORS if a in labels]
    return known + sorted(set(labels) - set(known))
