#!/usr/bin/env bash
# Build mediasoup's C++ worker offline, from the sources inside the installed mediasoup npm
# package, against Debian's libraries; cache it per mediasoup version outside the repository.
#
#   sfu/scripts/build-worker.sh            build if the cache has no verified binary
#   sfu/scripts/build-worker.sh --print    print the cached binary's path (exit 1 if none)
#
# Environment:
#   SPARKDEN_CACHE_DIR   cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sparkden)
#   SPARKDEN_NO_APT=1    never run apt-get (fail if a build package is missing)
#   BUILD_JOBS           parallel compile jobs (default: nproc)
#
# The binary lands in $SPARKDEN_CACHE_DIR/mediasoup-worker-<version>/mediasoup-worker only after
# it has answered mediasoup's version query and created a router and a WebRtcTransport.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
sfu_dir="$(dirname "$here")"
repo_dir="$(dirname "$sfu_dir")"
cache_root="${SPARKDEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkden}"

log() { printf '[build-worker] %s\n' "$*" >&2; }

ms_dir="$(cd "$sfu_dir" && node -p "require('path').resolve(require.resolve('mediasoup'), '../../..')")"
version="$(node -p "require('$ms_dir/package.json').version")"
out_dir="$cache_root/mediasoup-worker-$version"
out_bin="$out_dir/mediasoup-worker"

verify() {
  (cd "$repo_dir" && node --import tsx "$sfu_dir/src/bin/verify-worker.ts" "$1" "$version")
}

if [[ "${1:-}" == "--print" ]]; then
  [[ -x "$out_bin" ]] || exit 1
  echo "$out_bin"
  exit 0
fi

# The cache is keyed on the patch script too: a fixed patch replaces a binary built by an older one.
stamp="$(sha256sum "$here/patch-worker.py" | cut -c1-16)"
if [[ -x "$out_bin" && -f "$out_dir/VERIFIED" && "$(cat "$out_dir/PATCHED" 2>/dev/null)" == "$stamp" ]]; then
  log "cached worker $version at $out_bin"
  exit 0
fi

# --- system packages -------------------------------------------------------------------------
apt_pkgs=(libuv1-dev libsrtp2-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler
  libusrsctp-dev libssl-dev pkg-config ninja-build g++ python3-venv)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ "${SPARKDEN_NO_APT:-0}" == 1 || "$(id -u)" != 0 ]]; then
    log "missing Debian packages: ${missing[*]} (install them as root, then rerun)"
    exit 2
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# --- meson >= 1.1 from the machine's pip index, in a private venv ------------------------------
venv="$cache_root/meson-venv"
meson_ok() {
  [[ -x "$venv/bin/meson" ]] &&
    "$venv/bin/python" -c 'import sys, mesonbuild.coredata as c
v = tuple(int(x) for x in c.version.split(".")[:2]); sys.exit(0 if v >= (1, 1) else 1)'
}
if ! meson_ok; then
  log "installing meson>=1.1 into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # --retries 0: an unreachable default index fails fast and pip moves on to the local ones.
  "$venv/bin/pip" install --quiet --retries 0 --timeout 15 'meson>=1.1' >&2
fi
meson="$venv/bin/meson"

# --- copy, patch, build ----------------------------------------------------------------------
# An interrupted build resumes (ninja is incremental) as long as the patch script is unchanged.
work="$cache_root/build-mediasoup-$version"
if [[ "$(cat "$work/PATCHED" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$work"
  mkdir -p "$work"
  cp -r "$ms_dir/worker" "$work/worker"
  python3 "$here/patch-worker.py" "$work/worker" >&2
  echo "$stamp" >"$work/PATCHED"
fi

if [[ ! -f "$work/build/build.ninja" ]]; then
  log "configuring (mediasoup $version)"
  "$meson" setup "$work/build" "$work/worker" --buildtype=release -Db_ndebug=true \
    -Dms_disable_liburing=true -Dwarning_level=0 -Dwrap_mode=nodownload >"$work/setup.log" 2>&1 ||
    {
      tail -40 "$work/setup.log" >&2
      rm -rf "$work/build"
      exit 1
    }
fi

jobs="${BUILD_JOBS:-$(nproc)}"
log "compiling with $jobs jobs (about 5 minutes on 2 cores); log: $work/build.log"
if ! ninja -C "$work/build" -j "$jobs" mediasoup-worker >"$work/build.log" 2>&1; then
  grep -m 20 -B2 -A8 'error' "$work/build.log" >&2 || tail -60 "$work/build.log" >&2
  exit 1
fi

candidate="$work/build/mediasoup-worker"
strip "$candidate" || true
log 'verifying the binary (version, router, WebRtcTransport)'
verify "$candidate"

tmp_out="$out_dir.tmp.$$"
rm -rf "$tmp_out"
mkdir -p "$tmp_out"
cp "$candidate" "$tmp_out/mediasoup-worker"
date -u +%FT%TZ >"$tmp_out/VERIFIED"
echo "$stamp" >"$tmp_out/PATCHED"
rm -rf "$out_dir"
mv "$tmp_out" "$out_dir"
rm -rf "$work"
log "worker $version ready at $out_bin"
