#!/usr/bin/env python3
"""Instructions per I/O of vfiokit_host_bench's cases, counted by callgrind (python3
standard library + valgrind). Deterministic for one binary: the same build gives the
same counts, so bench/gate.py can gate them at 2 %.

  bench/host/insn.py --bin build/bin/vfiokit_host_bench --out insn.json
                     [--iterations N] [--inject-work W] [--filter REGEX]

Runs `valgrind --tool=callgrind --collect-atstart=no BIN --callgrind N`: each case
turns collection on around its N measured iterations and dumps its own counts; this
script reads each dump's instruction total (Ir) and divides by the case's I/Os. The
output is Google-Benchmark-shaped JSON whose entries carry "metric": "instructions"
and "instructions" (per I/O), which bench/gate.py gates with its instruction tolerance.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import gate  # noqa: E402  (bench/gate.py: the exit contract)


def measure(binary, iterations, inject=0):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
               f"--callgrind-out-file={out}", binary, "--callgrind", str(iterations)]
        if inject:
            cmd += ["--inject-work", str(inject)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")
        cases = json.loads(p.stdout)
        totals = {}
        for path in glob.glob(out + "*"):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            trig = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
            tot = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if trig and tot:
                totals[trig.group(1).strip()] = int(tot.group(1))
    result = []
    for c in cases:
        if c["name"] not in totals:
            raise RuntimeError(f"no callgrind dump for {c['name']}")
        result.append({"name": c["name"], "ios": c["ios"], "ir": totals[c["name"]],
                       "per_io": totals[c["name"]] / c["ios"]})
    return result


def to_json(results, iterations, inject, context=None):
    ctx = {"tool": "callgrind", "iterations": iterations, "inject_work": inject}
    ctx.update(context or {})
    return {"context": ctx, "benchmarks": [
        {"name": r["name"] + "/insn", "run_name": r["name"] + "/insn", "run_type": "iteration",
         "repetitions": 1, "iterations": r["ios"], "metric": "instructions",
         "instructions": round(r["per_io"], 2), "total_instructions": r["ir"]}
        for r in results]}


def main(argv=None):
    # It measures, it does not judge: 0 done, 3 could not run, 64 usage (docs/cli.md).
    p = gate.UsageParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", required=True, help="vfiokit_host_bench")
    p.add_argument("--out", help="write the JSON here (default: stdout)")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--inject-work", type=int, default=0)
    p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                   help="recorded in the JSON's context (e.g. compiler=..., build_type=...)")
    args = p.parse_args(argv)
    try:
        res = measure(args.bin, args.iterations, args.inject_work)
    except (RuntimeError, OSError, ValueError) as e:
        print(f"insn: could not run: {e}", file=sys.stderr)
        return gate.EXIT_COULD_NOT_RUN
    ctx = dict(kv.split("=", 1) for kv in args.context if "=" in kv)
    data = json.dumps(to_json(res, args.iterations, args.inject_work, ctx), indent=1) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(data)
    else:
        sys.stdout.write(data)
    for r in res:
        print(f"{r['name']:<36} {r['per_io']:10.1f} instructions/I/O", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
