#!/bin/sh
# In a test-bed guest (VM test vm.fleet.agent_without_dev.iommufd): vfiokit check as the
# DaemonSet runs it, with the host's /sys, /proc and /lib/modules read-only under a
# root that has no /dev, must give the same verdicts for /dev/vfio/vfio, /dev/iommu and
# the VFIO interfaces, and the same node labels, as a check of the real root: the
# nodes are found in /sys/class/misc.
set -eu
h=/tmp/agent-root
mkdir -p "$h/sys" "$h/proc" "$h/lib/modules" /tmp/out-dev /tmp/out-nodev
for d in sys proc lib/modules; do
  [ -d "/$d" ] || continue
  mount --rbind "/$d" "$h/$d"
  mount -o remount,bind,ro "$h/$d"
done
[ ! -e "$h/dev" ] || { echo "FAIL: the agent's root has a /dev"; exit 1; }
ls -l /dev/vfio/vfio /dev/iommu
ls -d /sys/class/misc/vfio /sys/class/misc/iommu
rc=0
vfiokit check --no-color --nfd /tmp/out-dev/nfd > /tmp/out-dev/text || rc=$?
rc2=0
vfiokit --root "$h" check --no-color --nfd /tmp/out-nodev/nfd > /tmp/out-nodev/text || rc2=$?
cat /tmp/out-nodev/text
echo "exit with /dev: $rc, without: $rc2"
[ "$rc" = "$rc2" ] || { echo "FAIL: exit status differs"; exit 1; }
# A check's line: "  VERDICT  TITLE  summary" (check/check.cpp's renderer).
verdict() { sed -n "s|^  \([A-Z]*\)  $2  .*|\1|p" "$1" | head -n 1; }
for title in /dev/vfio/vfio /dev/iommu "VFIO interfaces"; do
  a=$(verdict /tmp/out-dev/text "$title")
  b=$(verdict /tmp/out-nodev/text "$title")
  echo "$title: with /dev ${a:-none}, without ${b:-none}"
  if [ -z "$a" ] || [ "$a" != "$b" ]; then echo "FAIL: $title differs"; exit 1; fi
done
grep -q "present (the kernel's /sys/class/misc/vfio" /tmp/out-nodev/text || { echo "FAIL: /dev/vfio/vfio not seen in sysfs"; exit 1; }
grep -q "present (the kernel's /sys/class/misc/iommu" /tmp/out-nodev/text || { echo "FAIL: /dev/iommu not seen in sysfs"; exit 1; }
grep -v '^#' /tmp/out-dev/nfd | sort > /tmp/out-dev/labels
grep -v '^#' /tmp/out-nodev/nfd | sort > /tmp/out-nodev/labels
diff /tmp/out-dev/labels /tmp/out-nodev/labels || { echo "FAIL: node labels differ"; exit 1; }
cat /tmp/out-nodev/labels
echo "PASS: the agent's view without /dev matches"
