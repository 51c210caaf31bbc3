#!/usr/bin/env python3
"""Run-to-run spread of benchmark runs (python3 standard library only).

  bench/spread.py RUN1.json RUN2.json ... [--filter REGEX] [--markdown]

For each benchmark in every run: the median over its repetitions in each run (as
bench/gate.py takes it), then spread = (max - min) / median of those per-run medians.
A spread under 5 % means one run stands for the others. Used for the -icount
measurement in docs/benchmarks.md.

It measures, it does not judge: exit 0 done, 3 could not run (a run unreadable or not
Google Benchmark JSON, a bad --filter regex), 64 usage error (docs/cli.md "Exit status").
"""

import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gate  # noqa: E402


def main(argv=None):
    p = gate.UsageParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", help="Google Benchmark JSON files (e.g. bench/run-testbed's testbed.json)")
    p.add_argument("--filter", metavar="REGEX")
    p.add_argument("--markdown", action="store_true", help="a Markdown table")
    a = p.parse_args(argv)
    try:
        if a.filter:
            try:
                re.compile(a.filter)
            except re.error as e:
                raise gate.GateError(f"--filter {a.filter!r}: not a regular expression ({e})")
        runs = [gate.summarize(gate.load_json(r, "run"), a.filter) for r in a.runs]
    except gate.GateError as e:
        print(f"spread: could not run: {e}", file=sys.stderr)
        return gate.EXIT_COULD_NOT_RUN
    names = sorted(set().union(*runs))
    rows = []
    for n in names:
        med = [r[n]["ns"] for r in runs if n in r and r[n]["ns"] is not None]
        if len(med) < 2:
            continue
        m = statistics.median(med)
        rows.append((n, med, m, (max(med) - min(med)) / m if m > 0 else float("inf")))
    if a.markdown:
        print("| benchmark | per-run medians | median | spread |")
        print("|---|---|---|---|")
        for n, med, m, s in rows:
            print(f"| `{n}` | {', '.join(gate.fmt_ns(v) for v in med)} | {gate.fmt_ns(m)} | {100 * s:.1f} % |")
    else:
        w = max([9] + [len(r[0]) for r in rows])
        for n, med, m, s in rows:
            print(f"{n:<{w}}  {gate.fmt_ns(m):>10}  spread {100 * s:6.1f} %   runs: {', '.join(gate.fmt_ns(v) for v in med)}")
    if rows:
        worst = max(rows, key=lambda r: r[3])
        print(f"spread: {len(rows)} benchmarks over {len(runs)} runs; largest {100 * worst[3]:.1f} % ({worst[0]}); "
              f"median {100 * statistics.median(r[3] for r in rows):.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
