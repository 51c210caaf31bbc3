#!/bin/sh
# The guest check's JSON through the project's regression gate (bench/gate.py):
# a run judged from the healthy-GPU fixture gates clean against itself, and the
# degraded-GPU run (Gen3 x8, 6.4 GB/s, a failed job) against it must regress.
# The trees come from vfiokit-fixture-tree (tests/support/guest_tree), the canned
# sample outputs from tests/fixtures/guest.
# usage: gate_test.sh GUEST_CHECK FIXTURE_TREE SOURCE_DIR WORK_DIR
set -u
check=$1 fixture_tree=$2 src=$3 work=$4
fix=$src/tests/fixtures/guest
rm -rf "$work"
mkdir -p "$work"
run() { # $1 tree, $2 samples, $3 output
  "$fixture_tree" "$1" "$work/$1" || { echo "vfiokit-fixture-tree could not write $1"; exit 1; }
  "$check" --root "$work/$1" --samples-from "$fix/$2" --nvidia-smi /bin/false --json "$3" > "$3.txt"
  [ -s "$3" ] || { echo "no JSON from the $1 run"; cat "$3.txt"; exit 1; }
}
run gpu-ok samples-ok "$work/ok.json"
run gpu-degraded samples-degraded "$work/degraded.json"
python3 "$src/bench/gate.py" "$work/ok.json" "$work/ok.json" > "$work/self.txt" ||
  { echo "healthy run does not gate clean against itself:"; cat "$work/self.txt"; exit 1; }
python3 "$src/bench/gate.py" "$work/ok.json" "$work/degraded.json" > "$work/degraded.txt"
rc=$?
[ "$rc" = 2 ] || { echo "gate exit $rc on the degraded run, expected 2 (a FAIL):"; cat "$work/degraded.txt"; exit 1; }
grep -q 'cuda/bandwidth/h2d/pinned/ce/1GiB .*REGRESSION' "$work/degraded.txt" ||
  { echo "the H2D slowdown was not flagged:"; cat "$work/degraded.txt"; exit 1; }
echo "gate: healthy run clean, degraded run flagged"
