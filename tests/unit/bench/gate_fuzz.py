#!/usr/bin/env python3
"""A mutation fuzzer for bench/gate.py's inputs (python3 standard library only).

libFuzzer cannot drive a Python program and Debian 12 packages no Python fuzzer, so
this one does the same job: it starts from seed JSON files (the committed baselines
and tolerances), mutates them (structure: values of other types, huge/NaN/negative
numbers, missing and extra keys, deep nesting; bytes: truncation, flips, splices),
runs the gate in-process on baseline/run/tolerances triples and requires exit 0, 1, 2
or 3 with no traceback: a bad file is a message naming it (exit 3, could not run),
never a crash.

  tests/unit/bench/gate_fuzz.py [--seconds S] [--seed N] [--keep DIR]

A crashing input is written to DIR (default ./gate-fuzz-crashes) with its traceback;
exit status 1 then, 0 when the budget ran out clean. The run is reproducible from
--seed. CI runs it for 20 s (ci/test); docs/fuzzing.md records a 10-minute run.
"""

import argparse
import contextlib
import copy
import io
import json
import os
import random
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))  # tests/unit/bench
BENCH = os.path.join(REPO, "bench")
sys.path.insert(0, BENCH)
import gate  # noqa: E402

SEEDS = [os.path.join(BENCH, "baselines", "testbed.json"),
         os.path.join(BENCH, "baselines", "testbed-tolerances.json")]

ODD_VALUES = [None, True, False, 0, -1, 1e308, -1e308, float("nan"), float("inf"), 2**70, "",
              "x", "1.5", "ns", "us", "iteration", "aggregate", "(", "[", ".*", [], {}, [1], {"a": 1}]


def mutate_value(rng, v, depth=0):
    """A copy of v with one random change somewhere inside it."""
    if depth > 6 or rng.random() < 0.15:
        return rng.choice(ODD_VALUES + [copy.deepcopy(v)] * 2)
    if isinstance(v, dict) and v:
        v = dict(v)
        key = rng.choice(list(v))
        r = rng.random()
        if r < 0.2:
            del v[key]
        elif r < 0.3:
            v[rng.choice(["benchmarks", "real_time", "time_unit", "run_name", "name", "error_occurred",
                          "error_message", "run_type", "default", "overrides", "pattern",
                          "tolerance"])] = rng.choice(ODD_VALUES)
        else:
            v[key] = mutate_value(rng, v[key], depth + 1)
        return v
    if isinstance(v, list) and v:
        v = list(v)
        i = rng.randrange(len(v))
        r = rng.random()
        if r < 0.15:
            del v[i]
        elif r < 0.3:
            v.insert(i, copy.deepcopy(rng.choice(v + ODD_VALUES)))
        else:
            v[i] = mutate_value(rng, v[i], depth + 1)
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return rng.choice([v * rng.choice([0, -1, 1e6, 1e-9]), float("nan"), str(v), v + 1])
    if isinstance(v, str):
        return rng.choice([v + rng.choice(["/manual_time", "/real_time", "\u00e9", "\x00", "("]), v[:1],
                           v * 2, 123])
    return rng.choice(ODD_VALUES)


def mutate_bytes(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not b:
            break
        r = rng.random()
        i = rng.randrange(len(b))
        if r < 0.3:
            del b[i:]
        elif r < 0.6:
            b[i] = rng.randrange(256)
        else:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 64)]
    return bytes(b)


def make_input(rng, seed_doc, seed_text):
    r = rng.random()
    if r < 0.15:
        return mutate_bytes(rng, seed_text)
    doc = seed_doc
    for _ in range(rng.randint(1, 3)):
        doc = mutate_value(rng, doc)
    return json.dumps(doc).encode()


def run_gate(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = gate.main(args)
        except SystemExit as e:  # argparse; not expected with fixed arguments
            rc = e.code
    return rc, err.getvalue()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", default="gate-fuzz-crashes")
    a = p.parse_args()
    rng = random.Random(a.seed)
    seeds = []
    for path in SEEDS:
        with open(path, "rb") as f:
            text = f.read()
        seeds.append((json.loads(text), text))
    base_doc, base_text = seeds[0]
    tol_doc, tol_text = seeds[1]
    work = tempfile.mkdtemp(prefix="vfiokit-gate-fuzz.")
    paths = {k: os.path.join(work, k + ".json") for k in ("baseline", "run", "tolerances")}
    deadline = time.monotonic() + a.seconds
    runs = 0
    while time.monotonic() < deadline:
        files = {
            "baseline": make_input(rng, base_doc, base_text) if rng.random() < 0.5 else base_text,
            "run": make_input(rng, base_doc, base_text),
            "tolerances": make_input(rng, tol_doc, tol_text) if rng.random() < 0.3 else tol_text,
        }
        for k, data in files.items():
            with open(paths[k], "wb") as f:
                f.write(data)
        extra = rng.choice([[], ["--filter", "dma_"], ["--missing", "warn"], ["--new", "fail"]])
        args = [paths["baseline"], paths["run"], "--tolerances", paths["tolerances"]] + extra
        runs += 1
        try:
            rc, err = run_gate(args)
            if rc not in (0, 1, 2, 3):  # the exit contract; 64 (usage) cannot come from fixed arguments
                raise AssertionError(f"exit {rc!r}")
            if rc == 3 and not err.startswith("gate: could not run: "):
                raise AssertionError(f"exit 3 without a message: {err!r}")
        except Exception:  # noqa: BLE001 - any exception is the finding
            os.makedirs(a.keep, exist_ok=True)
            stem = os.path.join(a.keep, f"crash-{a.seed}-{runs}")
            for k, data in files.items():
                with open(f"{stem}.{k}.json", "wb") as f:
                    f.write(data)
            with open(f"{stem}.txt", "w") as f:
                f.write(" ".join(extra) + "\n" + traceback.format_exc())
            print(f"gate_fuzz: crash after {runs} runs; input and traceback in {stem}.*", file=sys.stderr)
            print(traceback.format_exc(), file=sys.stderr)
            return 1
    print(f"gate_fuzz: {runs} runs in {a.seconds:g} s, seed {a.seed}: no crash")
    return 0


if __name__ == "__main__":
    sys.exit(main())
