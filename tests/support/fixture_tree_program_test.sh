#!/bin/sh
# vfiokit-fixture-tree: writes the tree it is asked for, refuses (64) a name that is no
# tree and a directory that is not empty, so a shell test never judges a stale or mixed tree.
# usage: fixture_tree_program_test.sh FIXTURE_TREE WORK_DIR
set -u
prog=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
"$prog" gpu-ok "$work/gpu-ok" || fail "gpu-ok not written (exit $?)"
[ -s "$work/gpu-ok/sys/bus/pci/devices/0000:01:00.0/config" ] || fail "gpu-ok has no GPU config space"
[ "$(cat "$work/gpu-ok/sys/bus/pci/devices/0000:01:00.0/vendor")" = 0x10de ] || fail "gpu-ok: GPU vendor"
"$prog" no-such-tree "$work/x" 2> "$work/err"
rc=$?
[ "$rc" = 64 ] || fail "an unknown tree exited $rc, expected 64"
grep -q "no tree called 'no-such-tree'" "$work/err" || fail "unknown tree not named: $(cat "$work/err")"
[ ! -e "$work/x" ] || fail "an unknown tree left a directory behind"
"$prog" qemu "$work/gpu-ok" 2> "$work/err"
rc=$?
[ "$rc" = 64 ] || fail "a non-empty directory exited $rc, expected 64"
[ ! -e "$work/gpu-ok/sys/bus/pci/devices/0000:00:03.0" ] || fail "qemu written over gpu-ok"
"$prog" > /dev/null 2>&1
rc=$?
[ "$rc" = 64 ] || fail "no arguments exited $rc, expected 64"
echo "vfiokit-fixture-tree: writes gpu-ok, refuses an unknown name and a non-empty directory"
