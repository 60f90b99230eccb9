#!/usr/bin/env python3
"""Tests of the benchmark driver: collection, targets, the suite registry,
the runner's process measurement and the report. With KMM_BENCH_BUILD set
to a build directory, also runs bench_kmm for a moment and reads its JSON.

    python3 bench/driver/test_driver.py
"""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import collect  # noqa: E402
import metrics  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import sections  # noqa: E402
import spec  # noqa: E402
import suites  # noqa: E402
import targets  # noqa: E402


def gbench_doc(entries, num_cpus=2, allocator="kmm"):
    return {"context": {"num_cpus": num_cpus, "allocator": allocator, "host_name": "h"},
            "benchmarks": entries}


def entry(name, threads, ops, ops_s, cpu_time=10.0, iterations=None, **counters):
    return dict({"name": "%s/manual_time/threads:%d" % (name, threads), "run_type": "iteration",
                 "threads": threads, "iterations": iterations or ops, "real_time": 1.0,
                 "cpu_time": cpu_time, "time_unit": "ns", "ops": ops, "ops_s": ops_s},
                **counters)


def record(alloc, pattern, threads, **m):
    return {"allocator": alloc, "pattern": pattern, "threads": threads, "metrics": m}


class Collect(unittest.TestCase):
    def test_names(self):
        self.assertEqual(collect.split_name("kmm/cache_pair/64/manual_time/threads:2"),
                         ("kmm", "cache_pair/64"))
        self.assertEqual(collect.split_name("glibc_same/vmalloc/1048576/real_time"),
                         ("glibc_same", "vmalloc/1048576"))
        self.assertIsNone(collect.split_name("lonely"))

    def test_gbench_counters_become_metrics(self):
        doc = gbench_doc([
            entry("kmm/cache_pair/64", 2, ops=1000, ops_s=4e8, cpu_time=5.0, locks=20,
                  rmws=3, fast=990, slow=10, kmm_reports=0),
            dict(entry("kmm/prodcons/64", 2, 10, 1), error_occurred=True,
                 error_message="allocation failed"),
            dict(entry("kmm/cache_pair/64", 2, 1, 1), run_type="aggregate"),
        ])
        samples, ctx = collect.gbench_samples(doc)
        self.assertEqual(ctx["num_cpus"], 2)
        self.assertEqual(len(samples), 2)
        self.assertEqual(samples[1]["error"], "allocation failed")
        m = metrics.derive_all(samples[0]["counters"])
        self.assertAlmostEqual(m["ns_op"], 2.5)
        self.assertAlmostEqual(m["cpu_ns_op"], 5.0)	# 5 ns per iteration, 1 op each
        self.assertAlmostEqual(m["cpu_ops_s"], 2 * 1e9 / 5.0)
        self.assertAlmostEqual(m["hit"], 0.99)
        self.assertAlmostEqual(m["locks_1k"], 20.0)
        self.assertAlmostEqual(m["rmws_1k"], 3.0)
        self.assertEqual(m["kmm_reports"], 0)
        self.assertNotIn("ops", m)	# raw counters feed metrics, are not ones

    def test_cpu_throughput_counts_at_most_the_host_cores(self):
        s, _ = collect.gbench_samples(gbench_doc([entry("kmm/x", 32, 100, 1, cpu_time=4.0)]))
        self.assertAlmostEqual(metrics.derive_all(s[0]["counters"])["cpu_ops_s"], 2 * 1e9 / 4.0)

    def test_aggregate_takes_medians_and_keeps_errors(self):
        samples = [{"allocator": "kmm", "pattern": "p", "threads": 1,
                    "counters": {"ops_s": v}} for v in (3.0, 1.0, 2.0)]
        samples.append({"allocator": "kmm", "pattern": "p", "threads": 1, "error": "boom"})
        (rec,) = collect.aggregate(samples)
        self.assertEqual(rec["metrics"]["ops_s"], 2.0)
        self.assertEqual(rec["samples"]["ops_s"], [3.0, 1.0, 2.0])
        self.assertEqual(rec["reps"], 3)
        self.assertEqual(rec["errors"], ["boom"])

    def test_records_json(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"records": [{"allocator": "kmm", "pattern": "boot", "threads": 1,
                                    "metrics": {"wall_s": 0.5}}]}, f)
        try:
            s, _ = collect.load_records(f.name)
            self.assertEqual(s[0]["counters"]["wall_s"], 0.5)
            with open(f.name, "w") as g:
                json.dump({"records": [{"allocator": "kmm"}]}, g)
            with self.assertRaises(ValueError):
                collect.load_records(f.name)
        finally:
            os.unlink(f.name)


class Targets(unittest.TestCase):
    INDEX = targets.index_of([
        record("kmm", "cache_pair/64", 1, ops_s=100.0, cpu_ops_s=90.0),
        record("kmm", "cache_pair/64", 2, ops_s=190.0),
        record("glibc", "cache_pair/64", 1, ops_s=50.0, cpu_ops_s=60.0),
        record("tcmalloc", "cache_pair/64", 1, ops_s=120.0, cpu_ops_s=80.0),
        record("kmm", "cache_pair", 1, instructions=92.0),
    ])
    GROUPS = {"peers": ["glibc", "tcmalloc"]}

    def target(self, **t):
        return targets.Target(dict({"name": "t", "holds": ">= 1.0"}, **t), {}, self.GROUPS)

    def test_best_of_a_group_and_the_twin(self):
        t = self.target(pattern="cache_pair/64", threads=1, value="kmm", over="best of peers")
        v, ok, who = t.measure(self.INDEX)
        self.assertAlmostEqual(v, 100 / 120)
        self.assertFalse(ok)
        self.assertEqual(who, ["tcmalloc"])
        self.assertEqual(t.twin, "cpu_ops_s")
        v, ok, who = t.measure(self.INDEX, t.twin)
        self.assertAlmostEqual(v, 90 / 80)
        self.assertTrue(ok)

    def test_sides_override_threads(self):
        t = self.target(pattern="cache_pair/64", value={"of": "kmm", "threads": 2},
                        over={"of": "kmm", "threads": 1}, holds=">= 1.9")
        self.assertEqual(t.measure(self.INDEX)[:2], (1.9, True))

    def test_absolute_figure_and_lower_is_better(self):
        t = self.target(pattern="cache_pair", threads=1, value="kmm", metric="instructions",
                        holds="<= 75")
        self.assertEqual(t.measure(self.INDEX)[:2], (92.0, False))
        self.assertIsNone(t.twin)
        self.assertEqual(t.title(), "t, ≤ 75")

    def test_missing_records_measure_nothing(self):
        t = self.target(pattern="kmalloc_mix/256", threads=1, value="kmm", over="glibc")
        self.assertEqual(t.measure(self.INDEX), (None, None, []))

    def test_bad_targets_are_refused(self):
        for bad in [dict(holds="about 1"), dict(holds=">= one"), dict(metric="speed"),
                    dict(value={"who": "kmm"}), dict(value="kmm glibc"),
                    dict(pattern=None)]:
            t = dict({"pattern": "p", "threads": 1, "value": "kmm"}, **bad)
            t = {k: v for k, v in t.items() if v is not None}
            with self.assertRaises((targets.TargetError, KeyError), msg=repr(bad)):
                self.target(**t)

    def test_the_project_targets_load_and_name_known_things(self):
        known_allocs = set(suites.ALLOCATORS)
        for t in targets.load(report.TARGETS):
            self.assertNotRegex(t.name, r"(?i)\bissue\b|#\d")
            for side in filter(None, [t.value, t.over]):
                self.assertLessEqual(set(side.allocators), known_allocs, t.name)
                self.assertIn(side.pattern, suites.PATTERNS, t.name)


class Registry(unittest.TestCase):
    def test_suites_name_known_programs_patterns_and_metrics(self):
        cfg = spec.Config("build", [1, 2])
        names = [s.name for s in suites.SUITES]
        self.assertEqual(len(names), len(set(names)))
        for s in suites.SUITES:
            for sel in s.select:
                self.assertIn(sel.program, suites.PROGRAMS)
            for r in s.runs(cfg):
                self.assertIsInstance(r, (spec.Callgrind, spec.Command))
            for sec in s.sections:
                self.assertIsInstance(sec, sections.KINDS)
                for p in getattr(sec, "patterns", []):
                    self.assertIn(p, suites.PATTERNS, s.name)
                for m in [getattr(sec, "metric", "ops_s")] + [x for _, x in
                                                              getattr(sec, "extra", [])]:
                    metrics.get(m)

    def test_the_full_run_takes_every_thread_count_a_suite_alone_its_focus(self):
        cfg = spec.Config("build", [1, 2, 32])
        _, chosen = run.choose("all", False)
        plan = run.plan_gbench(chosen, cfg, alone=False)
        self.assertEqual(set(plan), {"kmm", "kmm_nopcp"} | set(suites.PEERS))
        kmm = re.compile(plan["kmm"].filter)
        for name in ["kmm/cache_pair/64/manual_time/threads:32", "mmap/vmalloc/65536/manual_time/"
                     "threads:1", "call_rcu/kfree_rcu/64/manual_time/threads:32"]:
            self.assertTrue(kmm.search(name), name)
        self.assertFalse(re.search(plan["glibc"].filter, "glibc_same/cache_pair/64"))
        _, chosen = run.choose("pages", False)
        plan = run.plan_gbench(chosen, cfg, alone=True)
        self.assertEqual(plan["kmm"].threads, [1, 2])
        self.assertEqual(set(plan), {"kmm", "kmm_nopcp"})

    def test_mixed_thread_sets_get_a_threads_clause(self):
        one = spec.Suite("a", "A", select=[spec.Select("kmm", "kmm/x/")], focus=[1])
        two = spec.Suite("b", "B", select=[spec.Select("kmm", "kmm/y/")])
        plan = run.plan_gbench([one, two], spec.Config("build", [1, 2]), alone=True)
        f = re.compile(plan["kmm"].filter)
        self.assertEqual(plan["kmm"].threads, [1, 2])
        self.assertTrue(f.search("kmm/x/manual_time/threads:1"))
        self.assertFalse(f.search("kmm/x/manual_time/threads:2"))
        self.assertTrue(f.search("kmm/y/manual_time/threads:2"))

    def test_callgrind_mode(self):
        mode, chosen = run.choose("all", True)
        self.assertEqual((mode, [s.name for s in chosen]),
                         ("callgrind", ["callgrind", "preload_callgrind"]))
        targets = run.build_targets(chosen, spec.Config("b", [1]))
        self.assertIn("bench_peer_mimalloc", targets)
        self.assertIn("kmm_malloc", targets)

    def test_preload_runs_every_allocator_at_1_to_8_threads(self):
        runs = suites.by_name("preload").runs(spec.Config("b", [1, 2, 32]))
        self.assertEqual({(r.label, r.threads) for r in runs},
                         {(a, t) for a in suites.PRELOAD_LIBS for t in (1, 2, 4, 8)})
        kmm = [r for r in runs if r.label == "kmm"][0]
        self.assertEqual(kmm.env["LD_PRELOAD"], "{build}/lib/libkmm-malloc.so")
        self.assertNotIn("LD_PRELOAD", [r for r in runs if r.label == "glibc"][0].env)


class Commands(unittest.TestCase):
    def runner(self, out):
        return run.Runner(spec.Config(out, [1]), out, out)

    def test_a_process_is_measured_by_the_runner(self):
        with tempfile.TemporaryDirectory() as out:
            r = self.runner(out)
            r.command(spec.Command("py", [sys.executable, "-c", "b = bytearray(64 << 20)"],
                                   pattern="touch64M"), 0, "[t]")
            (s,) = r.samples
            self.assertGreater(s["counters"]["max_rss_kib"], 64 << 10)
            self.assertGreater(s["counters"]["wall_s"], 0)
            r.command(spec.Command("py", [sys.executable, "-c", "raise SystemExit(3)"],
                                   pattern="fails"), 0, "[t]")
            self.assertEqual(r.samples[1]["error"], "exit 3")

    def test_a_program_may_write_its_own_records(self):
        code = ("import json, sys; json.dump({'context': {'allocator': 'kmm'}, 'records': "
                "[{'allocator': 'kmm', 'pattern': 'boot', 'threads': 1, "
                "'metrics': {'max_rss_kib': 2048}}]}, open(sys.argv[1], 'w'))")
        with tempfile.TemporaryDirectory() as out:
            r = self.runner(out)
            r.command(spec.Command("kmm", [sys.executable, "-c", code, "{out}"], pattern="boot",
                                   json=True), 0, "[t]")
            (rec,) = collect.aggregate(r.samples)
            self.assertEqual(rec["metrics"], {"max_rss_kib": 2048})


class Report(unittest.TestCase):
    def doc(self, mode="timed", suite_names=("peers", "slab")):
        recs = []
        for a, base in [("kmm", 100.0), ("glibc", 50.0), ("jemalloc", 120.0),
                        ("tcmalloc", 90.0), ("mimalloc", 80.0), ("glibc_same", 60.0)]:
            for t in (1, 2):
                recs.append(record(a, "cache_pair/64", t, ops_s=base * t,
                                   cpu_ops_s=base * t * 0.9, hit=0.99, locks_1k=0.1))
        recs.append(dict(record("kmm", "prodcons/64", 2), errors=["allocation failed"]))
        return {"meta": {"machine": "m", "date": "d", "commit": "c", "mode": mode,
                         "command": "./ci/bench", "suites": list(suite_names), "reps": 3,
                         "min_time": 0.05, "threads": [1, 2], "cg_iters": 10,
                         "load_avg": [0.1, 0.2]},
                "context": {"kmm": {"kmm_cmdline": "mem=1G"}}, "records": recs,
                "processes": [{"label": "kmm", "argv": ["bench_kmm"], "exit": 0,
                               "wall_s": 1.0, "max_rss_kib": 1024}]}

    def test_report_shows_targets_sections_and_failures(self):
        with tempfile.TemporaryDirectory() as out:
            md = report.write(self.doc(), os.path.join(out, "results.md"),
                              os.path.join(out, "plots"))
            with open(md) as f:
                text = f.read()
        self.assertIn("| kmem_cache pair ÷ fastest peer, 1 thread, ≥ 1.0 | 0.83 (jemalloc) | "
                      "**no** | 0.83 (jemalloc) | **no** |", text)
        self.assertIn("| kmem_cache pair, 2 threads ÷ 1 thread, ≥ 1.9 | 2.00 | yes |", text)
        self.assertIn("## kmm against the peers", text)
        self.assertIn("## kmem_cache against malloc in the same process", text)
        self.assertIn("kmm prodcons/64, 2 threads: allocation failed", text)
        self.assertNotRegex(text, r"(?i)\bissues?\b")

    def test_matrix_relative_to_the_best_at_chosen_threads(self):
        r = report.Report(self.doc(), "results.md", "plots")
        r.title, r.suite_title = "T", "S"
        r.matrix(spec.Matrix("M", "ops_s", ["cache_pair/64"], ["kmm", "glibc", "jemalloc"],
                             threads=[2], relative=True, bars=False))
        self.assertIn("| `cache_pair/64` %s | 1.20 | 2.40 | 1.00 |" %
                      suites.PATTERNS["cache_pair/64"], r.lines)


if __name__ == "__main__":
    build = os.environ.get("KMM_BENCH_BUILD")
    if build:
        class Programs(unittest.TestCase):
            def test_bench_kmm_json_is_collected(self):
                with tempfile.TemporaryDirectory() as out:
                    cfg = spec.Config(build, [1], min_time=0.001)
                    r = run.Runner(cfg, out, out)
                    prog = spec.Program("kmm", "bench/bench_kmm",
                                        lambda cfg: ["--kmm_cmdline=mem=64M vmalloc=256M"])
                    r.gbench(run.GbenchRun(prog, [1], "^(kmm/cache_pair/|glibc_same/cache_pair/)"),
                             0, "[t]")
                    recs = {(x["allocator"], x["pattern"]): x for x in
                            collect.aggregate(r.samples)}
                    k = recs[("kmm", "cache_pair/64")]["metrics"]
                    self.assertGreater(k["ops_s"], 0)
                    self.assertEqual(k["kmm_reports"], 0)
                    self.assertGreater(k["hit"], 0.5)
                    self.assertIn(("glibc_same", "cache_pair/64"), recs)
                    self.assertEqual(r.context["kmm"]["kmm_cmdline"],
                                     "mem=64M vmalloc=256M nr_cpus=1")
            def test_kmm_replay_records_are_collected(self):
                tool = os.path.join(build, "tools", "replay", "kmm-replay")
                with tempfile.TemporaryDirectory() as out:
                    r = run.Runner(spec.Config(build, [1]), out, out)
                    for cmd in suites.replay_runs(r.cfg)[:2]:	# kmm, glibc
                        cmd.argv[-1:-1] = ["--limit", "5000"]
                        r.command(cmd, 0, "[t]")
                    recs = {x["allocator"]: x for x in collect.aggregate(r.samples)}
                    for alloc in ("kmm", "glibc"):
                        rec = recs[alloc]
                        self.assertNotIn("errors", rec, rec)
                        self.assertEqual(rec["pattern"], "replay/kmem-build")
                        self.assertGreater(rec["metrics"]["replay_s"], 0)
                        self.assertGreater(rec["metrics"]["replay_rss_kib"], 0)
                        self.assertEqual(rec["metrics"]["alloc_failures"], 0)
                    self.assertEqual(recs["kmm"]["metrics"]["kmm_reports"], 0)
                    self.assertTrue(os.path.exists(tool))
        globals()["Programs"] = Programs
    unittest.main()
