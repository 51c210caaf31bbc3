#!/usr/bin/env python3
"""The A/B decision of vfiokit's benchmark gates (python3 standard library only).

  bench/ab_gate.py --record RECORD --base A.json --run B.json
                   [--injected I.json --inject-percent P]
                   [--tolerances FILE | --tolerance T] [--filter REGEX] [--min-reps N]

A is the accepted revision's binary (bench/baseline-build), B this build's, both
measured in the same run on the same machine and guest kernel (bench/run-testbed
--ab-base). The decision:

  1. B is gated against A (bench/gate.py's gate: ratios of medians, the U test where
     both sides have --min-reps repetitions). A regression fails.
  2. With --injected: B run with --inject-percent P (real extra work in the measured
     path) is gated against A the same way, and must FAIL on every benchmark A has:
     a gate that lets an injected +P % through is blind, and a blind gate fails.
  3. The record (the committed numbers, e.g. bench/baselines/testbed-icount.json) is
     printed for information only, beside its kernel and accepted revision: it is
     never the comparison, so a record measured on another guest kernel (Debian
     moved 6.12.117 -> 6.12.118) changes nothing.

Exit status (docs/cli.md "Exit status", the contract of every vfiokit program):
  0  PASS: B against A passes and the injected run (if any) fails the gate
  1  WARN, no FAIL: B against A holds only warnings (a benchmark A lacks: new)
  2  FAIL: B regressed against A (or lost a benchmark), or the gate is blind
  3  could not run: bad input (no such file, not JSON, no benchmark matches, a bad
     --filter regex, A and B measured on different kernels: then it is no A/B comparison)
  64 usage error: unknown option, missing --record/--base/--run, a value not a number
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gate as g  # noqa: E402


def kernels(data):
    """The guest kernels a (merged) run was measured on, as a sorted list."""
    c = data.get("context", {})
    runs = c.get("vfiokit_runs") or [c]
    return sorted({r.get("vfiokit_kernel", "") for r in runs})


def decide(record, base, run, injected=None, inject_percent=0, tols=None, name_filter=None,
           min_reps=5, out=None):
    """The A/B verdict. record/base/run/injected: Google Benchmark JSON (dicts).
    Returns (status, messages): status 0 pass, 1 only warnings, 2 fail (gate.EXIT_*);
    raises gate.GateError for bad input (could not run)."""
    out = out or sys.stdout
    tols = tols or g.Tolerances(0.05)
    sig = {"alpha": 0.05, "min_reps": min_reps, "alternative": "greater"}
    rctx = record.get("context", {})
    ka, kb = kernels(base), kernels(run)
    if ka != kb:
        raise g.GateError(f"A was measured on kernel {ka}, B on {kb}: not an A/B comparison "
                          f"(run both in the same boot: bench/run-testbed --ab-base)")
    print(f"ab-gate: the record (information only): accepted revision "
          f"{rctx.get('vfiokit_accepted_revision', '(none recorded)')}, guest kernel "
          f"{', '.join(kernels(record))}", file=out)
    print(f"ab-gate: this run's guest kernel: {', '.join(kb)}", file=out)
    note = ("the same kernel as the record" if kernels(record) == kb
            else "not the record's, which does not matter")
    print(f"ab-gate: the comparison is A/B on this kernel ({note}): A = the accepted revision's "
          f"binary, B = this build's, measured in the same run", file=out)

    failures = []
    A = g.summarize(base, name_filter)
    B = g.summarize(run, name_filter)
    if not A:
        raise g.GateError("A (the base run) has no benchmark" +
                          (f" matching {name_filter!r}" if name_filter else ""))
    R = g.summarize(record, name_filter)
    if R:
        print("== the record against B (information only, not gated)", file=out)
        rows, _ = g.gate(R, B, tols, "warn", "warn", None)
        g.print_table([(n, b, v, r, "info", "", i, None) for n, b, v, r, _, _, i, _ in rows], out)

    print("== B (this build) against A (the accepted revision)", file=out)
    rows, failed = g.gate(A, B, tols, "fail", "warn", sig)
    status = g.exit_status(rows, failed)
    g.print_table(rows, out)
    print(f"gate: {('PASS', 'WARN', 'FAIL')[status]} (B against A)", file=out)
    if failed:
        bad = [r[0] for r in rows if r[4] in ("REGRESSION", "MISSING", "FAILED", "NEW")]
        failures.append(f"B against A: {', '.join(bad)}")

    if injected is not None:
        print(f"== B with --inject-percent {inject_percent:g} against A (must FAIL: the gate's own check)",
              file=out)
        I = g.summarize(injected, name_filter)
        rows, ifailed = g.gate(A, I, tols, "fail", "warn", sig)
        g.print_table(rows, out)
        print(f"gate: {'FAIL' if ifailed else 'PASS'} (injected B against A)", file=out)
        missed = [r[0] for r in rows if r[1] is not None and r[4] != "REGRESSION"]
        if not ifailed or missed:
            failures.append(f"the gate did not see an injected +{inject_percent:g} % path: it is blind"
                            + (f" (not a REGRESSION: {', '.join(missed)})" if missed else ""))
    for f in failures:
        print(f"ab-gate: FAIL: {f}", file=out)
    if not failures and status == g.EXIT_WARN:
        warned = [r[0] for r in rows if r[4] in g.WARN_VERDICTS]
        print(f"ab-gate: WARN: B is within the tolerance of A; not in A: {', '.join(warned)}", file=out)
    elif not failures:
        print("ab-gate: PASS: B is within the tolerance of A"
              + (f", and the injected +{inject_percent:g} % run failed the gate" if injected is not None else ""),
              file=out)
    return (g.EXIT_FAIL if failures else status), failures


def main(argv=None):
    p = g.UsageParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--record", required=True, help="the committed numbers (printed, never compared)")
    p.add_argument("--base", required=True, help="A: the accepted revision's run (JSON)")
    p.add_argument("--run", required=True, help="B: this build's run (JSON)")
    p.add_argument("--injected", help="B run with --inject-percent (JSON): must fail the gate")
    p.add_argument("--inject-percent", type=float, default=0)
    p.add_argument("--tolerance", type=float, default=0.05)
    p.add_argument("--tolerances", metavar="FILE")
    p.add_argument("--filter", metavar="REGEX")
    p.add_argument("--min-reps", type=int, default=5)
    p.add_argument("--out", help="also write the report here")
    a = p.parse_args(argv)
    try:
        if a.filter:
            try:
                re.compile(a.filter)
            except re.error as e:
                raise g.GateError(f"--filter {a.filter!r}: not a regular expression ({e})")
        record = g.load_json(a.record, "record")
        base = g.load_json(a.base, "A (base run)")
        run = g.load_json(a.run, "B (this run)")
        injected = g.load_json(a.injected, "injected run") if a.injected else None
        tols = g.Tolerances(a.tolerance, a.tolerances)
        import io
        buf = io.StringIO()
        status, _ = decide(record, base, run, injected, a.inject_percent, tols, a.filter, a.min_reps, buf)
    except g.GateError as e:
        print(f"ab-gate: could not run: {e}", file=sys.stderr)
        return g.EXIT_COULD_NOT_RUN
    sys.stdout.write(buf.getvalue())
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
    return status


if __name__ == "__main__":
    sys.exit(main())
