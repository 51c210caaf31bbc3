#!/usr/bin/env python3
"""Every vfiokit_bench flag docs/benchmarks.md names exists, every flag the program
has is documented, and each one works: issue #14 found `--nvme-bdf` and
`--nvme-allow-write` documented but rejected.

  bench_flags_test.py --bench build/bin/vfiokit_bench            host only (ctest bench.flags.docs)
  bench_flags_test.py --bench build/bin/vfiokit_bench --vm       + a test-bed VM (ctest vm.bench.flags.stock.intel)

Host part (no device, no root):
  - the flags the docs name for vfiokit_bench are collected from: the bullets of
    "## Running on a real host" (its flag list), every shell command in a code block
    that runs vfiokit_bench (the flags after it), and every inline `vfiokit_bench --x`;
  - the program's flags are the `--x` tokens of `vfiokit_bench --help` (options and the
    footer's Google Benchmark flags);
  - fails if the docs name a flag the program lacks, or the program has one the docs
    never mention;
  - runs vfiokit_bench once per documented flag, with an invalid --max-size after it:
    the flag must get through the command-line parser (no CLI11 "not expected" error)
    and the run must stop at the --max-size check, before anything touches the machine.
  - the exit contract (docs/cli.md "Exit status"): an unknown option and an option
    without its value exit 64 (usage), as does a Google Benchmark flag whose value is not
    one of its choices (--benchmark_format=jsn), --help 0, the bogus --max-size 3 (could not run).

VM part (--vm): one stock-kernel guest with edu and nvme (ci/vm/run) runs
vfiokit_bench once per case below, each with a tiny --benchmark_filter and
--benchmark_min_time; every run's exit status is checked, and the flag's effect where
the JSON or the output shows it (the cases name what they check). Every documented
flag must be used by at least one case.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))  # tests/unit/bench
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9_-]*[a-z0-9]")
SHELL_SEPARATORS = {"|", "||", "&&", ";", ">", "2>", "<"}


def flags_in(text):
    return set(FLAG.findall(text))


def doc_flags(text):
    """The flags docs/benchmarks.md names for vfiokit_bench: {flag: where}."""
    found = {}

    def add(flags, where):
        for f in flags:
            found.setdefault(f, where)

    # 1. the flag list: bullets of "## Running on a real host".
    m = re.search(r"^## Running on a real host\n(.*?)(?=^## )", text, re.M | re.S)
    if not m:
        raise SystemExit("docs: no '## Running on a real host' section (the flag list)")
    bullet = None
    for line in m.group(1).splitlines():
        if line.startswith("- "):
            if bullet:
                add(flags_in(bullet), "'Running on a real host' bullets")
            bullet = line
        elif bullet is not None and line.startswith("  ") and line.strip():
            bullet += " " + line.strip()
        else:
            if bullet:
                add(flags_in(bullet), "'Running on a real host' bullets")
            bullet = None
    if bullet:
        add(flags_in(bullet), "'Running on a real host' bullets")
    # 2. code-block commands that run vfiokit_bench (4-space indented lines, joined at '\').
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("    ") and not line.lstrip().startswith(("|", "{", "[", '"')):
            cmd = line
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1] + " " + lines[i]
            try:
                tokens = shlex.split(cmd, comments=True)
            except ValueError:
                tokens = cmd.split()
            on = False
            for t in tokens:
                if os.path.basename(t) == "vfiokit_bench":
                    on = True
                elif t in SHELL_SEPARATORS:
                    on = False
                elif on:
                    add(flags_in(t.split("=", 1)[0]), f"command: {cmd.strip()[:60]}")
        i += 1
    # 3. inline `vfiokit_bench --x ...`.
    for span in re.findall(r"`vfiokit_bench ([^`]*)`", text):
        add(flags_in(span), f"`vfiokit_bench {span}`")
    found.pop("--help", None)  # CLI11's, and the test runs it anyway
    return found


def help_flags(bench):
    p = subprocess.run([bench, "--help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit(f"{bench} --help: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return flags_in(p.stdout.replace("--benchmark_*", "")) - {"--help"}, p.stdout


# A value for each flag that takes one (host parse check and VM cases).
SAMPLE = {
    "--bdf": "0000:00:02.0", "--nvme-bdf": "0000:00:03.0", "--backends": "auto",
    "--sizes": "4K,64K", "--max-size": "64K", "--hugepages": "-1",
    "--benchmark_filter": "^none$", "--benchmark_min_time": "0.001",
    "--benchmark_repetitions": "1", "--benchmark_format": "json",
    "--benchmark_out": "/dev/null", "--benchmark_out_format": "json",
    "--benchmark_color": "false", "--benchmark_list_tests": "false",
    "--benchmark_enable_random_interleaving": "true", "--inject-percent": "5",
}
VALUELESS = {"--allow-write", "--nvme-allow-write", "--keep-thp"}


def parse_check(bench, flag):
    """The flag gets through the parser: the run stops at the bogus --max-size given
    after it (parsed before anything else happens), not at a CLI11 error."""
    if flag in VALUELESS:
        arg = [flag]
    elif flag in SAMPLE:
        arg = [f"{flag}={SAMPLE[flag]}"]
    else:
        return f"{flag}: no sample value in bench_flags_test.py's SAMPLE; add one"
    args = [bench, *arg, "--max-size=bogus-size"] if flag != "--max-size" else [bench, "--max-size=bogus-size"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    if p.returncode != 3 or "bogus-size" not in out or "not expected" in out:
        return f"{shlex.join(args)}: exit {p.returncode}, expected 3 (could not run) at the --max-size check:\n{out.strip()}"
    return None


def exit_contract_checks(bench):
    """docs/cli.md "Exit status": vfiokit_bench measures and never judges, so 0 (done),
    3 (could not run: the bogus --max-size of parse_check) or 64 (usage) here."""
    errors = []
    for args, status, message in (([bench, "--no-such-option"], 64, "--no-such-option"),
                                  ([bench, "--inject-percent"], 64, "--inject-percent"),
                                  ([bench, "--help"], 0, "--benchmark_"),
                                  # Google Benchmark would print its usage and exit 0.
                                  ([bench, "--benchmark_format=jsn"], 64, "'jsn' is not one of"),
                                  ([bench, "--benchmark_out_format=xml"], 64, "--benchmark_out_format"),
                                  ([bench, "--benchmark_time_unit=h"], 64, "ns, us, ms, s")):
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        out = p.stdout + p.stderr
        if p.returncode != status or message not in out:
            errors.append(f"{shlex.join(args)}: exit {p.returncode}, expected {status} naming {message}:\n{out.strip()}")
    return errors


def host_checks(bench, docs_path):
    with open(docs_path, encoding="utf-8") as f:
        docs = doc_flags(f.read())
    have, _ = help_flags(bench)
    errors = []
    for f in sorted(set(docs) - have):
        errors.append(f"docs name {f} ({docs[f]}) but vfiokit_bench --help has no such flag")
    for f in sorted(have - set(docs)):
        errors.append(f"vfiokit_bench has {f} (--help) but docs/benchmarks.md never names it "
                      f"(add it to the 'Running on a real host' bullets)")
    for f in sorted(set(docs) & have):
        e = parse_check(bench, f)
        if e:
            errors.append(e)
    errors += exit_contract_checks(bench)
    print(f"bench_flags_test: docs name {len(docs)} vfiokit_bench flags, --help has {len(have)}: "
          + " ".join(sorted(docs)))
    return docs, errors


# --- VM cases ------------------------------------------------------------------------
# Each: (name, vfiokit_bench arguments ($EDU and $NVME are the guest's BDFs), check).
# A check gets (json or None, stdout, ids) and returns a list of problems.
MMIO_NVME = "--benchmark_filter=^(mmio_read/[^/]+/(raw|skipped)|nvme_write/[^/]+/qd1/poll/4096)(/|$)"
DMA = "--benchmark_filter=^dma_map/[^/]+/4k/(4096|8192|65536|1048576)/"
FAST = "--benchmark_min_time=0.001"


def runs(j):
    return [b for b in j["benchmarks"] if b.get("run_type") == "iteration"]


def by_name(j):
    out = {}
    for b in runs(j):
        out.setdefault(re.sub(r"/(manual|real)_time$", "", b["run_name"]), []).append(b)
    return out


def first(j, prefix):
    return next((v[0] for k, v in by_name(j).items() if k.startswith(prefix)), None)


def sizes(j):
    return sorted({int(k.split("/")[3]) for k in by_name(j) if k.startswith("dma_map/")})


def expect(cond, what):
    return [] if cond else [what]


def ctx(j, k):
    return j["context"].get(k)


def check_base(j, out, ids, _cases):
    nw = first(j, "nvme_write/")
    return (expect(ctx(j, "vfiokit_bdf") == ids["EDU"], f"default device is edu {ids['EDU']}: {ctx(j, 'vfiokit_bdf')}")
            + expect(ctx(j, "vfiokit_nvme_bdf") == ids["NVME"], f"default NVMe found: {ctx(j, 'vfiokit_nvme_bdf')}")
            + expect(ctx(j, "vfiokit_thp_disabled") == "1", "THP off by default")
            + expect(nw is not None and nw.get("error_occurred") and "--allow-write" in nw.get("error_message", ""),
                     f"nvme_write skipped without --allow-write: {nw}")
            + expect(first(j, "mmio_read/") is not None and not first(j, "mmio_read/").get("error_occurred"),
                     "mmio_read ran on edu")
            + expect(all(re.search(r"^(mmio_read|nvme_write)/", k) for k in by_name(j)),
                     f"--benchmark_filter kept only its matches: {sorted(by_name(j))}")
            + expect("\x1b[" not in out, "no colour by default"))


def check_write(j, out, ids, _cases):
    nw = first(j, "nvme_write/")
    return expect(nw is not None and not nw.get("error_occurred") and nw.get("iterations", 0) > 0,
                  f"nvme_write ran: {nw}")


def check_nvme_bdf(j, out, ids, _cases):
    # edu, not the NVMe the default would find: the flag is what chose it.
    nw = first(j, "nvme_write/")
    return (expect(ctx(j, "vfiokit_nvme_bdf") == ids["EDU"], f"vfiokit_nvme_bdf = {ctx(j, 'vfiokit_nvme_bdf')}")
            + expect(nw is not None and nw.get("error_occurred"), "no NVMe I/O on edu"))


def check_bdf(j, out, ids, _cases):
    mm = first(j, "mmio_read/")
    return (expect(ctx(j, "vfiokit_bdf") == ids["NVME"], f"vfiokit_bdf = {ctx(j, 'vfiokit_bdf')}")
            + expect(mm is not None and mm.get("error_occurred") and "skipped" in mm["run_name"],
                     f"MMIO benchmarks skipped on a non-edu device: {mm}"))


def check_backends(j, out, ids, _cases):
    names = list(by_name(j))
    return (expect(ctx(j, "vfiokit_targets") == "type1", f"vfiokit_targets = {ctx(j, 'vfiokit_targets')}")
            + expect(names and all(n.split("/")[1] == "type1" for n in names), f"names: {names}"))


def check_default_sizes(j, out, ids, _cases):
    return expect(sizes(j) == [4096, 65536, 1048576], f"default sizes under the filter: {sizes(j)}")


def check_sizes(j, out, ids, _cases):
    return expect(sizes(j) == [8192, 65536, 1048576], f"--sizes 8K,64K,1M gave {sizes(j)}")


def check_max_size(j, out, ids, _cases):
    return (expect(sizes(j) == [8192, 65536], f"--max-size 64K gave {sizes(j)}")
            + expect(ctx(j, "vfiokit_max_size") == "65536", f"vfiokit_max_size = {ctx(j, 'vfiokit_max_size')}"))


def check_hugepages(j, out, ids, cases):
    before = cases["defaults"][0]["context"].get("vfiokit_free_2m_hugepages")
    return (expect(before != "6", f"control: the default run had {before} free 2 MiB pages")
            + expect(ctx(j, "vfiokit_free_2m_hugepages") == "6",
                     f"vfiokit_free_2m_hugepages = {ctx(j, 'vfiokit_free_2m_hugepages')}"))


def check_keep_thp(j, out, ids, _cases):
    return expect(ctx(j, "vfiokit_thp_disabled") == "0", f"vfiokit_thp_disabled = {ctx(j, 'vfiokit_thp_disabled')}")


def check_min_time(j, out, ids, cases):
    short = first(cases["defaults"][0], "mmio_read/")["iterations"]
    long = first(j, "mmio_read/")["iterations"]
    return expect(long > 5 * short, f"iterations at 0.1 s ({long}) vs 0.001 s ({short})")


def check_repetitions(j, out, ids, _cases):
    n = {k: len(v) for k, v in by_name(j).items()}
    aggs = {b["aggregate_name"] for b in j["benchmarks"] if b.get("run_type") == "aggregate"}
    return (expect(n and all(v == 3 for v in n.values()), f"repetitions per benchmark: {n}")
            + expect({"mean", "median", "stddev"} <= aggs, f"aggregates: {aggs}"))


def check_interleave(j, out, ids, _cases):
    # Not observable in the JSON (Google Benchmark reports each benchmark's
    # repetitions together): the run must succeed with every repetition present.
    n = {k: len(v) for k, v in by_name(j).items()}
    return expect(len(n) >= 2 and all(v == 2 for v in n.values()), f"repetitions per benchmark: {n}")


def check_format(j, out, ids, _cases):
    try:
        d = json.loads(out)
    except json.JSONDecodeError as e:
        return [f"stdout is not JSON with --benchmark_format=json ({e}): {out[:200]!r}"]
    return expect(len(runs(d)) == len(runs(j)), "stdout JSON holds the runs of the file")


def check_color(j, out, ids, _cases):
    return expect("\x1b[" in out, "colour codes on stdout")


def check_list(j, out, ids, _cases):
    names = [l for l in out.splitlines() if l.strip()]
    return (expect(j is None, "nothing was run (no --benchmark_out file)")
            + expect(len(names) >= 2 and all(re.search(r"^(mmio_read|nvme_write)/", n) for n in names),
                     f"the matching names listed: {names}"))


def check_inject(j, out, ids, _cases):
    # The slowdown itself is the A/B gate's check (vm.bench.icount.stock.intel, under
    # -icount); plain TCG timings are too noisy to show 50 % here.
    ok = [b for b in runs(j) if b["name"].startswith("mmio_read/") and not b.get("error_occurred")]
    return (expect(ctx(j, "vfiokit_inject_percent") == "50",
                   f"vfiokit_inject_percent = {ctx(j, 'vfiokit_inject_percent')}")
            + expect(bool(ok), "the injected mmio_read ran"))


OUT = ["--benchmark_out=/tmp/b.json", "--benchmark_out_format=json"]
CASES = [
    ("defaults", [MMIO_NVME, FAST, *OUT], check_base),
    ("allow-write", ["--allow-write", MMIO_NVME, FAST, *OUT], check_write),
    ("nvme-allow-write", ["--nvme-allow-write", MMIO_NVME, FAST, *OUT], check_write),
    ("nvme-bdf", ["--nvme-bdf", "$EDU", "--allow-write", MMIO_NVME, FAST, *OUT], check_nvme_bdf),
    ("bdf", ["--bdf", "$NVME", MMIO_NVME, FAST, *OUT], check_bdf),
    ("backends", ["--backends", "type1", MMIO_NVME, FAST, *OUT], check_backends),
    ("default-sizes", [DMA, FAST, *OUT], check_default_sizes),
    ("sizes", ["--sizes", "8K,64K,1M", DMA, FAST, *OUT], check_sizes),
    ("max-size", ["--sizes", "8K,64K,1M", "--max-size", "64K", DMA, FAST, *OUT], check_max_size),
    ("hugepages", ["--hugepages", "6", MMIO_NVME, FAST, *OUT], check_hugepages),
    ("keep-thp", ["--keep-thp", MMIO_NVME, FAST, *OUT], check_keep_thp),
    ("inject-percent", ["--inject-percent", "50", MMIO_NVME, FAST, *OUT], check_inject),
    ("min-time", [MMIO_NVME, "--benchmark_min_time=0.1", *OUT], check_min_time),
    ("repetitions", [MMIO_NVME, FAST, "--benchmark_repetitions=3", *OUT], check_repetitions),
    ("interleaving", [MMIO_NVME, FAST, "--benchmark_repetitions=2",
                      "--benchmark_enable_random_interleaving=true", *OUT], check_interleave),
    ("format", [MMIO_NVME, FAST, "--benchmark_format=json", *OUT], check_format),
    ("color", [MMIO_NVME, FAST, "--benchmark_color=true", *OUT], check_color),
    ("list", [MMIO_NVME, "--benchmark_list_tests=true"], check_list),
]


def guest_script():
    """Finds edu and the NVMe by sysfs, runs each case, prints results between markers."""
    s = ["cd /sys/bus/pci/devices",
         'for d in *; do v=$(cat $d/vendor) i=$(cat $d/device) c=$(cat $d/class);'
         ' [ "$v:$i" = 0x1234:0x11e8 ] && EDU=$d; [ "$c" = 0x010802 ] && NVME=$d; done',
         "cd /", 'echo "@@IDS EDU=$EDU NVME=$NVME@@"']
    for name, args, _ in CASES:
        quoted = " ".join(a if a in ("$EDU", "$NVME") else shlex.quote(a) for a in args)
        s.append(f"rm -f /tmp/b.json; echo '+ vfiokit_bench {' '.join(args)}'; "
                 f"vfiokit_bench {quoted} >/tmp/stdout 2>/tmp/stderr; rc=$?; "
                 f"echo @@CASE-BEGIN {name} rc=$rc@@; cat /tmp/stdout; echo; echo @@STDERR@@; cat /tmp/stderr; "
                 f"echo @@JSON@@; [ -f /tmp/b.json ] && cat /tmp/b.json; echo; echo @@CASE-END@@")
    return "; ".join(s)  # one line: the guest's busybox sh gets it through printf %q


def vm_checks(bench_dir, docs):
    used = set()
    for _, args, _ in CASES:
        for a in args:
            used |= flags_in(a.split("=", 1)[0])
    errors = [f"documented flag {f} is used by no VM case: add one to CASES" for f in sorted(set(docs) - used)]
    cmd = [os.path.join(REPO, "ci/vm/run"), "--kernel", "stock", "--iommu", "intel", "--device", "edu",
           "--device", "nvme", "--bin", bench_dir, "--timeout", "600", "--", "sh", "-c", guest_script()]
    print("+ " + " ".join(shlex.quote(c) for c in cmd[:12]) + " -- sh -c <cases>", flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    log = p.stdout
    if p.returncode != 0:
        return errors + [f"ci/vm/run exited {p.returncode}:\n{log[-3000:]}\n{p.stderr[-3000:]}"]
    m = re.search(r"@@IDS EDU=(\S+) NVME=(\S+)@@", log)
    if not m:
        return errors + [f"the guest found no edu or NVMe:\n{log[-2000:]}"]
    ids = {"EDU": m.group(1), "NVME": m.group(2)}
    results = {}
    for c in re.finditer(r"@@CASE-BEGIN (\S+) rc=(\d+)@@\n(.*?)\n@@STDERR@@\n(.*?)@@JSON@@\n(.*?)@@CASE-END@@",
                         log, re.S):
        name, rc, out, err, js = c.group(1), int(c.group(2)), c.group(3), c.group(4), c.group(5).strip()
        try:
            j = json.loads(js) if js else None
        except json.JSONDecodeError as e:
            errors.append(f"{name}: --benchmark_out is not JSON ({e})")
            j = None
        results[name] = (rc, out, err, j)
    cases = {n: (r[3],) for n, r in results.items()}
    for name, args, check in CASES:
        if name not in results:
            errors.append(f"{name}: no result in the guest's output")
            continue
        rc, out, err, j = results[name]
        problems = [] if rc == 0 else [f"exit status {rc}: {err.strip()[-500:]}"]
        if not problems:
            if j is None and name != "list":
                problems.append("no --benchmark_out JSON")
            else:
                try:
                    problems += check(j, out, ids, cases)
                except (KeyError, TypeError, IndexError, ValueError) as e:
                    problems.append(f"check failed on its input: {e!r}")
        status = "ok" if not problems else "FAIL"
        print(f"  {status:4}  {name:18} vfiokit_bench {' '.join(args)}")
        errors += [f"{name}: {p}" for p in problems]
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", required=True, help="the vfiokit_bench binary")
    ap.add_argument("--docs", default=os.path.join(REPO, "docs", "benchmarks.md"))
    ap.add_argument("--vm", action="store_true", help="also run every flag in a test-bed VM")
    a = ap.parse_args()
    docs, errors = host_checks(a.bench, a.docs)
    if not errors and a.vm:
        errors += vm_checks(os.path.dirname(os.path.abspath(a.bench)), docs)
    for e in errors:
        print(f"bench_flags_test: FAIL: {e}", file=sys.stderr)
    print(f"bench_flags_test: {'FAIL' if errors else 'PASS'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
