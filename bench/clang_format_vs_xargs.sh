#!/usr/bin/env bash
# clang-format over >= 4,000 real C headers (copied from /usr/include into a fresh git
# repository): `drover batch --mode apply` against the plain-shell peer
#   git ls-files -z | xargs -0 -P$(nproc) -n50 clang-format -i --style=file --fallback-style=LLVM
# on an identical copy (the argv of examples/tools/clang-format.yaml, 50 files per invocation).
# Checks that both trees end byte-identical and prints
#   - the wall-clock ratio drover/xargs (target <= 1.10), drover as a user types it (embedded node);
#   - the CPU time of the node process itself (children excluded, from /proc/PID/stat) per file,
#     and as a share of the tools' CPU time (target <= 5%), from a second run on a `drover up`
#     node driven by `drover batch --node`.
#
# Usage: bench/clang_format_vs_xargs.sh            (FILES=4000 by default)
#        FILES=1000 bench/clang_format_vs_xargs.sh  (quicker)
# Needs a Release build in build-bench/ (or DROVER_BUILD_DIR / DROVER), git, clang-format, curl.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
unset DROVER_NODE DROVER_CONFIG DROVER_DATA_DIR

FILES="${FILES:-4000}"
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
drover_tree="$BENCH_TMP/drover"
mkdir -p "$drover_tree"
(cd /usr/include && tar -cf - --files-from="$list") | tar -xf - -C "$drover_tree"
# Pinned style in the repository: neither run may pick up a .clang-format above /tmp.
printf 'BasedOnStyle: LLVM\n' >"$drover_tree/.clang-format"
commit_all "$drover_tree"
xargs_tree="$BENCH_TMP/xargs"
node_tree="$BENCH_TMP/drover-node"
cp -a "$drover_tree" "$xargs_tree"
cp -a "$drover_tree" "$node_tree"
bytes="$(du -sb --exclude=.git "$drover_tree" | cut -f1)"

# `time` reports the real, user and system seconds of what it runs, waited-for children included.
TIMEFORMAT='%3R %3U %3S'

echo "run 1/3: xargs -P$NPROC -n50 clang-format" >&2
{ time (cd "$xargs_tree" && git ls-files -z -- '*.h' |
  timeout "$LIMIT" xargs -0 -P"$NPROC" -n50 clang-format -i --style=file --fallback-style=LLVM \
  2>"$BENCH_TMP/xargs.err"); } \
  2>"$BENCH_TMP/xargs.time" || {
  echo "xargs clang-format failed:" >&2
  tail -20 "$BENCH_TMP/xargs.err" >&2
  exit 1
}
read -r xargs_wall xargs_user xargs_sys < <(tail -n 1 "$BENCH_TMP/xargs.time")
xargs_cpu="$(calc "$xargs_user + $xargs_sys")"

echo "run 2/3: drover batch (embedded node)" >&2
{ time timeout "$LIMIT" "$DROVER" batch --repo "$drover_tree" --glob '**/*.h' --tool clang-format \
  --mode apply --batch-size 50 --data-dir "$BENCH_TMP/data-embedded" \
  >"$BENCH_TMP/drover.out" 2>"$BENCH_TMP/drover.err"; } 2>"$BENCH_TMP/drover.time" || {
  echo "drover batch failed:" >&2
  tail -20 "$BENCH_TMP/drover.err" "$BENCH_TMP/drover.out" >&2
  exit 1
}
read -r drover_wall drover_user drover_sys < <(tail -n 1 "$BENCH_TMP/drover.time")

echo "run 3/3: drover up + drover batch --node" >&2
start_node "$BENCH_TMP/data-node" "$BENCH_TMP/node.log"
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

assert_same_tree "$drover_tree" "$xargs_tree"
assert_same_tree "$node_tree" "$xargs_tree"
changed="$(git -C "$xargs_tree" diff --name-only | wc -l)"
if ((changed == 0)); then
  echo "FAIL: clang-format changed no file; the comparison would be empty" >&2
  exit 1
fi

node_self="$(calc "($self_after - $self_before) / $CLK_TCK")"
node_children="$(calc "($children_after - $children_before) / $CLK_TCK")"
client_cpu="$(calc "$client_user + $client_sys")"

echo
echo "clang-format vs xargs: $FILES headers ($((bytes / 1024)) KiB), $changed changed, 50 files per invocation, $NPROC cores"
printf '  xargs -P%s       wall %8.2f s   tools cpu %8.2f s\n' "$NPROC" "$xargs_wall" "$xargs_cpu"
printf '  drover batch     wall %8.2f s   total cpu %8.2f s (node + tools + git)\n' \
  "$drover_wall" "$(calc "$drover_user + $drover_sys")"
printf '  drover --node    wall %8.2f s   node own cpu %.3f s, node children cpu %.2f s, client cpu %.3f s\n' \
  "$node_wall" "$node_self" "$node_children" "$client_cpu"
echo "  trees byte-identical: yes (drover, drover --node, xargs)"
printf 'ratio wall drover/xargs: %.3f (target <= 1.10)\n' "$(calc "$drover_wall / $xargs_wall")"
printf 'ratio wall drover-node/xargs: %.3f\n' "$(calc "$node_wall / $xargs_wall")"
printf 'drover node cpu per file: %.1f us; ratio to tool cpu (xargs run): %.2f%% (target <= 5%%)\n' \
  "$(calc "$node_self * 1000000 / $FILES")" "$(calc "100 * $node_self / $xargs_cpu")"
