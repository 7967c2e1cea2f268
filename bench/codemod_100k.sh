#!/usr/bin/env bash
# A literal codemod over a 100,000-file git repository (small files, one in ten holds the
# pattern twice): a `drover batch --tool drover-codemod --mode apply` job on a `drover up` node,
# against the plain-shell peer on an identical copy
#   git ls-files -z | xargs -0 -P$(nproc) -n100 drover codemod --literal X --to Y --
# (the argv of examples/tools/drover-codemod.yaml, 100 files per invocation). Checks that both
# trees end byte-identical and prints the node's peak resident memory (VmHWM of /proc/PID/status,
# target <= 256 MiB), the elapsed times and their ratio drover/xargs.
#
# Usage: bench/codemod_100k.sh              (FILES=100000 by default)
#        FILES=20000 bench/codemod_100k.sh  (quicker)
# Needs a Release build in build-bench/ (or DROVER_BUILD_DIR / DROVER), git and curl.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
unset DROVER_NODE DROVER_CONFIG DROVER_DATA_DIR DROVER_CODEMOD_LOG

FILES="${FILES:-100000}"
LIMIT="${LIMIT:-1800}" # seconds any one run may take
FROM="legacy_lookup"
TO="modern_lookup"
bench_init codemod-100k

echo "corpus: $FILES files, one in ten calls $FROM" >&2
drover_tree="$BENCH_TMP/drover"
make_small_files "$drover_tree" "$FILES" "$FROM"
commit_all "$drover_tree"
xargs_tree="$BENCH_TMP/xargs"
cp -a "$drover_tree" "$xargs_tree"

TIMEFORMAT='%3R %3U %3S'

echo "run 1/2: xargs -P$NPROC -n100 drover codemod" >&2
{ time (cd "$xargs_tree" && git ls-files -z |
  timeout "$LIMIT" xargs -0 -P"$NPROC" -n100 "$DROVER" codemod --literal "$FROM" --to "$TO" -- \
  2>"$BENCH_TMP/xargs.err"); } \
  2>"$BENCH_TMP/xargs.time" || {
  echo "xargs drover codemod failed:" >&2
  tail -20 "$BENCH_TMP/xargs.err" >&2
  exit 1
}
read -r xargs_wall xargs_user xargs_sys < <(tail -n 1 "$BENCH_TMP/xargs.time")

echo "run 2/2: drover up + drover batch --node --tool drover-codemod" >&2
start_node "$BENCH_TMP/data" "$BENCH_TMP/node.log"
idle_hwm="$(peak_rss_kib "$NODE_PID")"
self_before="$(cpu_ticks "$NODE_PID")"
{ time timeout "$LIMIT" "$DROVER" batch --node "http://$NODE_HTTP" --repo "$drover_tree" \
  --glob '**/*' --tool drover-codemod --mode apply -- --literal "$FROM" --to "$TO" \
  >"$BENCH_TMP/batch.out" 2>"$BENCH_TMP/batch.err"; } 2>"$BENCH_TMP/batch.time" || {
  echo "drover batch failed:" >&2
  tail -20 "$BENCH_TMP/batch.err" "$BENCH_TMP/batch.out" "$BENCH_TMP/node.log" >&2
  exit 1
}
read -r drover_wall _ _ < <(tail -n 1 "$BENCH_TMP/batch.time")
# VmHWM is the high-water mark of the node's resident set over its whole life.
peak_hwm="$(peak_rss_kib "$NODE_PID")"
node_self="$(calc "($(cpu_ticks "$NODE_PID") - $self_before) / $CLK_TCK")"
stop_node "$NODE_PID"

assert_same_tree "$drover_tree" "$xargs_tree"
changed="$(git -C "$xargs_tree" diff --name-only | wc -l)"
expected=$(((FILES + 9) / 10))
if ((changed != expected)); then
  echo "FAIL: the codemod changed $changed files, expected $expected" >&2
  exit 1
fi

echo
echo "codemod over $FILES files ($changed changed), 100 files per invocation, $NPROC cores"
printf '  xargs -P%s     wall %8.2f s   cpu %.2f s (codemod processes)\n' "$NPROC" "$xargs_wall" \
  "$(calc "$xargs_user + $xargs_sys")"
printf '  drover --node  wall %8.2f s   node own cpu %.2f s\n' "$drover_wall" "$node_self"
echo "  trees byte-identical: yes"
printf 'node peak rss (VmHWM): %.1f MiB (idle node before the job: %.1f MiB) (target <= 256 MiB)\n' \
  "$(calc "$peak_hwm / 1024")" "$(calc "$idle_hwm / 1024")"
printf 'ratio wall drover/xargs: %.3f\n' "$(calc "$drover_wall / $xargs_wall")"
