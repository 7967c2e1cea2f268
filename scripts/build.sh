#!/usr/bin/env bash
# Configures and builds Drover into build/ (or $DROVER_BUILD_DIR), incrementally and through
# ccache. Extra arguments are passed to CMake's configure step, e.g. -DDROVER_SANITIZE=ON.
# Usage: scripts/build.sh [cmake -D options...] [-- target...]
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${DROVER_BUILD_DIR:-build}"
configure_args=()
targets=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
  configure_args+=("$1"); shift
done

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${configure_args[@]}" >/dev/null
jobs="$(nproc)"
if [ "${#targets[@]}" -gt 0 ]; then
  cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
else
  cmake --build "$build_dir" -j "$jobs"
fi
