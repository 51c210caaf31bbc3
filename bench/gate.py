#!/usr/bin/env python3
"""vfiokit's benchmark regression gate (python3 standard library only).

Compares a Google Benchmark JSON run against a baseline JSON, benchmark by
benchmark, as ratios now/baseline of the per-iteration time (real_time, which is
the manual time where a benchmark times itself). With --benchmark_repetitions the
median of the repetitions is used. Prints a table and exits 2 on a regression.

Verdicts and the policy for each (see docs/benchmarks.md):
  ok          ratio <= 1 + tolerance
  faster      ratio < 1 / (1 + tolerance)          informational, passes
  REGRESSION  ratio > 1 + tolerance, and (where both sides hold --min-reps repetitions)
              the Mann-Whitney U test says the run is slower: p < --alpha   fails
  ok (not significant, p=P)
              ratio > 1 + tolerance but p >= alpha: the samples overlap too much
              to call it a slowdown                passes
  MISSING     measured in the baseline, absent or skipped now
              fails (--missing=warn makes it a warning)
  new         absent from the baseline                a warning (--new=fail makes it fail)
  skipped     skipped (SkipWithError) in both        passes; the reason is printed
  failed      ran in the baseline, errored now      fails like MISSING

Instruction counts: an entry with "metric": "instructions" (bench/host/insn.py) is
gated on its "instructions" value (per I/O, deterministic under callgrind) instead of
its time, with --insn-tolerance (default 0.02: 2 %, or "instructions" in a tolerances
file); the time tolerances never apply to it.

Significance (wall time only): with at least --min-reps (default 5) repetitions on
both sides, the per-repetition times are compared with a Mann-Whitney U test
(one-sided, H1: the run is slower; --alternative two-sided is what Google
Benchmark's compare.py reports), exact for small samples without ties, else the
normal approximation with tie and continuity correction (as scipy.stats.mannwhitneyu
does). The p value is printed. Where the sample sizes cannot reach p < alpha at all,
or with fewer repetitions, the ratio alone decides. Instruction counts are exact:
never U-tested.

Tolerances: --tolerance (default 0.25, i.e. up to 1.25x slower), overridden by a
JSON file (--tolerances) of the form
  {"default": 3.0, "overrides": [{"pattern": "REGEX", "tolerance": 5.0, "why": "..."}]}
where the first pattern that re.search()es the benchmark name wins.

--filter REGEX limits both sides to matching names (a run that measures only some
backends is gated against their part of a shared baseline).
--update writes the run into the baseline instead of gating: entries matching
--filter are replaced, all others kept; with --keep-slower only where the run is
slower (a baseline for a noisy machine is the slowest of several runs).

Exit status (docs/cli.md "Exit status", the contract of every vfiokit program):
  0  PASS: every row ok, faster, not significant or skipped
  1  WARN, no FAIL: a row the policy only warns about (missing, failed or new under
     --missing=warn / --new=warn, the default for new)
  2  FAIL: a REGRESSION, or MISSING/FAILED/NEW under a "fail" policy
  3  could not run: bad input (no such file, not JSON, no benchmark matches, a bad
     --filter regex, --alpha or tolerances file)
  64 usage error: unknown option, missing argument, a value that is not a number
"""

import argparse
import json
import math
import re
import statistics
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


# The exit contract shared with vfiokit and vfiokit-guest-check (check/check.hpp).
EXIT_PASS, EXIT_WARN, EXIT_FAIL, EXIT_COULD_NOT_RUN, EXIT_USAGE = 0, 1, 2, 3, 64

# The verdicts a "warn" policy gives (lower case; the "fail" policy's are upper case).
WARN_VERDICTS = ("missing", "failed", "new")


class GateError(Exception):
    """Bad input (exit 3, could not run): the message names the file or value and what to do."""


class UsageParser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, which the contract reserves for a FAIL: 64 here."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def exit_status(rows, failed):
    """The contract's status for gate()'s result: 2 a FAIL, 1 only warnings, else 0."""
    if failed:
        return EXIT_FAIL
    return EXIT_WARN if any(r[4] in WARN_VERDICTS for r in rows) else EXIT_PASS


def load_json(path, what):
    data = load_json_plain(path, what, hint="; pass a --benchmark_out=FILE --benchmark_out_format=json file")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise GateError(f"{what} {path}: no 'benchmarks' list; is it Google Benchmark JSON?")
    for i, b in enumerate(data["benchmarks"]):
        if not isinstance(b, dict):
            raise GateError(f"{what} {path}: benchmarks[{i}] is {type(b).__name__}, not an object")
        for key in ("name", "run_name", "run_type", "time_unit", "error_message"):
            if key in b and not isinstance(b[key], str):
                raise GateError(f"{what} {path}: benchmarks[{i}].{key} is {b[key]!r}, not a string")
    return data


def number(v):
    """v as a float if it is a finite number >= 0 (JSON true/false are not), else None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if v >= 0 and v != float("inf") and v == v else None


def canonical(b):
    """A benchmark's name without Google Benchmark's timing suffix (/manual_time)."""
    return re.sub(r"/(manual_time|real_time)$", "", b.get("run_name") or b.get("name") or "")


def summarize(data, name_filter=None):
    """name -> {"ns": median time in ns or None, "error": message or None, "reps": n}."""
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue  # aggregates (mean/median/stddev) are recomputed from the repetitions
        name = canonical(b)
        if not name:
            continue
        if name_filter and not re.search(name_filter, name):
            continue
        insn = b.get("metric") == "instructions"
        r = runs.setdefault(name, {"times": [], "error": None, "insn": insn})
        if r["insn"] != insn:
            raise GateError(f"benchmark {name}: mixes instruction counts and times")
        if b.get("error_occurred"):
            r["error"] = b.get("error_message") or "skipped"
            continue
        if insn:
            v = number(b.get("instructions"))
            if v is None:
                raise GateError(f"benchmark {name}: instructions {b.get('instructions')!r} is not a count >= 0")
            r["times"].append(v)
            continue
        unit = b.get("time_unit", "ns")
        t = number(b.get("real_time"))
        if unit not in UNIT_NS or t is None:
            raise GateError(f"benchmark {name}: real_time {b.get('real_time')!r} is not a time >= 0, "
                            f"or time_unit {unit!r} is not one of {', '.join(UNIT_NS)}")
        r["times"].append(t * UNIT_NS[unit])
    out = {}
    for name, r in runs.items():
        ns = statistics.median(r["times"]) if r["times"] else None
        out[name] = {"ns": ns, "error": None if ns is not None else r["error"], "reps": len(r["times"]),
                     "insn": r["insn"], "samples": r["times"]}
    return out


# --- Mann-Whitney U test (python3 standard library only) -------------------------------

def _ranks(values):
    """Mid-ranks (1-based; tied values share the mean of their ranks) and tie group sizes."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def u_counts(n1, n2):
    """counts[u] = how many of the C(n1+n2, n1) orderings of two untied samples give
    U = u (U counts the pairs where the first sample's value is the larger):
    c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u), the largest value from either sample."""
    prev = [[1] for _ in range(n2 + 1)]  # m = 0: U is 0 whatever n
    for m in range(1, n1 + 1):
        cur = [[1]]  # n = 0: U is 0
        for n in range(1, n2 + 1):
            a, b = prev[n], cur[n - 1]  # c(m-1, n, .) shifted by n, c(m, n-1, .)
            c = [0] * (m * n + 1)
            for u, v in enumerate(a):
                c[u + n] += v
            for u, v in enumerate(b):
                c[u] += v
            cur.append(c)
        prev = cur
    return prev[n2]


def normal_sf(z):
    return 0.5 * math.erfc(z / math.sqrt(2))


def mann_whitney(x, y, alternative="greater", method="auto"):
    """Mann-Whitney U test of x against y; returns (U of x, p, method used).
    alternative: "greater" (H1: x tends to be larger), "less", "two-sided".
    method "auto" is scipy.stats.mannwhitneyu's choice: exact when one sample has at
    most 8 values and there are no ties, else the normal approximation with tie and
    continuity correction. This is what Google Benchmark's compare.py calls (two-sided)."""
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need values")
    ranks, ties = _ranks(list(x) + list(y))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    u, factor = {"greater": (u1, 1), "less": (u2, 1), "two-sided": (max(u1, u2), 2)}[alternative]
    if method == "auto":
        method = "exact" if (n1 <= 8 or n2 <= 8) and all(t == 1 for t in ties) else "asymptotic"
    if method == "exact":
        counts = u_counts(n1, n2)
        p = sum(counts[math.ceil(u):]) / math.comb(n1 + n2, n1)  # P(U >= u)
    else:
        n = n1 + n2
        tie_term = sum(t ** 3 - t for t in ties)
        var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
        if var <= 0:
            return u1, 1.0, method  # every value equal: no evidence either way
        p = normal_sf((u - n1 * n2 / 2 - 0.5) / math.sqrt(var))
    return u1, min(1.0, max(0.0, p * factor)), method


def min_p(n1, n2, alternative):
    """The smallest p the exact test can give at these sizes (both samples apart)."""
    return (2 if alternative == "two-sided" else 1) / math.comb(n1 + n2, n1)


class Tolerances:
    def __init__(self, default, path=None, insn=0.02):
        self.default = default
        self.insn = insn
        self.overrides = []
        if path:
            data = load_json_plain(path, "tolerances file")
            if not isinstance(data, dict):
                raise GateError(f"tolerances file {path}: expected an object with 'default' and 'overrides'")
            self.default = number(data.get("default", default))
            if self.default is None:
                raise GateError(f"tolerances file {path}: 'default' is {data.get('default')!r}; "
                                f"a tolerance is a number >= 0 (0.25 allows 1.25x the baseline time)")
            if "instructions" in data:
                self.insn = number(data["instructions"])
                if self.insn is None:
                    raise GateError(f"tolerances file {path}: 'instructions' is {data['instructions']!r}; "
                                    f"a tolerance is a number >= 0 (0.02 allows 2 % more instructions)")
            overrides = data.get("overrides", [])
            if not isinstance(overrides, list):
                raise GateError(f"tolerances file {path}: 'overrides' is not a list")
            for o in overrides:
                tol = number(o.get("tolerance")) if isinstance(o, dict) else None
                try:
                    if tol is None or not isinstance(o.get("pattern"), str):
                        raise ValueError("no string 'pattern' or no 'tolerance' >= 0")
                    self.overrides.append((re.compile(o["pattern"]), tol))
                except (ValueError, re.error) as e:
                    raise GateError(f"tolerances file {path}: bad override {o!r} ({e}); "
                                    f"each needs 'pattern' (a regex) and 'tolerance' (a number >= 0)")
        if number(self.default) is None or number(self.insn) is None:
            raise GateError("a tolerance must be >= 0 (0.25 allows 1.25x the baseline time)")

    def get(self, name):
        for pattern, tol in self.overrides:
            if pattern.search(name):
                return tol
        return self.default


def load_json_plain(path, what, hint=""):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise GateError(f"{what} {path}: no such file")
    except UnicodeDecodeError as e:
        raise GateError(f"{what} {path}: not UTF-8 text ({e}){hint}")
    except (json.JSONDecodeError, RecursionError) as e:
        raise GateError(f"{what} {path}: not JSON ({e}){hint}")


def fmt_ns(ns, insn=False):
    if ns is None:
        return "-"
    if insn:
        return f"{ns:.1f} insn"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def significance(b, n, sig):
    """p of "the run is slower" for two wall-time entries, or (None, why not)."""
    if sig is None:
        return None, ""
    nb, nn = len(b["samples"]), len(n["samples"])
    if min(nb, nn) < sig["min_reps"]:
        return None, f"no U test: {nn} vs {nb} repetitions (< {sig['min_reps']})"
    if min_p(nn, nb, sig["alternative"]) >= sig["alpha"]:
        return None, f"no U test: {nn} vs {nb} repetitions cannot reach p < {sig['alpha']:g}"
    _, p, _ = mann_whitney(n["samples"], b["samples"], sig["alternative"])
    return p, ""


def gate(base, now, tols, missing_policy, new_policy, sig=None):
    """Returns (rows, failed). A row is (name, base, now, ratio, verdict, note, insn, p).
    sig: {"alpha", "min_reps", "alternative"} for the U test of wall times, or None."""
    rows, failed = [], False
    for name in sorted(set(base) | set(now)):
        b, n = base.get(name), now.get(name)
        insn = (b or n)["insn"]
        if b is not None and n is not None and b["insn"] != n["insn"]:
            raise GateError(f"benchmark {name}: an instruction count on one side, a time on the other")
        tol = tols.insn if insn else tols.get(name)
        if b is None:
            verdict = "new"
            note = n["error"] or ""
            if new_policy == "fail":
                verdict, failed = "NEW", True
            rows.append((name, None, n["ns"], None, verdict, note, insn, None))
            continue
        if n is None or (n["ns"] is None and b["ns"] is not None):
            verdict = "MISSING" if n is None else "FAILED"
            note = "not in this run" if n is None else n["error"]
            if missing_policy == "fail":
                failed = True
            else:
                verdict = verdict.lower()
            rows.append((name, b["ns"], None, None, verdict, note, insn, None))
            continue
        if b["ns"] is None:
            verdict = "skipped" if n["ns"] is None else "new"
            rows.append((name, None, n["ns"], None, verdict, n["error"] or "skipped in the baseline", insn, None))
            continue
        ratio = n["ns"] / b["ns"] if b["ns"] > 0 else float("inf")
        p, why = (None, "") if insn else significance(b, n, sig)
        if ratio > 1 + tol and p is not None and p >= sig["alpha"]:
            verdict = f"ok (not significant, p={p:.3g})"
        elif ratio > 1 + tol:
            verdict, failed = "REGRESSION", True
        elif ratio < 1 / (1 + tol):
            verdict = "faster"
        else:
            verdict = "ok"
        limit = f"limit +{100 * tol:g} % instructions" if insn else f"limit {1 + tol:.2f}x"
        if p is not None:
            limit += f", p < {sig['alpha']:g} ({sig['alternative']} U test)"
        elif why:
            limit += f", {why}"
        rows.append((name, b["ns"], n["ns"], ratio, verdict, limit, insn, p))
    return rows, failed


def print_table(rows, out=None):
    out = out or sys.stdout
    w = max([len("benchmark")] + [len(r[0]) for r in rows])
    print(f"{'benchmark':<{w}}  {'baseline':>12}  {'now':>12}  {'ratio':>7}  {'p':>7}  {'verdict':<10}  note",
          file=out)
    for name, b, n, ratio, verdict, note, insn, p in rows:
        r = (f"{ratio:.4f}x" if insn else f"{ratio:.2f}x") if ratio is not None else "-"
        ps = f"{p:.3g}" if p is not None else "-"
        print(f"{name:<{w}}  {fmt_ns(b, insn):>12}  {fmt_ns(n, insn):>12}  {r:>7}  {ps:>7}  {verdict:<10}  {note}",
              file=out)


def update(baseline_path, run, name_filter, keep_slower=False):
    """Merges `run` into the baseline: matching entries replaced, others kept.
    With keep_slower, a benchmark's entries are replaced only when the run's median
    is slower (or the baseline lacks it): the baseline becomes the slowest of the
    runs fed to it, so one lucky fast run does not become the bar."""
    try:
        base = load_json(baseline_path, "baseline")
    except GateError as e:
        if "no such file" not in str(e):
            raise
        base = {"context": run.get("context", {}), "benchmarks": []}
    name_of = canonical

    def matches(b):
        return name_filter is None or re.search(name_filter, name_of(b))

    incoming = {name_of(b) for b in run["benchmarks"] if matches(b)}
    if keep_slower:
        old, new = summarize(base, name_filter), summarize(run, name_filter)
        def slower(n):
            if n not in old:
                return True
            now_ns = new.get(n, {}).get("ns")
            return now_ns is not None and (old[n]["ns"] is None or now_ns > old[n]["ns"])
        incoming = {n for n in incoming if slower(n)}
        kept = [b for b in base["benchmarks"] if name_of(b) not in incoming]
    else:
        kept = [b for b in base["benchmarks"] if not (matches(b) or name_of(b) in incoming)]
    base["benchmarks"] = kept + [b for b in run["benchmarks"] if name_of(b) in incoming]
    ctx = base.setdefault("context", {})
    ctx.update({k: v for k, v in run.get("context", {}).items() if k in ("date", "host_name", "num_cpus", "mhz_per_cpu")})
    with open(baseline_path, "w", encoding="utf-8") as f:
        json.dump(base, f, indent=1)
        f.write("\n")
    return len(incoming)


def main(argv=None):
    p = UsageParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("baseline", help="baseline JSON (e.g. bench/baselines/testbed.json)")
    p.add_argument("run", help="this run's JSON (vfiokit_bench --benchmark_out=FILE)")
    p.add_argument("--tolerance", type=float, default=0.25,
                   help="allowed slowdown: 0.25 passes up to 1.25x the baseline (default 0.25)")
    p.add_argument("--insn-tolerance", type=float, default=0.02,
                   help="allowed increase of an instruction count (metric 'instructions'): 0.02 = 2 %% (default)")
    p.add_argument("--tolerances", metavar="FILE", help="JSON file with a default and per-benchmark overrides")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level of the U test: a wall-time regression needs p < ALPHA (default 0.05)")
    p.add_argument("--min-reps", type=int, default=5,
                   help="repetitions both sides need for the U test; with fewer the ratio alone decides (default 5)")
    p.add_argument("--alternative", choices=["greater", "two-sided"], default="greater",
                   help="U test: one-sided 'the run is slower' (default) or two-sided (compare.py's)")
    p.add_argument("--no-utest", action="store_true", help="gate wall times on the ratio alone")
    p.add_argument("--filter", metavar="REGEX", help="gate (or update) only benchmarks whose name matches")
    p.add_argument("--missing", choices=["fail", "warn"], default="fail",
                   help="a baseline benchmark absent or failed now: fail (default) or warn")
    p.add_argument("--new", choices=["warn", "fail"], default="warn",
                   help="a benchmark the baseline lacks: warn (default) or fail")
    p.add_argument("--update", action="store_true",
                   help="refresh the baseline from this run (filtered entries replaced) instead of gating")
    p.add_argument("--keep-slower", action="store_true",
                   help="with --update: replace a benchmark only where this run is slower (widen a noisy baseline)")
    args = p.parse_args(argv)
    try:
        if args.filter:
            try:
                re.compile(args.filter)
            except re.error as e:
                raise GateError(f"--filter {args.filter!r}: not a regular expression ({e})")
        run = load_json(args.run, "run")
        if args.update:
            n = update(args.baseline, run, args.filter, args.keep_slower)
            print(f"gate: baseline {args.baseline}: {n} benchmarks taken from {args.run}")
            return 0
        base = summarize(load_json(args.baseline, "baseline"), args.filter)
        now = summarize(run, args.filter)
        if not base:
            raise GateError(f"baseline {args.baseline}: no benchmark matches"
                            + (f" --filter {args.filter!r}" if args.filter else "")
                            + "; refresh it with --update")
        tols = Tolerances(args.tolerance, args.tolerances, args.insn_tolerance)
        if not 0 < args.alpha < 1:
            raise GateError(f"--alpha {args.alpha}: a significance level between 0 and 1 (e.g. 0.05)")
        if args.min_reps < 2:
            raise GateError(f"--min-reps {args.min_reps}: the U test needs at least 2 repetitions a side")
        sig = None if args.no_utest else {"alpha": args.alpha, "min_reps": args.min_reps,
                                          "alternative": args.alternative}
        rows, failed = gate(base, now, tols, args.missing, args.new, sig)
    except GateError as e:
        print(f"gate: could not run: {e}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN
    print_table(rows)
    counts = {}
    for r in rows:
        key = re.sub(r", p=[^)]*\)$", ")", r[4])  # "ok (not significant)" counted together
        counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    status = exit_status(rows, failed)
    print(f"gate: {('PASS', 'WARN', 'FAIL')[status]} ({summary})")
    return status


if __name__ == "__main__":
    sys.exit(main())
