# Shared helpers for the ci/vm scripts (sourced, not run).
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
# Kernels, sources and images are cached here, keyed by version + config hash.
CACHE_DIR=${VFIOKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfiokit}

die() { echo "ci/vm: error: $*" >&2; exit 2; }
log() { [ -n "${VFIOKIT_QUIET:-}" ] || echo "ci/vm: $*" >&2; }

# The Debian 6.12 kernel the "stock" guest runs: the newest
# linux-image-6.12.N+deb12-amd64-unsigned that apt can install, as "package version".
# Resolved once per apt-get update (apt-cache takes a few seconds).
stock_kernel_package() {
  local memo="$CACHE_DIR/stock-resolved"
  if [ -s "$memo" ] && [ "$memo" -nt /var/lib/apt/lists ]; then cat "$memo"; return; fi
  local names
  names=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null | awk '{print $1}')
  [ -n "$names" ] || return 0
  # shellcheck disable=SC2086
  apt-cache policy $names | awk '/^linux-image/ {p=$1; sub(":$", "", p)} /Candidate: [0-9]/ {print p, $2}' |
    sort -V | tail -n 1 > "$memo.tmp"
  mv "$memo.tmp" "$memo"
  cat "$memo"
}

linux_source_tarball() {
  ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || die "linux-source-6.12 is not installed: run ci/install-deps"
}
