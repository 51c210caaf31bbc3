#!/usr/bin/env python3
"""Proves bench/gate.py bites: fed the committed test-bed baseline and a copy of it
with one benchmark slowed down it fails and names that benchmark; fed jitter within
the tolerance, a missing, a new or a skipped benchmark it follows its documented
policy; bad input exits 3 (could not run) with a message, a usage error 64 (the exit
contract of docs/cli.md: 0 PASS, 1 WARN, 2 FAIL, 3 could not run, 64 usage). Runs bench/gate.py as a program, the way
CI does, with the committed wide test-bed tolerances."""

import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))  # tests/unit/bench
BENCH = os.path.join(REPO, "bench")
GATE = os.path.join(BENCH, "gate.py")
BASELINE = os.path.join(BENCH, "baselines", "testbed.json")
TOLERANCES = os.path.join(BENCH, "baselines", "testbed-tolerances.json")


def measured(data):
    """Names of benchmarks that ran (no error), in file order, without duplicates."""
    seen = []
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") == "iteration" and not b.get("error_occurred"):
            if b["run_name"] not in seen:
                seen.append(b["run_name"])
    return seen


def scaled(data, factor, only=None):
    """A copy with every repetition of `only` (or of all benchmarks) `factor` times slower."""
    out = copy.deepcopy(data)
    for b in out["benchmarks"]:
        if only is None or b.get("run_name") == only:
            for k in ("real_time", "cpu_time"):
                if k in b:
                    b[k] *= factor
    return out


class GateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(BASELINE) as f:
            cls.base = json.load(f)
        with open(TOLERANCES) as f:
            cls.tols = json.load(f)
        cls.names = measured(cls.base)
        assert len(cls.names) > 10, "the committed baseline should hold a full CI run"
        # A DMA map benchmark: covered by the widest override? Pick one the default covers.
        cls.victim = next(n for n in cls.names if n.startswith("dma_map/") and "/2m/" in n)

    def run_gate(self, run, *extra, baseline=None):
        with tempfile.TemporaryDirectory() as d:
            rpath = os.path.join(d, "run.json")
            with open(rpath, "w") as f:
                f.write(run if isinstance(run, str) else json.dumps(run))
            bpath = baseline or BASELINE
            if isinstance(baseline, dict):
                bpath = os.path.join(d, "base.json")
                with open(bpath, "w") as f:
                    json.dump(baseline, f)
            p = subprocess.run([sys.executable, GATE, bpath, rpath, "--tolerances", TOLERANCES, *extra],
                               capture_output=True, text=True)
            return p.returncode, p.stdout + p.stderr

    def test_identical_run_passes(self):
        rc, out = self.run_gate(self.base)
        self.assertEqual(rc, 0, out)
        self.assertIn("gate: PASS", out)

    def test_injected_slowdown_fails_and_names_the_benchmark(self):
        limit = 1 + max([self.tols["default"]] + [o["tolerance"] for o in self.tols["overrides"]])
        rc, out = self.run_gate(scaled(self.base, limit * 2, only=self.victim))
        self.assertEqual(rc, 2, out)
        line = next(l for l in out.splitlines() if l.startswith(self.victim.replace("/manual_time", "") + " "))
        self.assertIn("REGRESSION", line)
        self.assertIn("gate: FAIL (", out)
        self.assertEqual(sum(" REGRESSION " in l for l in out.splitlines()), 1, out)

    def test_jitter_within_tolerance_passes(self):
        run = scaled(self.base, 1.5)  # every benchmark 1.5x slower: inside the test bed's 3x
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 0, out)
        rc, out = self.run_gate(scaled(self.base, 0.5))
        self.assertEqual(rc, 0, out)

    def test_tight_tolerance_catches_the_same_jitter(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"default": 0.25, "overrides": []}, f)
        try:
            p = subprocess.run([sys.executable, GATE, BASELINE, "/dev/stdin", "--tolerances", f.name],
                               input=json.dumps(scaled(self.base, 1.5)), capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        finally:
            os.unlink(f.name)

    def test_missing_benchmark_fails_unless_warned(self):
        run = copy.deepcopy(self.base)
        run["benchmarks"] = [b for b in run["benchmarks"] if b.get("run_name") != self.victim]
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 2, out)
        self.assertIn("MISSING", out)
        rc, out = self.run_gate(run, "--missing", "warn")
        self.assertEqual(rc, 1, out)  # a WARN, no FAIL
        self.assertIn(" missing ", out)
        self.assertIn("gate: WARN (", out)

    def test_benchmark_that_errors_now_fails(self):
        run = copy.deepcopy(self.base)
        for b in run["benchmarks"]:
            if b.get("run_name") == self.victim:
                b["error_occurred"] = True
                b["error_message"] = "injected failure"
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 2, out)
        self.assertIn("injected failure", out)

    def test_new_benchmark_warns_unless_new_fails(self):
        run = copy.deepcopy(self.base)
        extra = copy.deepcopy(next(b for b in run["benchmarks"] if b.get("run_name") == self.victim))
        extra["name"] = extra["run_name"] = "dma_map/brand_new/4k/4096/manual_time"
        run["benchmarks"].append(extra)
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 1, out)  # --new warn (the default): a WARN, no FAIL
        self.assertIn(" new ", out)
        self.assertIn("gate: WARN (", out)
        rc, out = self.run_gate(run, "--new", "fail")
        self.assertEqual(rc, 2, out)

    def test_filter_limits_both_sides(self):
        backend = self.victim.split("/")[1]
        run = scaled(self.base, 100, only=self.victim)
        rc, out = self.run_gate(run, "--filter", f"^[^/]+/{backend}(/|$)")
        self.assertEqual(rc, 2, out)
        rc, out = self.run_gate(run, "--filter", "^no-such-benchmark/")
        self.assertEqual(rc, 3, out)
        self.assertIn("no benchmark matches", out)

    def test_update_merges_into_the_baseline(self):
        with tempfile.TemporaryDirectory() as d:
            bpath, rpath = os.path.join(d, "base.json"), os.path.join(d, "run.json")
            with open(bpath, "w") as f:
                json.dump(self.base, f)
            backend = self.victim.split("/")[1]
            with open(rpath, "w") as f:
                json.dump(scaled(self.base, 2.0), f)
            p = subprocess.run([sys.executable, GATE, bpath, rpath, "--filter", f"^[^/]+/{backend}(/|$)",
                                "--update"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(bpath) as f:
                new = json.load(f)
            self.assertEqual(len(new["benchmarks"]), len(self.base["benchmarks"]))
            def times(data):
                t = {}
                for b in data["benchmarks"]:
                    if "real_time" in b:
                        t.setdefault(b["name"], []).append(b["real_time"])
                return {k: sorted(v) for k, v in t.items()}
            old_t, new_t = times(self.base), times(new)
            self.assertEqual(set(old_t), set(new_t))
            for name, v in new_t.items():
                factor = 2.0 if name.split("/")[1] == backend else 1.0
                self.assertEqual(v, [x * factor for x in old_t[name]], name)

    def test_keep_slower_only_widens(self):
        with tempfile.TemporaryDirectory() as d:
            bpath, rpath = os.path.join(d, "base.json"), os.path.join(d, "run.json")
            with open(bpath, "w") as f:
                json.dump(self.base, f)
            faster = next(n for n in self.names if n != self.victim)
            run = scaled(scaled(self.base, 3.0, only=self.victim), 0.5, only=faster)
            with open(rpath, "w") as f:
                json.dump(run, f)
            p = subprocess.run([sys.executable, GATE, bpath, rpath, "--update", "--keep-slower"],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn(": 1 benchmarks taken", p.stdout)
            with open(bpath) as f:
                new = json.load(f)
            t = lambda data, n: sorted(b["real_time"] for b in data["benchmarks"] if b.get("run_name") == n)
            self.assertEqual(t(new, self.victim), [x * 3.0 for x in t(self.base, self.victim)])
            self.assertEqual(t(new, faster), t(self.base, faster))

    def test_bad_input_is_a_clear_error(self):
        rc, out = self.run_gate("not json at all")
        self.assertEqual(rc, 3, out)
        self.assertIn("not JSON", out)
        rc, out = self.run_gate({"context": {}})
        self.assertEqual(rc, 3, out)
        self.assertIn("no 'benchmarks' list", out)
        p = subprocess.run([sys.executable, GATE, "/nonexistent/base.json", BASELINE],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 3)
        self.assertIn("no such file", p.stderr)

    def test_fuzz_findings_are_clear_errors(self):
        # Found by tests/unit/bench/gate_fuzz.py: each crashed the gate with a traceback.
        first = copy.deepcopy(self.base["benchmarks"][0])
        cases = [
            ({"benchmarks": [1.5]}, "benchmarks[0] is float, not an object"),
            ({"benchmarks": [dict(first, real_time="12")]}, "is not a time >= 0"),
            ({"benchmarks": [dict(first, real_time=float("nan"))]}, "is not a time >= 0"),
            ({"benchmarks": [dict(first, run_name=7)]}, "run_name is 7, not a string"),
        ]
        for run, message in cases:
            rc, out = self.run_gate(run)
            self.assertEqual(rc, 3, out)
            self.assertIn(message, out)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "latin1.json")
            with open(path, "wb") as f:
                f.write(b'{"benchmarks": [{"name": "\xe4"}]}')  # a Latin-1 byte
            p = subprocess.run([sys.executable, GATE, BASELINE, path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertIn("not UTF-8 text", p.stderr)
            tol = os.path.join(d, "tol.json")
            for bad in ({"default": "x"}, {"default": 1, "overrides": [{"pattern": 3, "tolerance": 1}]},
                        {"default": 1, "overrides": "none"}):
                with open(tol, "w") as f:
                    json.dump(bad, f)
                p = subprocess.run([sys.executable, GATE, BASELINE, BASELINE, "--tolerances", tol],
                                   capture_output=True, text=True)
                self.assertEqual(p.returncode, 3, p.stderr)
                self.assertIn("tolerances file", p.stderr)


    def test_instruction_counts_are_gated_at_two_percent(self):
        # The wide test-bed tolerances (4x and more) never apply to instruction counts.
        def insn(v):
            return {"benchmarks": [{"name": "host/x/insn", "run_name": "host/x/insn",
                                    "run_type": "iteration", "metric": "instructions",
                                    "instructions": v}]}
        base = insn(1000.0)
        rc, out = self.run_gate(insn(1019.0), baseline=base)
        self.assertEqual(rc, 0, out)
        rc, out = self.run_gate(insn(1021.0), baseline=base)
        self.assertEqual(rc, 2, out)
        self.assertIn("REGRESSION", out)
        rc, out = self.run_gate(insn(1005.0), "--insn-tolerance", "0.001", baseline=base)
        self.assertEqual(rc, 2, out)
        timed = {"benchmarks": [{"name": "host/x/insn", "run_name": "host/x/insn",
                                 "run_type": "iteration", "real_time": 5.0, "time_unit": "ns"}]}
        rc, out = self.run_gate(timed, baseline=base)
        self.assertEqual(rc, 3, out)
        self.assertIn("instruction", out)
        bad = insn("many")
        rc, out = self.run_gate(bad, baseline=base)
        self.assertEqual(rc, 3, out)



def timed(name, times_ns):
    """Google Benchmark JSON with one wall-time benchmark, one entry per repetition."""
    return {"benchmarks": [{"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(times_ns),
                            "repetition_index": i, "real_time": t, "time_unit": "ns"}
                           for i, t in enumerate(times_ns)]}


sys.path.insert(0, BENCH)
import gate  # noqa: E402  (bench/gate.py, for its U test)


class MannWhitneyTest(unittest.TestCase):
    """The U statistic and p values against reference values worked out independently."""

    def test_exact_null_distribution_matches_the_published_table(self):
        # Mann & Whitney (1947), Table I, n = 4, m = 3: P(U <= u) for u = 0..6.
        table = [0.028, 0.057, 0.114, 0.200, 0.314, 0.429, 0.571]
        counts = gate.u_counts(3, 4)
        self.assertEqual(sum(counts), 35)  # C(7, 3)
        cum = 0
        for u, ref in enumerate(table):
            cum += counts[u]
            self.assertAlmostEqual(cum / 35, ref, delta=0.001, msg=f"u={u}")  # the table's 3 decimals
        # Symmetric, and by hand: U = 3 arises from the partitions 3, 2+1, 1+1+1 of 3.
        self.assertEqual(counts, counts[::-1])
        self.assertEqual(counts[3], 3)

    def test_exact_p_of_two_samples_apart(self):
        # 5 against 5 with every value of x above y: one ordering of C(10, 5) = 252.
        x, y = [6, 7, 8, 9, 10], [1, 2, 3, 4, 5]
        u, p, method = gate.mann_whitney(x, y, "greater")
        self.assertEqual((u, method), (25.0, "exact"))
        self.assertAlmostEqual(p, 1 / 252, places=12)
        self.assertAlmostEqual(gate.mann_whitney(x, y, "two-sided")[1], 2 / 252, places=12)
        self.assertAlmostEqual(gate.mann_whitney(y, x, "greater")[1], 1.0, places=12)
        # 3 against 4, x = {5, 6, 7} over y = {1, 2, 3, 4} but for one pair: U = 11 of 12,
        # P(U >= 11) = P(U <= 1) = 2/35 (the table above).
        u, p, _ = gate.mann_whitney([3.5, 6, 7], [1, 2, 3, 4], "greater")
        self.assertEqual(u, 11.0)
        self.assertAlmostEqual(p, 2 / 35, places=12)

    def test_u_statistic_of_the_tortoise_and_hare_race(self):
        # Wikipedia, "Mann-Whitney U test", illustration: finishing order THHHHHTTTTTH.
        # Tortoises beat hares in 11 pairs, hares beat tortoises in 25.
        order = "THHHHHTTTTTH"
        t = [i + 1 for i, c in enumerate(order) if c == "T"]
        h = [i + 1 for i, c in enumerate(order) if c == "H"]
        self.assertEqual(gate.mann_whitney(t, h)[0], 25.0)  # pairs where T finished later
        self.assertEqual(gate.mann_whitney(h, t)[0], 11.0)

    def test_normal_approximation_with_ties_by_hand(self):
        # 9 against 9, five values in both (five ties of two). Worked by hand:
        #   ranks of x: 5.5 7.5 9.5 11.5 13.5 15 16 17 18, sum 113.5, U = 113.5 - 45 = 68.5
        #   mean 81/2 = 40.5; tie term 5 * (2^3 - 2) = 30
        #   var = 81/12 * (19 - 30/(18*17)) = 127.5882, sd 11.2955
        #   z = (68.5 - 40.5 - 0.5) / 11.2955 = 2.4346
        #   normal table: Phi(2.43) = 0.99245, Phi(2.44) = 0.99266 -> p = 1 - 0.99255 = 0.00745
        x = [14, 15, 16, 17, 18, 19, 20, 21, 22]
        y = [10, 11, 12, 13, 14, 15, 16, 17, 18]
        u, p, method = gate.mann_whitney(x, y, "greater")
        self.assertEqual((u, method), (68.5, "asymptotic"))
        self.assertAlmostEqual(p, 0.00745, delta=1e-4)
        self.assertAlmostEqual(gate.mann_whitney(x, y, "two-sided")[1], 0.0149, delta=2e-4)
        # Nine a side without ties is past the exact test's range (scipy: both > 8).
        u, p, method = gate.mann_whitney(range(10, 19), range(1, 10), "greater")
        self.assertEqual((u, method), (81.0, "asymptotic"))
        # z = (81 - 40.5 - 0.5) / sqrt(81 * 19 / 12) = 40 / 11.3248 = 3.532 -> p = 0.000206 (table)
        self.assertAlmostEqual(p, 0.000206, delta=5e-6)

    def test_all_equal_is_no_evidence(self):
        self.assertEqual(gate.mann_whitney([5] * 9, [5] * 9)[1], 1.0)


class SignificanceGateTest(unittest.TestCase):
    """A wall-time REGRESSION needs ratio > 1 + tolerance and p < alpha."""

    def run_gate(self, base, run, *extra):
        with tempfile.TemporaryDirectory() as d:
            bpath, rpath = os.path.join(d, "base.json"), os.path.join(d, "run.json")
            for path, data in ((bpath, base), (rpath, run)):
                with open(path, "w") as f:
                    json.dump(data, f)
            p = subprocess.run([sys.executable, GATE, bpath, rpath, "--tolerance", "0.25", *extra],
                               capture_output=True, text=True)
            return p.returncode, p.stdout + p.stderr

    def line(self, out):
        return next(l for l in out.splitlines() if l.startswith("x/b "))

    def p(self, out):
        """The p column: the number after the ratio ("1.35x")."""
        return float(re.search(r"\dx\s+(\S+)\s", self.line(out)).group(1))

    def test_clear_shift_with_nine_repetitions_fails(self):
        base = [100, 102, 98, 101, 99, 103, 97, 100, 101]
        now = [t * 2 for t in base]
        rc, out = self.run_gate(timed("x/b", base), timed("x/b", now))
        self.assertEqual(rc, 2, out)
        line = self.line(out)
        self.assertIn("REGRESSION", line)
        self.assertLess(self.p(out), 0.001, out)  # 9 apart from 9: z = 3.53, p = 0.0002

    def test_overlapping_samples_over_tolerance_pass_as_not_significant(self):
        # Medians 104 -> 140 (1.35x, over 1.25x), but the samples interleave: p = 0.62.
        base = [100, 101, 102, 103, 104, 300, 310, 320, 330]
        now = [99, 100, 101, 103, 140, 295, 305, 315, 335]
        rc, out = self.run_gate(timed("x/b", base), timed("x/b", now))
        self.assertEqual(rc, 0, out)
        line = self.line(out)
        self.assertIn("ok (not significant, p=", line)
        self.assertGreaterEqual(self.p(out), 0.05)
        self.assertIn("1 ok (not significant)", out)
        # The same numbers fail where alpha is above p, and with the U test off.
        rc, out = self.run_gate(timed("x/b", base), timed("x/b", now), "--alpha", "0.7")
        self.assertEqual(rc, 2, out)
        rc, out = self.run_gate(timed("x/b", base), timed("x/b", now), "--no-utest")
        self.assertEqual(rc, 2, out)

    def test_too_few_repetitions_fall_back_to_the_ratio(self):
        # 3 against 3 cannot reach p < 0.05 (smallest one-sided p = 1/20): ratio alone.
        rc, out = self.run_gate(timed("x/b", [100, 101, 102]), timed("x/b", [200, 202, 204]), "--min-reps", "3")
        self.assertEqual(rc, 2, out)
        self.assertIn("cannot reach p < 0.05", out)
        rc, out = self.run_gate(timed("x/b", [100]), timed("x/b", [200]))
        self.assertEqual(rc, 2, out)
        self.assertIn("no U test: 1 vs 1 repetitions", out)

    def test_two_sided_doubles_p(self):
        base, now = [100, 101, 102, 103, 104], [130, 131, 132, 133, 134]
        _, out1 = self.run_gate(timed("x/b", base), timed("x/b", now))
        _, out2 = self.run_gate(timed("x/b", base), timed("x/b", now), "--alternative", "two-sided")
        self.assertAlmostEqual(self.p(out1), 1 / 252, places=5)
        self.assertAlmostEqual(self.p(out2), 2 / 252, places=5)

    def test_instruction_counts_are_never_u_tested(self):
        # Identical over-tolerance counts on 9 repetitions: p would be 1 (all tied) and
        # turn this into "not significant"; instruction counts are exact, so it fails.
        def insn(v):
            return {"benchmarks": [{"name": "h/x", "run_name": "h/x", "run_type": "iteration",
                                    "metric": "instructions", "instructions": v} for _ in range(9)]}
        rc, out = self.run_gate(insn(1000.0), insn(1030.0))
        self.assertEqual(rc, 2, out)
        self.assertIn("REGRESSION", out)
        self.assertNotIn("not significant", out)

    def test_bad_alpha_is_bad_input(self):
        rc, out = self.run_gate(timed("x/b", [1]), timed("x/b", [1]), "--alpha", "1.5")
        self.assertEqual(rc, 3, out)
        self.assertIn("--alpha", out)


class ExitContractTest(unittest.TestCase):
    """docs/cli.md "Exit status": one case for each of 0 PASS, 1 WARN, 2 FAIL, 3 could not
    run, 64 usage, the contract vfiokit and vfiokit-guest-check follow too."""

    def run_gate(self, *args):
        p = subprocess.run([sys.executable, GATE, *args], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def test_each_status(self):
        with tempfile.TemporaryDirectory() as d:
            def write(name, data):
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    json.dump(data, f)
                return path
            base = write("base.json", timed("x/b", [100, 101, 102]))
            more = write("more.json", {"benchmarks": timed("x/b", [100, 101, 102])["benchmarks"]
                                       + timed("x/new", [5])["benchmarks"]})
            slow = write("slow.json", timed("x/b", [300, 303, 306]))
            cases = [
                ("PASS", 0, (base, base), "gate: PASS"),
                ("only a WARN row (a new benchmark, --new warn)", 1, (base, more), "gate: WARN"),
                ("a REGRESSION", 2, (base, slow), "gate: FAIL"),
                ("an unreadable run", 3, (base, os.path.join(d, "absent.json")), "could not run:"),
                ("a bad --filter regex", 3, (base, base, "--filter", "("), "not a regular expression"),
                ("an unknown option", 64, (base, base, "--no-such-option"), "unrecognized arguments"),
                ("a tolerance that is not a number", 64, (base, base, "--tolerance", "x"), "invalid float"),
                ("a missing argument", 64, (base,), "required"),
            ]
            for what, status, args, message in cases:
                with self.subTest(what):
                    rc, out = self.run_gate(*args)
                    self.assertEqual(rc, status, out)
                    self.assertIn(message, out)


class SpreadTest(unittest.TestCase):
    """bench/spread.py (the -icount measurement): (max - min) / median of per-run medians."""

    def test_spread_of_three_runs(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i, reps in enumerate(([100, 90, 110], [105, 104, 200], [95, 1, 96])):  # medians 100, 105, 95
                paths.append(os.path.join(d, f"r{i}.json"))
                with open(paths[-1], "w") as f:
                    json.dump(timed("x/b", reps), f)
            p = subprocess.run([sys.executable, os.path.join(BENCH, "spread.py"), *paths],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("spread   10.0 %", p.stdout)  # (105 - 95) / 100

    def test_exit_status(self):
        # It measures, never judges: 0 done, 3 could not run, 64 usage (docs/cli.md).
        spread = os.path.join(BENCH, "spread.py")
        p = subprocess.run([sys.executable, spread, "/nonexistent/run.json"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("could not run: run /nonexistent/run.json: no such file", p.stderr)
        p = subprocess.run([sys.executable, spread, BASELINE, "--filter", "("], capture_output=True, text=True)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("not a regular expression", p.stderr)
        p = subprocess.run([sys.executable, spread, "--no-such-option", BASELINE], capture_output=True, text=True)
        self.assertEqual(p.returncode, 64, p.stderr)
        p = subprocess.run([sys.executable, spread], capture_output=True, text=True)
        self.assertEqual(p.returncode, 64, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
