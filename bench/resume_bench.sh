#!/usr/bin/env bash
# Resume latency: a 100,000-item job (drover-codemod, one file per item) runs for a few seconds
# on a `drover up` node, the node is SIGKILLed and started again on the same data directory.
# Prints the time from the restart to the first newly leased item (target < 1 s) as a ratio
# against the plain start time of a node without any job, both measured here:
#   - plain start: launch -> DATA_DIR/node.json published (every endpoint bound), restarting a
#     node whose data directory holds no job after a clean stop (a first start creates it and
#     is not counted: creating a store is slower than opening one, and the resume opens one);
# Both nodes are left to probe their tools first (wait_probed), which a node does once, in the
# background of its first start, so that neither figure includes it.
#   - resume, the figure that counts: launch -> the first codemod run of the restarted node
#     (the millisecond stamp of its DROVER_CODEMOD_LOG line, which the tool writes before it
#     reads its files), i.e. the first newly leased item at work. The invoker starts the tool
#     once the lease is recorded and, for an item the killed node had leased, once its files
#     are restored to base, so this bounds the lease itself from above;
#   - also: launch -> the job's items.done (GET /v1/jobs/ID, polled every 10 ms) grows past the
#     value the restarted node first reports, i.e. the first result recorded after the restart.
#
# Usage: bench/resume_bench.sh                   (FILES=100000, RUN_SECONDS=3)
#        FILES=20000 bench/resume_bench.sh
# Needs a Release build in build-bench/ (or DROVER_BUILD_DIR / DROVER), git and curl.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
unset DROVER_NODE DROVER_CONFIG DROVER_DATA_DIR

FILES="${FILES:-100000}"
RUN_SECONDS="${RUN_SECONDS:-3}"
STARTS="${STARTS:-5}" # plain starts measured; the median counts
bench_init resume

# Seconds from $1 (an EPOCHREALTIME) to now.
since() { calc "$EPOCHREALTIME - $1"; }

# Waits for node.json of pid $2 in data dir $1 without spawning anything; sets NODE_HTTP.
wait_node_file() {
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if [[ -f "$1/node.json" ]] && [[ "$(<"$1/node.json")" =~ \"pid\":\ $2[^0-9] ]] &&
      [[ "$(<"$1/node.json")" =~ \"http\":\ \"([^\"]+)\" ]]; then
      NODE_HTTP="${BASH_REMATCH[1]}"
      return 0
    fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.001
  done
  return 1
}

launch_node() {
  "$DROVER" up --data-dir "$1" --listen tcp://127.0.0.1:0 --http 127.0.0.1:0 \
    --metrics 127.0.0.1:0 >>"$2" 2>&1 &
  NODE_PID=$!
  BENCH_PIDS+=("$NODE_PID")
}

echo "plain start of a node without jobs, $STARTS times" >&2
launch_node "$BENCH_TMP/plain" "$BENCH_TMP/plain.log"
wait_node_file "$BENCH_TMP/plain" "$NODE_PID"
wait_probed "$NODE_HTTP" 120
stop_node "$NODE_PID"
plain=()
for ((i = 0; i < STARTS; i++)); do
  t0="$EPOCHREALTIME"
  launch_node "$BENCH_TMP/plain" "$BENCH_TMP/plain.log"
  wait_node_file "$BENCH_TMP/plain" "$NODE_PID"
  plain+=("$(since "$t0")")
  stop_node "$NODE_PID"
done
plain_median="$(printf '%s\n' "${plain[@]}" | sort -g | sed -n "$(((STARTS + 1) / 2))p")"

echo "corpus: $FILES files" >&2
repo="$BENCH_TMP/repo"
make_small_files "$repo" "$FILES" legacy_lookup
commit_all "$repo"

data="$BENCH_TMP/data"
log="$BENCH_TMP/codemod.log"
export DROVER_CODEMOD_LOG="$log" # the node passes it to drover-codemod (env_allow)
launch_node "$data" "$BENCH_TMP/node.log"
wait_node_file "$data" "$NODE_PID"
wait_probed "$NODE_HTTP" 120
request='{"repo":"'"$repo"'","include":["**/*"],"tools":["drover-codemod"],"mode":"advise",
  "batch_size":1,"args":["--literal","legacy_lookup","--to","modern_lookup"]}'
id="$(submit_job "$NODE_HTTP" "$request")"
[[ -n "$id" ]] || { echo "no job id" >&2; exit 1; }
submitted="$EPOCHREALTIME"
echo "job $id: running for ${RUN_SECONDS} s after its first item, then SIGKILL" >&2
done_before=0
while (($(calc "$EPOCHREALTIME - $submitted < 120"))); do
  done_before="$(job_field "$NODE_HTTP" "$id" items.done || echo 0)"
  ((${done_before:-0} > 0)) && break
  sleep 0.05
done
((${done_before:-0} > 0)) || { echo "the job recorded no item within 120 s" >&2; exit 1; }
first_item_after="$(since "$submitted")"
sleep "$RUN_SECONDS"
total="$(job_field "$NODE_HTTP" "$id" items.total)"
done_before="$(job_field "$NODE_HTTP" "$id" items.done)"
kill -KILL "$NODE_PID"
wait "$NODE_PID" 2>/dev/null || true
sleep 0.5 # tools die with the node (PR_SET_PDEATHSIG); a last log line may still be landing
lines_before="$(wc -l <"$log")"

echo "restart on the same data directory" >&2
t0="$EPOCHREALTIME"
launch_node "$data" "$BENCH_TMP/node.log"
wait_node_file "$data" "$NODE_PID"
published="$(since "$t0")"
baseline=""
answered=""
grew=""
while (($(calc "$EPOCHREALTIME - $t0 < 60"))); do
  now_done="$(job_field "$NODE_HTTP" "$id" items.done || true)"
  if [[ -n "$now_done" ]]; then
    if [[ -z "$baseline" ]]; then
      baseline="$now_done"
      answered="$(since "$t0")"
    elif ((now_done > baseline)); then
      grew="$(since "$t0")"
      break
    fi
  fi
  sleep 0.01
done
[[ -n "$grew" ]] || { echo "the job made no progress within 60 s of the restart" >&2; exit 1; }
# First codemod run after the restart: its log line carries a millisecond timestamp. Lines
# stamped before the launch are the killed node's, whatever order they landed in.
first_run_ms="$(tail -n +"$((lines_before + 1))" "$log" | cut -f2 |
  awk -v t0="$t0" '$1 >= t0 * 1000 && (n++ == 0 || $1 < min) { min = $1 } END { print min }')"
[[ -n "$first_run_ms" ]] || { echo "no codemod run of the restarted node in $log" >&2; exit 1; }
first_run="$(calc "$first_run_ms / 1000 - $t0")"
stop_node "$NODE_PID"

echo
echo "resume of a $total-item job (batch size 1), killed with $done_before items done, $NPROC cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  plain start (no job): median %.3f s of %s (%s)\n' "$plain_median" "$STARTS" "${plain[*]}"
printf '  restart: node.json %.3f s, first answer for the job %.3f s (items.done %s),\n' \
  "$published" "$answered" "$baseline"
printf '           first codemod run %.3f s, items.done grows %.3f s (ratio %.2f)\n' "$first_run" \
  "$grew" "$(calc "$grew / $plain_median")"
printf '  (first item of the fresh job: %.3f s after submission)\n' "$first_item_after"
printf 'restart to first newly leased item: %.3f s (target < 1 s); ratio to plain start: %.2f\n' \
  "$first_run" "$(calc "$first_run / $plain_median")"
