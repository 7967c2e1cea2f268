#!/usr/bin/env bash
# The README's test command: installs what is needed, builds, and runs every test; then builds
# the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them once more.
# Set DROVER_SKIP_SANITIZE=1 to skip the sanitizer pass during development.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 900)

if [ "${DROVER_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  unit_suites=(observability_tests runtime_tests actors_tests cluster_tests apps_tests)
  existing=()
  for suite in "${unit_suites[@]}"; do
    [ -d "tests/${suite%_tests}" ] && existing+=("$suite")
  done
  DROVER_BUILD_DIR=build-sanitize scripts/build.sh -DDROVER_SANITIZE=ON -DDROVER_BUILD_BENCH=OFF \
    -- "${existing[@]}"
  labels="$(printf '%s|' "${existing[@]%_tests}")"
  (cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j "$(nproc)" --timeout 900 -L "^(${labels%|})$")
fi
