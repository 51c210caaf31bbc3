#!/usr/bin/env python3
"""ctest bench.ab_gate (label unit): the A/B decision of bench/ab_gate.py (issue #22).

The -icount gate skipped whenever Debian's guest kernel moved past its stored
baseline's. Now it compares A (the accepted revision's binary) with B (this build),
measured in one boot, and only prints the record. This test feeds bench/ab_gate.py
(the program bench/run-testbed --ab-base runs) made-up runs:

  1. the record was measured on 6.12.117, A and B on 6.12.118, B equal to A, the
     injected run 6 % slower: exit 0 (compared, not skipped: never 77), and the
     report names both kernels and says the comparison is A/B;
  2. B 5 % (+ a little: 5.5 %) slower than A: exit 2 (FAIL), the benchmarks named;
  3. B equal, but the injected run only 1 % slower, which a 5 % gate cannot see:
     exit 2, "it is blind"; the same when only some benchmarks see it;
  4. A and B from different kernels: exit 3 (could not run: not an A/B comparison);
  5. the rest of the exit contract (docs/cli.md "Exit status"): B with a benchmark A
     lacks, otherwise equal: exit 1 (WARN); an unreadable run: 3; an unknown option: 64.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))  # tests/unit/bench
AB = os.path.join(REPO, "bench", "ab_gate.py")
OLD = "6.12.117+deb12-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1"
NEW = "6.12.118+deb12-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.118-1~deb12u1"
# name -> ns (manual-time map/unmap in us, MMIO in ns), as the icount gate measures them
BASE = {"dma_map/type1v2/4k/4096/manual_time": (10100, "us"),
        "dma_unmap/type1v2/4k/65536/manual_time": (28100, "us"),
        "mmio_read/type1v2/library": (6.02, "ns"),
        "overhead/type1v2/mmio_write/manual_time": (2400, "us")}
JITTER = [1.0, 1.0004, 0.9997, 1.0002, 0.9999]  # the 0.1 % spread -icount shows


def run_json(kernel, scale=1.0, reps=5, only=None):
    benches = []
    for name, (ns, unit) in BASE.items():
        s = scale if only is None or name.startswith(only) else 1.0
        for i in range(reps):
            t = ns * s * JITTER[i % len(JITTER)]
            benches.append({"name": name, "run_name": name, "run_type": "iteration",
                            "repetitions": reps, "repetition_index": i, "iterations": 1000,
                            "real_time": t / 1000 if unit == "us" else t, "cpu_time": 1.0,
                            "time_unit": unit})
    return {"context": {"vfiokit_kernel": kernel,
                        "vfiokit_runs": [{"vfiokit_kernel": kernel}]}, "benchmarks": benches}


def ab(d, record, base, run, injected=None, percent=5, extra=()):
    paths = {}
    for key, data in (("record", record), ("base", base), ("run", run), ("injected", injected)):
        if data is None:
            continue
        paths[key] = os.path.join(d, key + ".json")
        with open(paths[key], "w", encoding="utf-8") as f:
            json.dump(data, f)
    cmd = [sys.executable, AB, "--record", paths["record"], "--base", paths["base"], "--run", paths["run"],
           "--tolerance", "0.05"]
    if injected is not None:
        cmd += ["--injected", paths["injected"], "--inject-percent", str(percent)]
    p = subprocess.run(cmd + list(extra), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def main():
    failures = []

    def check(what, cond, out):
        print(f"--- {what}: {'ok' if cond else 'FAILED'}")
        if not cond:
            print(out)
            failures.append(what)

    with tempfile.TemporaryDirectory() as d:
        record = run_json(OLD, scale=0.7)  # another kernel, other numbers: must not matter
        record["context"]["vfiokit_accepted_revision"] = "0" * 40
        a, b = run_json(NEW), run_json(NEW)

        rc, out = ab(d, record, a, b, run_json(NEW, 1.06, reps=3))
        check("record on 6.12.117, A and B on 6.12.118, B = A: compared and passes (0, not 77)",
              rc == 0 and "6.12.117" in out and "6.12.118" in out and "A/B on this kernel" in out
              and "gate: PASS (B against A)" in out and "gate: FAIL (injected B against A)" in out, out)
        print(out)

        rc, out = ab(d, record, a, run_json(NEW, 1.055), run_json(NEW, 1.10, reps=3))
        check("B 5.5 % slower than A: fails and names the benchmarks",
              rc == 2 and "gate: FAIL (B against A)" in out
              and all(f"{n.removesuffix('/manual_time')}" in out.split("ab-gate: FAIL")[-1] for n in BASE), out)

        rc, out = ab(d, record, a, b, run_json(NEW, 1.01, reps=3))
        check("injected run only 1 % slower (the 5 % gate misses it): blind, fails",
              rc == 2 and "the gate did not see an injected +5 % path: it is blind" in out, out)

        rc, out = ab(d, record, a, b, run_json(NEW, 1.06, reps=3, only="dma_map"))
        check("injected slowdown seen on one benchmark only: blind to the others, fails",
              rc == 2 and "it is blind" in out and "mmio_read/type1v2/library" in out.split("it is blind")[-1],
              out)

        rc, out = ab(d, record, a, b)
        check("without an injected run: B = A passes", rc == 0, out)

        rc, out = ab(d, record, run_json(OLD), b, run_json(NEW, 1.06, reps=3))
        check("A and B on different kernels: could not run (3), no comparison",
              rc == 3 and "ab-gate: could not run: A was measured on kernel" in out, out)

        more = run_json(NEW)
        more["benchmarks"] += [dict(x, name="open/new", run_name="open/new") for x in more["benchmarks"][:5]]
        rc, out = ab(d, record, a, more)
        check("B has a benchmark A lacks, otherwise equal: a WARN (1), no FAIL",
              rc == 1 and "gate: WARN (B against A)" in out and "ab-gate: WARN" in out and "open/new" in out, out)

        rc, out = ab(d, record, a, b, extra=["--base", os.path.join(d, "absent.json")])
        check("an unreadable A: could not run (3)", rc == 3 and "absent.json: no such file" in out, out)

        rc, out = ab(d, record, a, b, extra=["--no-such-option"])
        check("an unknown option: usage error (64)", rc == 64 and "unrecognized arguments" in out, out)

    print("PASS" if not failures else f"FAILED: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
