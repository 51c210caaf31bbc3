#!/usr/bin/env python3
"""Proves bench/gate.py bites: fed the committed test-bed baseline and a copy of it
with one benchmark slowed down it fails and names that benchmark; fed jitter within
the tolerance, a missing, a new or a skipped benchmark it follows its documented
policy; bad input exits 2 with a message. Runs bench/gate.py as a program, the way
CI does, with the committed wide test-bed tolerances."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
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
        self.assertEqual(rc, 1, out)
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
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        finally:
            os.unlink(f.name)

    def test_missing_benchmark_fails_unless_warned(self):
        run = copy.deepcopy(self.base)
        run["benchmarks"] = [b for b in run["benchmarks"] if b.get("run_name") != self.victim]
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 1, out)
        self.assertIn("MISSING", out)
        rc, out = self.run_gate(run, "--missing", "warn")
        self.assertEqual(rc, 0, out)
        self.assertIn("missing", out)

    def test_benchmark_that_errors_now_fails(self):
        run = copy.deepcopy(self.base)
        for b in run["benchmarks"]:
            if b.get("run_name") == self.victim:
                b["error_occurred"] = True
                b["error_message"] = "injected failure"
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 1, out)
        self.assertIn("injected failure", out)

    def test_new_benchmark_passes_unless_new_fails(self):
        run = copy.deepcopy(self.base)
        extra = copy.deepcopy(next(b for b in run["benchmarks"] if b.get("run_name") == self.victim))
        extra["name"] = extra["run_name"] = "dma_map/brand_new/4k/4096/manual_time"
        run["benchmarks"].append(extra)
        rc, out = self.run_gate(run)
        self.assertEqual(rc, 0, out)
        self.assertIn(" new ", out)
        rc, out = self.run_gate(run, "--new", "fail")
        self.assertEqual(rc, 1, out)

    def test_filter_limits_both_sides(self):
        backend = self.victim.split("/")[1]
        run = scaled(self.base, 100, only=self.victim)
        rc, out = self.run_gate(run, "--filter", f"^[^/]+/{backend}(/|$)")
        self.assertEqual(rc, 1, out)
        rc, out = self.run_gate(run, "--filter", "^no-such-benchmark/")
        self.assertEqual(rc, 2, out)
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
        self.assertEqual(rc, 2, out)
        self.assertIn("not JSON", out)
        rc, out = self.run_gate({"context": {}})
        self.assertEqual(rc, 2, out)
        self.assertIn("no 'benchmarks' list", out)
        p = subprocess.run([sys.executable, GATE, "/nonexistent/base.json", BASELINE],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no such file", p.stderr)

    def test_fuzz_findings_are_clear_errors(self):
        # Found by bench/tests/gate_fuzz.py: each crashed the gate with a traceback.
        first = copy.deepcopy(self.base["benchmarks"][0])
        cases = [
            ({"benchmarks": [1.5]}, "benchmarks[0] is float, not an object"),
            ({"benchmarks": [dict(first, real_time="12")]}, "is not a time >= 0"),
            ({"benchmarks": [dict(first, real_time=float("nan"))]}, "is not a time >= 0"),
            ({"benchmarks": [dict(first, run_name=7)]}, "run_name is 7, not a string"),
        ]
        for run, message in cases:
            rc, out = self.run_gate(run)
            self.assertEqual(rc, 2, out)
            self.assertIn(message, out)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "latin1.json")
            with open(path, "wb") as f:
                f.write(b'{"benchmarks": [{"name": "\xe4"}]}')  # a Latin-1 byte
            p = subprocess.run([sys.executable, GATE, BASELINE, path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("not UTF-8 text", p.stderr)
            tol = os.path.join(d, "tol.json")
            for bad in ({"default": "x"}, {"default": 1, "overrides": [{"pattern": 3, "tolerance": 1}]},
                        {"default": 1, "overrides": "none"}):
                with open(tol, "w") as f:
                    json.dump(bad, f)
                p = subprocess.run([sys.executable, GATE, BASELINE, BASELINE, "--tolerances", tol],
                                   capture_output=True, text=True)
                self.assertEqual(p.returncode, 2, p.stderr)
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
        self.assertEqual(rc, 1, out)
        self.assertIn("REGRESSION", out)
        rc, out = self.run_gate(insn(1005.0), "--insn-tolerance", "0.001", baseline=base)
        self.assertEqual(rc, 1, out)
        timed = {"benchmarks": [{"name": "host/x/insn", "run_name": "host/x/insn",
                                 "run_type": "iteration", "real_time": 5.0, "time_unit": "ns"}]}
        rc, out = self.run_gate(timed, baseline=base)
        self.assertEqual(rc, 2, out)
        self.assertIn("instruction", out)
        bad = insn("many")
        rc, out = self.run_gate(bad, baseline=base)
        self.assertEqual(rc, 2, out)

if __name__ == "__main__":
    unittest.main(verbosity=2)
