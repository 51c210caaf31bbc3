#!/bin/sh
# ctest bench.passthrough.exit (label unit): bench/passthrough/run follows the exit
# contract of docs/cli.md where it can be checked without a VM: a usage error exits 64,
# a missing prerequisite 3 ("could not run"), each with its message and no results.
# (The guest-side failures are vm.passthrough.refuses_bad_device and
# vm.passthrough.fails_on_wrong_device, through bench/passthrough/failure-test.)
# usage: run_exit_test.sh SOURCE_DIR WORK_DIR
set -u
run=$1/bench/passthrough/run work=$2
rm -rf "$work" && mkdir -p "$work" || exit 1
status=0
expect() { # WANT-RC TEXT -- harness args...
  want=$1 text=$2; shift 3
  "$run" --out "$work/out" "$@" > "$work/stdout" 2> "$work/stderr"
  rc=$?
  if [ "$rc" = "$want" ] && grep -q -- "$text" "$work/stderr" && [ ! -e "$work/out/nvme.json" ]; then
    echo "ok: status $rc: $(grep -m1 -- "$text" "$work/stderr")"
  else
    echo "WRONG: bench/passthrough/run $* gave status $rc (want $want) and did not say '$text':"
    cat "$work/stderr" "$work/stdout"
    status=1
  fi
}
expect 64 "usage error: unknown option '--no-such-option'" -- --kind nvme --no-such-option
expect 64 "usage error: --kind 'disk': use nvme or nic" -- --kind disk --bdf 0000:01:00.0
expect 64 "usage error: --bdf or --pci-id is required" -- --kind nvme
expect 64 "usage error: --mib needs a value" -- --kind nvme --bdf 0000:01:00.0 --mib
# A device that is not there (or, where this runs unprivileged, no root): could not run.
# 0000:ff:1f.7 is no device on a test machine: the harness stops before it binds anything.
if [ "$(id -u)" = 0 ]; then why="no PCI device 0000:ff:1f.7 on this host"; else why="run as root"; fi
expect 3 "error: $why" -- --kind nvme --bdf 0000:ff:1f.7 --allow-write
[ "$status" = 0 ] && echo "run_exit_test: PASS" || echo "run_exit_test: FAIL"
exit "$status"
