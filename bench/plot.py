#!/usr/bin/env python3
"""Turns a vfiokit_bench JSON into charts (PNG and SVG, via gnuplot) and a summary.

  bench/plot.py RUN.json [--out DIR]

Writes to DIR (default: plots/ beside RUN.json):
  map_cost.{png,svg}     DMA map time vs size, one line per backend and page size (log-log)
  unmap_cost.{png,svg}   the same for unmap
  pinning.{png,svg}      4 KiB pages: map of a populated buffer vs a never-touched one
                         (fault-in + pin) vs the first touch alone (populate)
  latency.{png,svg}      MMIO and MSI round-trip latency per repetition (distributions)
  overhead.{png,svg}     library time / raw time per overhead benchmark (goal: <= 1.01)
  nvme.{png,svg}         NVMe 4 KiB IOPS at QD1 and QD32, interrupt and polled completions
  summary.md             the goals, computed from the run (not asserted)
Needs python3 and gnuplot (gnuplot-nox); nothing else.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"plot: {path}: {e}; pass a vfiokit_bench --benchmark_out=FILE JSON")
    if not isinstance(data.get("benchmarks"), list):
        sys.exit(f"plot: {path}: no 'benchmarks' list; is it Google Benchmark JSON?")
    return data


def collect(data):
    """run_name -> {"times_ns": [...per repetition], "counters": {...last rep}, "error": str|None}."""
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        name = re.sub(r"/(manual_time|real_time)$", "", b.get("run_name") or b["name"])
        r = out.setdefault(name, {"times_ns": [], "counters": {}, "error": None, "label": ""})
        if b.get("error_occurred"):
            r["error"] = b.get("error_message", "skipped")
            continue
        r["times_ns"].append(float(b["real_time"]) * UNIT_NS.get(b.get("time_unit", "ns"), 1.0))
        r["counters"] = {k: v for k, v in b.items() if isinstance(v, (int, float))}
        r["label"] = b.get("label", "")
    return out


def size_label(n):
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


def median(v):
    return statistics.median(v) if v else None


def gnuplot(out_dir, stem, body):
    """Renders one chart as PNG and SVG."""
    script = os.path.join(out_dir, stem + ".gp")
    with open(script, "w") as f:
        for term, ext in (("pngcairo size 1100,700 font ',10'", "png"), ("svg size 1100,700 dynamic font ',10'", "svg")):
            f.write(f"set terminal {term} noenhanced\nset output '{os.path.join(out_dir, stem + '.' + ext)}'\n")
            f.write(body + "\n")
    subprocess.run(["gnuplot", script], check=True)


def write_dat(out_dir, stem, blocks):
    """blocks: list of (title, rows); gnuplot reads them with `index i`."""
    path = os.path.join(out_dir, stem + ".dat")
    with open(path, "w") as f:
        for title, rows in blocks:
            f.write(f"# {title}\n")
            for row in rows:
                f.write(" ".join(str(x) for x in row) + "\n")
            f.write("\n\n")
    return path


def size_curves(runs, family):
    """(backend, backing) -> sorted [(size_bytes, median_us)] for family/<backend>/<backing>/<size>."""
    curves = defaultdict(list)
    for name, r in runs.items():
        m = re.match(rf"^{family}/([^/]+)/([^/]+)/(\d+)$", name)
        if m and r["times_ns"]:
            curves[(m.group(1), m.group(2))].append((int(m.group(3)), median(r["times_ns"]) / 1e3))
    return {k: sorted(v) for k, v in sorted(curves.items())}


def plot_size_chart(out_dir, stem, title, curves, ylabel, key="{b}, {p} pages"):
    if not curves:
        return False
    dat = write_dat(out_dir, stem, [(f"{b} {p}", rows) for (b, p), rows in curves.items()])
    plots = ", ".join(
        f"'{dat}' index {i} using 1:2 with linespoints lw 2 pt {7 + i % 6} title '" + key.format(b=b, p=p) + "'"
        for i, (b, p) in enumerate(curves))
    sizes = sorted({size for rows in curves.values() for size, _ in rows})
    xtics = ", ".join(f"'{size_label(x)}' {x}" for x in sizes)
    gnuplot(out_dir, stem, f"""
set title '{title}'
set logscale xy
set xtics ({xtics})
set xrange [{sizes[0] / 2}:{sizes[-1] * 2}]
set xlabel 'mapping size (bytes; K, M, G = 2^10, 2^20, 2^30)'
set ylabel '{ylabel}'
set grid xtics ytics mxtics mytics
set key top left
plot {plots}
""")
    return True


def quartiles(v):
    v = sorted(v)
    if len(v) < 2:
        return v[0], v[0], v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return v[0], q[0], q[1], q[2], v[-1]


def plot_distributions(out_dir, stem, title, runs, pattern, ylabel, scale):
    names = [n for n in sorted(runs) if re.search(pattern, n) and runs[n]["times_ns"]]
    if not names:
        return False
    boxes = [(i + 1, *(x / scale for x in quartiles(runs[n]["times_ns"]))) for i, n in enumerate(names)]
    points = [(i + 1, t / scale) for i, n in enumerate(names) for t in runs[n]["times_ns"]]
    dat = write_dat(out_dir, stem, [("x min q1 median q3 max", boxes), ("x value (one per repetition)", points)])
    xtics = ", ".join(f"'{n}' {i + 1}" for i, n in enumerate(names))
    gnuplot(out_dir, stem, f"""
set title '{title}'
set boxwidth 0.4
set xtics ({xtics}) rotate by -30 left
set xrange [0:{len(names) + 1}]
set ylabel '{ylabel}'
set logscale y
set grid ytics
set bmargin 11
set key top right
plot '{dat}' index 0 using 1:3:2:6:5 with candlesticks whiskerbars lw 1.5 title 'min, quartiles, max', \
     '{dat}' index 0 using 1:4:4:4:4 with candlesticks lt -1 lw 2 notitle, \
     '{dat}' index 1 using 1:2 with points pt 7 ps 0.7 title 'one repetition (mean over its iterations)'
""")
    return True


def plot_bars(out_dir, stem, title, rows, ylabel, goal=None):
    """rows: [(name, value)]; one bar each, an optional dashed goal line."""
    if not rows:
        return False
    dat = write_dat(out_dir, stem, [(title, [(i + 1, v) for i, (_, v) in enumerate(rows)])])
    xtics = ", ".join(f"'{n}' {i + 1}" for i, (n, _) in enumerate(rows))
    goal_plot = f", {goal[0]} with lines lw 2 dt 2 title '{goal[1]}'" if goal else ""
    gnuplot(out_dir, stem, f"""
set title '{title}'
set style fill solid 0.6
set boxwidth 0.6
set xtics ({xtics}) rotate by -30 left
set xrange [0:{len(rows) + 1}]
set ylabel '{ylabel}'
set yrange [0:*]
set grid ytics
set bmargin 11
set rmargin 24
set key outside top right
plot '{dat}' using 1:2 with boxes notitle{goal_plot}
""")
    return True


def plot_overhead(out_dir, runs):
    rows = [(n, runs[n]["counters"]["ratio"]) for n in sorted(runs)
            if n.startswith("overhead/") and "ratio" in runs[n]["counters"]]
    return plot_bars(out_dir, "overhead", "vfiokit wrapper overhead: library time / raw time (same run, interleaved)",
                     rows, "library time / raw time (ratio; 1 = no overhead)", (1.01, "goal 1.01"))


def nvme_iops(name, r):
    """I/Os per second from the median time per iteration (an iteration is qd commands)."""
    m = re.search(r"/qd(\d+)/", name)
    return (int(m.group(1)) if m else 1) * 1e9 / median(r["times_ns"])


def plot_nvme(out_dir, runs):
    rows = [(n, nvme_iops(n, runs[n]) / 1e3) for n in sorted(runs) if n.startswith("nvme_") and runs[n]["times_ns"]]
    return plot_bars(out_dir, "nvme", "NVMe 4 KiB I/O through NvmeDriver", rows, "thousand I/O per second (kIOPS)")


def summary(runs, context):
    lines = ["# vfiokit_bench summary", ""]
    runs_ctx = context.get("vfiokit_runs") or [{k: v for k, v in context.items() if k.startswith("vfiokit_")}]
    lines.append(f"Date: {context.get('date', '?')}; host: {context.get('host_name', '?')}, "
                 f"{context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz.")
    for rc in runs_ctx:
        lines.append(f"- backends {rc.get('vfiokit_targets', '?')} on kernel {rc.get('vfiokit_kernel', '?')}, "
                     f"device {rc.get('vfiokit_bdf', '?')}, max size {rc.get('vfiokit_max_size', '?')}, "
                     f"free 2M/1G hugepages {rc.get('vfiokit_free_2m_hugepages', '?')}/"
                     f"{rc.get('vfiokit_free_1g_hugepages', '?')}")
    lines += ["", "## Wrapper overhead (goal: library/raw <= 1.01)", "",
              "| benchmark | library | raw | ratio | goal met |", "|---|---|---|---|---|"]
    for name in sorted(runs):
        c = runs[name]["counters"]
        if name.startswith("overhead/") and "ratio" in c:
            lines.append(f"| {name} | {c['lib_ns']:.0f} ns | {c['raw_ns']:.0f} ns | {c['ratio']:.3f} | "
                         f"{'yes' if c['ratio'] <= 1.01 else 'no'} |")
    lines += ["", "## 2 MiB vs 4 KiB pages (goal: >= 20x faster at 1 GiB)", "",
              "| backend | size | 4k map | 2m map | speedup | goal met |", "|---|---|---|---|---|---|"]
    curves = size_curves(runs, "dma_map")
    for backend in sorted({b for b, _ in curves}):
        four = dict(curves.get((backend, "4k"), []))
        two = dict(curves.get((backend, "2m"), []))
        common = sorted(set(four) & set(two))
        if not common:
            continue
        size = common[-1]
        speedup = four[size] / two[size]
        note = "yes" if speedup >= 20 else "no"
        if size < (1 << 30):
            note += f" (largest size measured: {size >> 20} MiB, not 1 GiB)"
        lines.append(f"| {backend} | {size >> 20} MiB | {four[size]:.1f} us | {two[size]:.1f} us | "
                     f"{speedup:.1f}x | {note} |")
    skipped_1g = sorted(n for n, r in runs.items() if "/1g/" in n and r["error"])
    if skipped_1g:
        lines.append("")
        lines.append(f"1 GiB pages: skipped ({runs[skipped_1g[0]]['error']}).")
    lines += ["", "## PageBacking::kAuto (hugepages chosen by default when reserved)", "",
              "| benchmark | pages chosen | free 2 MiB pages before | map |", "|---|---|---|---|"]
    for name in sorted(runs):
        r = runs[name]
        if name.startswith("dma_auto/") and r["times_ns"]:
            c = r["counters"]
            lines.append(f"| {name} | {int(c.get('page_kib', 0))} KiB | {int(c.get('free_2m_pages_before', 0))} | "
                         f"{median(r['times_ns']) / 1e3:.1f} us |")
    lines += ["", "## Interrupt round trip (edu MSI -> eventfd)", "",
              "| benchmark | median of reps | p50 | p99 | max |", "|---|---|---|---|---|"]
    for name in sorted(runs):
        r = runs[name]
        if name.startswith("irq_roundtrip/") and r["times_ns"]:
            c = r["counters"]
            lines.append(f"| {name} | {median(r['times_ns']) / 1e3:.1f} us | {c.get('p50_us', 0):.1f} us | "
                         f"{c.get('p99_us', 0):.1f} us | {c.get('max_us', 0):.1f} us |")
    nvme = [n for n in sorted(runs) if n.startswith("nvme_") and runs[n]["times_ns"]]
    if nvme:
        lines += ["", "## NVMe 4 KiB I/O", "", "| benchmark | time per iteration (median) | kIOPS | MB/s |", "|---|---|---|---|"]
        for name in nvme:
            iops = nvme_iops(name, runs[name])
            lines.append(f"| {name} | {median(runs[name]['times_ns']) / 1e3:.1f} us | "
                         f"{iops / 1e3:.1f} | {iops * 4096 / 1e6:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("run", help="vfiokit_bench JSON (--benchmark_out=FILE --benchmark_out_format=json)")
    p.add_argument("--out", help="output folder (default: plots/ beside the JSON)")
    args = p.parse_args(argv)
    if not shutil.which("gnuplot"):
        sys.exit("plot: gnuplot not found: run ci/install-deps (gnuplot-nox)")
    data = load(args.run)
    runs = collect(data)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.run)), "plots")
    os.makedirs(out, exist_ok=True)
    made = []
    if plot_size_chart(out, "map_cost", "DMA map cost (populated buffer, one map ioctl through vfiokit)",
                       size_curves(runs, "dma_map"), "time per map (microseconds)"):
        made.append("map_cost")
    if plot_size_chart(out, "unmap_cost", "DMA unmap cost", size_curves(runs, "dma_unmap"),
                       "time per unmap (microseconds)"):
        made.append("unmap_cost")
    pin = {}
    for fam, what in (("dma_map", "map, populated"), ("dma_map_cold", "map, never touched (fault + pin)"),
                      ("dma_populate", "first touch only (populate)")):
        for (b, pg), rows in size_curves(runs, fam).items():
            if pg == "4k":
                pin[(b, what)] = rows
    if plot_size_chart(out, "pinning", "4 KiB pages: where the time goes", pin, "time (microseconds)", "{b}: {p}"):
        made.append("pinning")
    if plot_distributions(out, "latency", "MMIO and interrupt latency, one point per repetition",
                          runs, r"^(mmio_read|mmio_write|irq_roundtrip)/", "time per operation (nanoseconds)", 1.0):
        made.append("latency")
    if plot_overhead(out, runs):
        made.append("overhead")
    if plot_nvme(out, runs):
        made.append("nvme")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(summary(runs, data.get("context", {})))
    print(f"plot: {', '.join(made) or 'no charts (no matching benchmarks)'} (.png, .svg) and summary.md in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
