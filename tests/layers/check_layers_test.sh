#!/bin/sh
# ci/check-layers on the tree (every include within its layer), and on a planted tree
# where the library includes the CLI's private code, a public header includes a private
# one and the CLI includes the kernel's VFIO UAPI header: each must be named and the
# check must fail (exit 1).
set -u
check=$1 root=$2
"$check" "$root" || { echo "FAIL: the tree has includes that cross a layer"; exit 1; }
t=$(mktemp -d) && trap 'rm -rf "$t"' EXIT
mkdir -p "$t/vfio" "$t/include/vfiokit/vfio" "$t/tools/vfiokit"
printf '#include "tools/host/binder.hpp"\n' > "$t/vfio/x.cpp"
printf '#include "vfio/format.hpp"\n' > "$t/include/vfiokit/vfio/y.hpp"
printf '#include <linux/vfio.h>\n' > "$t/tools/vfiokit/z.cpp"
out=$("$check" "$t"); rc=$?
echo "$out"
[ "$rc" = 1 ] || { echo "FAIL: planted crossings gave exit $rc, not 1"; exit 1; }
for f in vfio/x.cpp include/vfiokit/vfio/y.hpp tools/vfiokit/z.cpp; do
  echo "$out" | grep -q "^$f: " || { echo "FAIL: $f not named"; exit 1; }
done
echo "PASS: the tree is layered and planted crossings fail"
