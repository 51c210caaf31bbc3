# Shared helpers for the ci/vm scripts (sourced, not run).
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
# Kernels, sources and images are cached here, keyed by version + config hash.
CACHE_DIR=${VFIOKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfiokit}

die() { echo "ci/vm: error: $*" >&2; exit 2; }

# --- the compiler cache ------------------------------------------------------
# Every build compiles through Debian's ccache when it is installed (ci/install-deps
# installs it): vfiokit's CMake builds (ci/build, tests/fuzz/run, the A/B gate's
# baseline build) and the test-bed kernels (ci/vm/build-kernel). One cache for all,
# in $CACHE_DIR/ccache; results are keyed by the preprocessed source and the
# compiler's flags and identity, so a hit is the object the compiler would have made.
# Paths under the source root are hashed relative to it (CCACHE_BASEDIR, and
# CCACHE_NOHASHDIR: -g builds do not hash the working directory), so a fresh clone
# in another folder, a git worktree of another revision and ci/fresh-machine's root
# hit what an earlier build compiled. The compiler is identified by its content, not
# its file's time, so the same Debian gcc installed later (that root) hits too.
CCACHE_STORE="$CACHE_DIR/ccache"
# The CMake flags every build of the project gets (ci/build, and bench/baseline-build's
# A side, which the A/B gates compare with builds made by ci/build, so they must agree):
# position-independent everywhere, since the packaged static libvfiokit must be (it links
# into shared objects) and one set of flags lets every build share the compiler cache.
PROJECT_CMAKE_FLAGS=(-DCMAKE_POSITION_INDEPENDENT_CODE=ON)
# ccache_env SOURCE_ROOT: the environment ccache runs with, as NAME=VALUE words.
ccache_env() {
  echo "CCACHE_DIR=$CCACHE_STORE CCACHE_BASEDIR=$1 CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=6G CCACHE_COMPILERCHECK=content"
}
# ccache_cmake_args SOURCE_ROOT: the CMake arguments that compile through ccache
# (the launcher carries the environment, so a later `cmake --build` by hand uses the
# same cache); nothing when ccache is not installed.
ccache_cmake_args() {
  command -v ccache >/dev/null || return 0
  local launcher
  launcher="env;$(ccache_env "$1" | tr ' ' ';');ccache"
  echo "-DCMAKE_C_COMPILER_LAUNCHER=$launcher -DCMAKE_CXX_COMPILER_LAUNCHER=$launcher"
}

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
  # A temporary file of this process's own: two builds at once (a developer's beside a
  # helper's) both resolve, and each renames only what it wrote.
  local tmp
  tmp=$(mktemp "$memo.XXXXXX")
  # shellcheck disable=SC2086
  apt-cache policy $names | awk '/^linux-image/ {p=$1; sub(":$", "", p)} /Candidate: [0-9]/ {print p, $2}' |
    sort -V | tail -n 1 > "$tmp"
  mv "$tmp" "$memo"
  cat "$memo"
}

linux_source_tarball() {
  ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || die "linux-source-6.12 is not installed: run ci/install-deps"
}

# --- fresh Debian 12 roots (ci/fresh-machine, ci/check-deb) --------------------
# minbase_tarball: prints the path of a minimal Debian 12 root (mmdebstrap minbase
# plus git and ca-certificates) as a tarball, built on first use and cached in
# $CACHE_DIR/fresh-machine for a week, keyed by the host's apt sources (the root's
# apt reaches the same package mirror). Progress goes to stderr.
minbase_sources() { # the host's apt source files, one a line
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$f" ] && echo "$f"
  done
  return 0
}
minbase_tarball_path() { # where the tarball for these sources is kept
  local sources
  mapfile -t sources < <(minbase_sources)
  [ ${#sources[@]} -gt 0 ] || die "no apt sources in /etc/apt: the fresh root needs the host's package mirror"
  echo "$CACHE_DIR/fresh-machine/bookworm-minbase-$(cat "${sources[@]}" | sha256sum | cut -c1-12).tar"
}
minbase_tarball_kept() { # PATH: kept and less than a week old (else minbase_tarball rebuilds it)
  [ -s "$1" ] && [ -z "$(find "$1" -mtime +7)" ]
}
minbase_tarball() {
  local sources=() aptopts=() f
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found: run ci/install-deps"
  mapfile -t sources < <(minbase_sources)
  local cache="$CACHE_DIR/fresh-machine" tarball
  tarball=$(minbase_tarball_path)
  mkdir -p "$cache"
  if ! minbase_tarball_kept "$tarball"; then
    echo "== mmdebstrap bookworm minbase + git, ca-certificates into $tarball" >&2
    rm -f "$cache"/bookworm-minbase-*.tar
    for f in /etc/apt/apt.conf.d/*; do [ -f "$f" ] && aptopts+=(--aptopt="$f"); done
    mmdebstrap --quiet --format=tar --variant=minbase --include=git,ca-certificates "${aptopts[@]}" \
      bookworm "$tarball.tmp" "${sources[@]}" >&2
    mv "$tarball.tmp" "$tarball"
  fi
  echo "$tarball"
}

# fresh_root_enter ROOT: unpacks minbase_tarball into ROOT (an empty folder) and binds
# /dev, /sys, a new /proc and the host's /etc/apt (read-only) into it, with the
# host's name resolution; every mount is recorded in FRESH_ROOT_MOUNTS for
# fresh_root_leave, which the caller runs on exit (also after a failure). Root only.
FRESH_ROOT_MOUNTS=()
fresh_root_enter() {
  local root=$1 tarball f
  tarball=$(minbase_tarball)
  tar -xf "$tarball" -C "$root"
  fresh_root_bind /dev "$root/dev"
  fresh_root_bind /sys "$root/sys"
  mkdir -p "$root/proc" && mount -t proc proc "$root/proc" && FRESH_ROOT_MOUNTS+=("$root/proc")
  fresh_root_bind /etc/apt "$root/etc/apt" ro
  for f in /etc/resolv.conf /etc/hosts; do [ -f "$f" ] && cp -L "$f" "$root$f"; done
  return 0
}
fresh_root_bind() { # fresh_root_bind SRC DST [ro]
  mkdir -p "$2"
  mount --rbind "$1" "$2"
  mount --make-rslave "$2"
  FRESH_ROOT_MOUNTS+=("$2")
  [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2"
  return 0
}
# fresh_root_leave ROOT: unmounts them; fails if anything is still mounted under ROOT
# (then ROOT must not be deleted: rm -rf would go through the host's /dev and /sys).
fresh_root_leave() {
  local root=$1 i m
  for ((i = ${#FRESH_ROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${FRESH_ROOT_MOUNTS[$i]}
    umount -R "$m" 2>/dev/null || umount -lR "$m" 2>/dev/null || true
  done
  FRESH_ROOT_MOUNTS=()
  ! awk '{print $2}' /proc/self/mounts | grep -q "^$root/"
}
