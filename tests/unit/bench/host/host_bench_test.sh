#!/bin/sh
# ctest bench.host.short (label unit): vfiokit_host_bench runs every case briefly, each
# checks its completions (a wrong result is a SkipWithError, which fails here).
set -eu
out=$("$1" --benchmark_min_time=0.002 --benchmark_format=json)
echo "$out"
n=$(echo "$out" | grep -c '"run_type": "iteration"' || true)
[ "$n" -eq 14 ] || { echo "FAIL: $n of 14 cases ran"; exit 1; }
if echo "$out" | grep -q '"error_occurred": true'; then echo "FAIL: a case reported a wrong result"; exit 1; fi
echo PASS
