#!/usr/bin/env bash
# clang-format over >= 4,000 real C headers (copied from /usr/include into a fresh git
# repository): `drover batch --mode apply` against the plain-shell peer
#   git ls-files -z | xargs -0 -P$(nproc) -n50 clang-format -i --style=file --fallback-style=LLVM
# on an identical copy (the argv of examples/tools/clang-format.yaml, 50 files per invocation).
# Checks that every tree ends byte-identical and prints
#   - the wall-clock ratio drover/xargs (target <= 1.10), drover as a user types it (embedded
#     node); ROUNDS pairs on fresh copies, alternating which goes first, summed, because the
#     machine's speed drifts by tens of percent between minutes;
#   - the CPU time of the node process itself (children excluded, from /proc/PID/stat) per file,
#     and as a share of the tools' CPU time (target <= 5%), from one more run on a `drover up`
#     node driven by `drover batch --node`.
#
# Usage: bench/clang_format_vs_xargs.sh                     (FILES=4000, ROUNDS=2)
#        FILES=1000 ROUNDS=1 bench/clang_format_vs_xargs.sh  (quicker)
# Needs a Release build in build-bench/ (or DROVER_BUILD_DIR / DROVER), git, clang-format, curl.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
unset DROVER_NODE DROVER_CONFIG DROVER_DATA_DIR

FILES="${FILES:-4000}"
ROUNDS="${ROUNDS:-2}"
LIMIT="${LIMIT:-1800}" # seconds any one run may take
bench_init clang-format-vs-xargs

echo "corpus: the first $FILES headers of /usr/include (sorted), one commit" >&2
list="$BENCH_TMP/files.txt"
(cd /usr/include && find . -type f -name '*.h' | sed 's|^\./||' | LC_ALL=C sort | awk -v n="$FILES" 'NR <= n') >"$list"
found="$(wc -l <"$list")"
if ((found < FILES)); then
  echo "only $found headers under /usr/include, wanted $FILES" >&2
  exit 2
fi
pristine="$BENCH_TMP/pristine"
mkdir -p "$pristine"
(cd /usr/include && tar -cf - --files-from="$list") | tar -xf - -C "$pristine"
# Pinned style in the repository: no run may pick up a .clang-format above /tmp.
printf 'BasedOnStyle: LLVM\n' >"$pristine/.clang-format"
commit_all "$pristine"
bytes="$(du -sb --exclude=.git "$pristine" | cut -f1)"

# `time` reports the real, user and system seconds of what it runs, waited-for children included.
TIMEFORMAT='%3R %3U %3S'

# Runs the xargs peer on a fresh copy $1; appends "wall cpu" to $BENCH_TMP/xargs.runs.
run_xargs() {
  cp -a "$pristine" "$1"
  { time (cd "$1" && git ls-files -z -- '*.h' |
    timeout "$LIMIT" xargs -0 -P"$NPROC" -n50 clang-format -i --style=file --fallback-style=LLVM \
    2>"$BENCH_TMP/xargs.err"); } 2>"$BENCH_TMP/xargs.time" || {
    echo "xargs clang-format failed:" >&2
    tail -20 "$BENCH_TMP/xargs.err" >&2
    return 1
  }
  local wall user sys
  read -r wall user sys < <(tail -n 1 "$BENCH_TMP/xargs.time")
  echo "$wall $(calc "$user + $sys")" >>"$BENCH_TMP/xargs.runs"
}

# Runs `drover batch` with an embedded node on a fresh copy $1; appends "wall cpu" to
# $BENCH_TMP/drover.runs.
run_drover() {
  cp -a "$pristine" "$1"
  { time timeout "$LIMIT" "$DROVER" batch --repo "$1" --glob '**/*.h' --tool clang-format \
    --mode apply --batch-size 50 --data-dir "$1.data" \
    >"$BENCH_TMP/drover.out" 2>"$BENCH_TMP/drover.err"; } 2>"$BENCH_TMP/drover.time" || {
    echo "drover batch failed:" >&2
    tail -20 "$BENCH_TMP/drover.err" "$BENCH_TMP/drover.out" >&2
    return 1
  }
  local wall user sys
  read -r wall user sys < <(tail -n 1 "$BENCH_TMP/drover.time")
  echo "$wall $(calc "$user + $sys")" >>"$BENCH_TMP/drover.runs"
}

for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round/$ROUNDS: xargs -P$NPROC -n50 clang-format and drover batch (embedded node)" >&2
  if ((round % 2 == 1)); then
    run_xargs "$BENCH_TMP/xargs-$round"
    run_drover "$BENCH_TMP/drover-$round"
  else
    run_drover "$BENCH_TMP/drover-$round"
    run_xargs "$BENCH_TMP/xargs-$round"
  fi
  assert_same_tree "$BENCH_TMP/drover-$round" "$BENCH_TMP/xargs-$round"
done

echo "node run: drover up + drover batch --node" >&2
node_tree="$BENCH_TMP/drover-node"
cp -a "$pristine" "$node_tree"
start_node "$BENCH_TMP/data-node" "$BENCH_TMP/node.log"
# A node's first start probes every catalog tool in the background, once in its life: not part
# of what a job costs.
wait_probed "$NODE_HTTP" 120
self_before="$(cpu_ticks "$NODE_PID")"
children_before="$(child_ticks "$NODE_PID")"
{ time timeout "$LIMIT" "$DROVER" batch --node "http://$NODE_HTTP" --repo "$node_tree" \
  --glob '**/*.h' --tool clang-format --mode apply --batch-size 50 \
  >"$BENCH_TMP/node-batch.out" 2>"$BENCH_TMP/node-batch.err"; } 2>"$BENCH_TMP/node-batch.time" || {
  echo "drover batch --node failed:" >&2
  tail -20 "$BENCH_TMP/node-batch.err" "$BENCH_TMP/node-batch.out" "$BENCH_TMP/node.log" >&2
  exit 1
}
self_after="$(cpu_ticks "$NODE_PID")"
children_after="$(child_ticks "$NODE_PID")"
read -r node_wall client_user client_sys < <(tail -n 1 "$BENCH_TMP/node-batch.time")
stop_node "$NODE_PID"
assert_same_tree "$node_tree" "$BENCH_TMP/xargs-1"

changed="$(git -C "$BENCH_TMP/xargs-1" diff --name-only | wc -l)"
if ((changed == 0)); then
  echo "FAIL: clang-format changed no file; the comparison would be empty" >&2
  exit 1
fi

sum() { awk -v f="$2" '{ s += $f } END { printf "%.3f", s }' "$1"; }
xargs_wall="$(sum "$BENCH_TMP/xargs.runs" 1)"
xargs_cpu="$(sum "$BENCH_TMP/xargs.runs" 2)"
drover_wall="$(sum "$BENCH_TMP/drover.runs" 1)"
drover_cpu="$(sum "$BENCH_TMP/drover.runs" 2)"
node_self="$(calc "($self_after - $self_before) / $CLK_TCK")"
node_children="$(calc "($children_after - $children_before) / $CLK_TCK")"
tool_cpu_per_run="$(calc "$xargs_cpu / $ROUNDS")"

echo
echo "clang-format vs xargs: $FILES headers ($((bytes / 1024)) KiB), $changed changed, 50 files per invocation, $NPROC cores"
echo "  round  xargs wall  drover wall   (seconds; drover = drover batch with an embedded node)"
paste "$BENCH_TMP/xargs.runs" "$BENCH_TMP/drover.runs" |
  awk '{ printf "  %5d  %10.2f  %11.2f   ratio %.3f\n", NR, $1, $3, $3 / $1 }'
printf '  cpu (user+sys, children included): xargs %.2f s, drover %.2f s, over %s rounds\n' \
  "$xargs_cpu" "$drover_cpu" "$ROUNDS"
printf '  drover --node: wall %.2f s, node own cpu %.3f s, node children cpu %.2f s, client cpu %.3f s\n' \
  "$node_wall" "$node_self" "$node_children" "$(calc "$client_user + $client_sys")"
echo "  trees byte-identical: yes (every drover tree against its xargs peer)"
printf 'ratio wall drover/xargs: %.3f (sum over %s rounds; target <= 1.10)\n' \
  "$(calc "$drover_wall / $xargs_wall")" "$ROUNDS"
printf 'drover node cpu per file: %.1f us; ratio to tool cpu (xargs run): %.2f%% (target <= 5%%)\n' \
  "$(calc "$node_self * 1000000 / $FILES")" "$(calc "100 * $node_self / $tool_cpu_per_run")"
