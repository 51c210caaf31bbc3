#!/usr/bin/env python3
"""ctest bench.host.insn (label unit): the instruction gate sees 2 %.

1. Callgrind counts of vfiokit_host_bench are deterministic: two measurements of this
   build gate PASS against each other at the 2 % instruction tolerance.
2. A/B: this build (B) gates PASS at 2 % against the accepted revision (A): the
   revision recorded in bench/baselines/host-insn.json's context
   ("vfiokit_accepted_revision"), built here by bench/baseline-build with this build's
   type and compiler, and measured in this run. The committed numbers are the record:
   printed for information (beside the compiler and build type they were counted
   with), never compared. A base that cannot be built (e.g. a shallow clone lacking
   the revision) fails the test with bench/baseline-build's message.
3. Genuine extra work: --inject-work W adds W iterations of a loop per I/O in the
   library cases' measured path. W is calibrated from a measurement so that it adds
   3-6 % instructions to every library NVMe case (one unit of W is a few instructions): the gate must FAIL and name them. An
   injection of under 1 % must PASS (jitter-free counts: the tolerance is the only slack).

Exit 77 (ctest SKIP_RETURN_CODE) in sanitizer builds: valgrind and ASan do not mix.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))  # tests/unit/bench/host
BENCH = os.path.join(REPO, "bench")
sys.path.insert(0, os.path.join(BENCH, "host"))
import insn  # noqa: E402

GATE = os.path.join(BENCH, "gate.py")
BASELINE_BUILD = os.path.join(BENCH, "baseline-build")
ITER = 500
LIB = [f"host_nvme_read/library/{qd}/4096" for qd in ("qd1", "qd32")]


def write(d, name, results, inject=0, ctx=None):
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(insn.to_json(results, ITER, inject, ctx), f)
    return path


def gate(base, run):
    p = subprocess.run([sys.executable, GATE, base, run, "--insn-tolerance", "0.02"],
                       capture_output=True, text=True)
    print(p.stdout + p.stderr)
    return p.returncode, p.stdout


def per_io(results):
    return {r["name"]: r["per_io"] for r in results}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--baseline", required=True)
    p.add_argument("--sanitize", default="OFF")
    p.add_argument("--context", action="append", default=[])
    a = p.parse_args()
    if a.sanitize.upper() in ("ON", "1", "TRUE", "YES"):
        print("SKIPPED: the callgrind instruction gate does not run in a sanitizer build "
              "(valgrind and ASan do not mix); bench.host.short still runs the benchmark")
        return 77
    if not shutil.which("valgrind"):
        print("FAIL: valgrind not found (ci/install-deps installs it)")
        return 1
    ctx = dict(kv.split("=", 1) for kv in a.context)
    failures = []
    with tempfile.TemporaryDirectory() as d:
        clean = insn.measure(a.bin, ITER)
        again = insn.measure(a.bin, ITER)
        c1, c2 = write(d, "clean.json", clean, ctx=ctx), write(d, "again.json", again, ctx=ctx)
        print("== 1. determinism: this build against itself")
        rc, _ = gate(c1, c2)
        if rc != 0 or per_io(clean) != per_io(again):
            failures.append("two measurements of one build differ")

        print("== 2. A/B: this build (B) against the accepted revision (A), measured now")
        with open(a.baseline, encoding="utf-8") as f:
            bctx = json.load(f).get("context", {})
        rev = bctx.get("vfiokit_accepted_revision", "")
        print(f"the record {a.baseline} (information only): accepted revision {rev or '(none)'}, "
              f"compiler={bctx.get('compiler')}, build_type={bctx.get('build_type')}")
        gate(a.baseline, c1)  # the record against B: printed, never decides
        if not rev:
            failures.append(f"{a.baseline} has no context.vfiokit_accepted_revision: the A/B gate has no base")
        else:
            cmd = [BASELINE_BUILD, "--rev", rev, "--build-type", ctx.get("build_type", "")]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(p.stderr[-3000:])
                failures.append(f"bench/baseline-build --rev {rev} failed (status {p.returncode}): "
                                f"{p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}")
            else:
                base_bin = os.path.join(p.stdout.strip().splitlines()[-1], "vfiokit_host_bench")
                print(f"A = {base_bin} (revision {rev[:12]}), B = {a.bin}")
                ca = write(d, "base.json", insn.measure(base_bin, ITER), ctx=dict(ctx, revision=rev))
                print("-- B against A (2 %):")
                rc, _ = gate(ca, c1)
                if rc not in (0, 1):  # 1: only a WARN (a benchmark A lacks), no count moved
                    failures.append(f"the instruction counts moved against the accepted revision {rev[:12]} "
                                    "(after an intended change, accept it: docs/benchmarks.md, 'A/B gates')")

        print("== 3. injected work")
        probe = per_io(insn.measure(a.bin, ITER, inject=100))
        base = per_io(clean)
        slope = min((probe[n] - base[n]) / 100 for n in LIB)  # instructions per unit of W
        if slope <= 0:
            failures.append(f"--inject-work adds no instructions (slope {slope})")
        else:
            w3 = math.ceil(0.0305 * max(base[n] for n in LIB) / slope)
            w1 = math.floor(0.009 * min(base[n] for n in LIB) / slope)
            r3 = insn.measure(a.bin, ITER, inject=w3)
            inc = {n: per_io(r3)[n] / base[n] - 1 for n in LIB}
            print(f"--inject-work {w3}: " + ", ".join(f"{n} +{100 * v:.2f} %" for n, v in inc.items()))
            if not all(0.03 <= v <= 0.06 for v in inc.values()):
                failures.append(f"the 3 % injection added {inc}, not 3-6 %")
            rc, out = gate(c1, write(d, "inject3.json", r3, w3, ctx))
            if rc != 2 or not all(f"{n}/insn" in out and "REGRESSION" in out for n in LIB):
                failures.append("a 3 % instruction increase did not fail the gate")
            for n in LIB:
                line = next((l for l in out.splitlines() if l.startswith(n + "/insn")), "")
                if "REGRESSION" not in line:
                    failures.append(f"{n}: 3 % more instructions not reported as REGRESSION")
            if w1 == 0:
                print("no injection under 1 % possible: one unit of W is already 1 % or more")
            else:
                r1 = insn.measure(a.bin, ITER, inject=w1)
                inc1 = {n: per_io(r1)[n] / base[n] - 1 for n in LIB}
                print(f"--inject-work {w1}: " + ", ".join(f"{n} +{100 * v:.2f} %" for n, v in inc1.items()))
                rc, _ = gate(c1, write(d, "inject1.json", r1, w1, ctx))
                if rc != 0:
                    failures.append("an increase under 1 % failed the 2 % gate")
    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
