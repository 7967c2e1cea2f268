# Shared helpers of the bench/*.sh scripts; sourced, not run. Expects `set -euo pipefail`.
#
# bench_init NAME     checks the release binary, makes $BENCH_TMP, installs the cleanup trap
# start_node DIR LOG  starts `drover up` on loopback port 0; sets NODE_PID and NODE_HTTP
# stop_node PID       SIGTERM, then SIGKILL after 10 s
# cpu_ticks PID       utime+stime of PID itself (children excluded), in clock ticks
# child_ticks PID     cutime+cstime: CPU of PID's children it has waited for, in clock ticks
# job_field URL ID F  prints field F (state, items.done, items.total) of a job
# submit_job URL JSON posts a job request, prints the job id
# wait_job URL ID S   waits at most S seconds for the job to end, prints its final state
# wait_probed URL S   waits at most S seconds until the catalog has probed every tool
# now                 seconds since the epoch with microseconds, from bash itself

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_BUILD="${DROVER_BUILD_DIR:-$BENCH_ROOT/build-bench}"
DROVER="${DROVER:-$BENCH_BUILD/apps/drover}"
CLK_TCK="$(getconf CLK_TCK)"
NPROC="$(nproc)"
BENCH_PIDS=()

bench_init() {
  local name="$1"
  if [[ ! -x "$DROVER" ]]; then
    echo "$name: no drover binary at $DROVER; build it with" >&2
    echo "  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench" >&2
    exit 2
  fi
  local cache="$BENCH_BUILD/CMakeCache.txt"
  if [[ -f "$cache" ]] && ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$cache"; then
    echo "$name: $BENCH_BUILD is not a Release build; its figures would not count" >&2
    [[ "${BENCH_ALLOW_DEBUG:-0}" == 1 ]] || exit 2
  fi
  BENCH_TMP="$(mktemp -d "/tmp/drover-$name.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local status=$?
  local pid
  ((status == 0)) || echo "$(basename "$0"): failed (status $status); files kept only with BENCH_KEEP_TMP=1" >&2
  for pid in "${BENCH_PIDS[@]}"; do
    stop_node "$pid" 2>/dev/null || true
  done
  if [[ "${BENCH_KEEP_TMP:-0}" == 1 ]]; then
    echo "kept $BENCH_TMP" >&2
  else
    # A stopped node may leave a git child finishing in a repository for a moment.
    rm -rf "$BENCH_TMP" 2>/dev/null || { sleep 2; rm -rf "$BENCH_TMP"; }
  fi
  exit "$status"
}

now() { echo "$EPOCHREALTIME"; }

# Prints $1 - $2 (seconds), or any awk expression of numbers given as arguments.
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }

start_node() {
  local dir="$1" log="$2"
  "$DROVER" up --data-dir "$dir" --listen tcp://127.0.0.1:0 --http 127.0.0.1:0 \
    --metrics 127.0.0.1:0 >"$log" 2>&1 &
  NODE_PID=$!
  BENCH_PIDS+=("$NODE_PID")
  # node.json is written once every endpoint is bound; a stale one (after SIGKILL) names
  # another pid.
  local deadline=$((SECONDS + 60))
  NODE_HTTP=""
  while ((SECONDS < deadline)); do
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
      echo "drover up exited early:" >&2
      cat "$log" >&2
      return 1
    fi
    if [[ -f "$dir/node.json" ]] && grep -q "\"pid\": $NODE_PID\b" "$dir/node.json"; then
      NODE_HTTP="$(sed -n 's/.*"http": *"\([^"]*\)".*/\1/p' "$dir/node.json")"
      [[ -n "$NODE_HTTP" ]] && return 0
    fi
    sleep 0.005
  done
  echo "drover up did not publish $dir/node.json within 60 s" >&2
  return 1
}

stop_node() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 1000; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# /proc/PID/stat: the command name is in parentheses and may hold spaces, so split after ')'.
# Fields 14-17 (utime stime cutime cstime) are then fields 12-15.
stat_fields() { sed 's/^.*) //' "/proc/$1/stat"; }
cpu_ticks() { stat_fields "$1" | awk '{ print $12 + $13 }'; }
child_ticks() { stat_fields "$1" | awk '{ print $14 + $15 }'; }
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

job_field() {
  local url="$1" id="$2" field="$3" body
  # Whitespace out: the API pretty-prints, and only names and numbers are read here.
  body="$(curl -sf "http://$url/v1/jobs/$id" | tr -d ' \n\t')" || return 1
  case "$field" in
    state) sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' <<<"$body" ;;
    items.*)
      grep -o '"items":{[^}]*}' <<<"$body" | grep -o "\"${field#items.}\":[0-9]*" | cut -d: -f2 ;;
  esac
}

# Submits the job request JSON $2 to the node at $1 (host:port) and prints the job's id.
submit_job() {
  local body
  body="$(curl -sf -X POST -H 'Content-Type: application/json' --data "$2" "http://$1/v1/jobs" |
    tr -d ' \n\t')" || {
    echo "POST /v1/jobs failed: $(curl -s -X POST --data "$2" "http://$1/v1/jobs")" >&2
    return 1
  }
  sed -n 's/.*"id":"\([A-Za-z0-9_.-]*\)".*/\1/p' <<<"$body"
}

# Waits until job $2 on node $1 is final (at most $3 seconds); prints the final state.
wait_job() {
  local url="$1" id="$2" limit="$3" state=""
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    state="$(job_field "$url" "$id" state || true)"
    case "$state" in succeeded | failed | cancelled) echo "$state"; return 0 ;; esac
    sleep 0.05
  done
  echo "timeout"
  return 1
}

# Waits until node $1 has probed every tool of its catalog (at most $2 seconds). A node probes
# each tool it has no probe record of once, in the background of its first start: work that
# would otherwise land in the middle of whatever is measured next.
wait_probed() {
  local url="$1" limit="$2" body
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    body="$(curl -s "http://$url/v1/tools" | tr -d ' \n\t')" || body=""
    case "$body" in
      "" | *'"availability":null'*) sleep 0.2 ;; # no answer yet, or still probing
      *) return 0 ;; # every tool probed (or an error: a node without a catalog probes nothing)
    esac
  done
  echo "the node at $url did not probe every tool within $limit s" >&2
  return 1
}

# Makes a git repository of the files in $1 (already in place): one commit, fixed identity,
# packed now and never again in the background (a detached `gc --auto` would race with the
# copies and the runs).
commit_all() {
  git -C "$1" init -q -b main
  git -C "$1" config gc.auto 0
  git -C "$1" config maintenance.auto false
  git -C "$1" add -A
  git -C "$1" -c user.name=bench -c user.email=bench@localhost -c commit.gpgsign=false \
    commit -q -m "bench corpus"
  git -C "$1" gc -q
}

# Fails unless the working trees $1 and $2 are byte-identical (.git excluded).
assert_same_tree() {
  if ! diff -r -q --no-dereference --exclude=.git "$1" "$2" >"$BENCH_TMP/tree.diff" 2>&1; then
    echo "FAIL: $1 and $2 differ:" >&2
    head -20 "$BENCH_TMP/tree.diff" >&2
    return 1
  fi
}

# Writes $2 small text files under $1 (100 per directory, pkgNNN/fileNNNNN.txt); every tenth
# one calls $3 twice, which a codemod can then rename.
make_small_files() {
  local dir="$1" count="$2" pattern="$3"
  mkdir -p "$dir"
  seq -f "$dir/pkg%03g" 0 $(((count - 1) / 100)) | xargs mkdir -p
  awk -v root="$dir" -v n="$count" -v pat="$pattern" 'BEGIN {
    for (i = 0; i < n; i++) {
      f = sprintf("%s/pkg%03d/file%05d.txt", root, int(i / 100), i)
      printf "// generated file %d\nint value_%d = %d;\n", i, i, i * 7 > f
      if (i % 10 == 0)
        printf "int use_%d() { return %s(value_%d) + %s(1); }\n", i, pat, i, pat > f
      printf "// end of file %d\n", i > f
      close(f)
    }
  }'
}
