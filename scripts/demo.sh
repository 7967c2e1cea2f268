#!/usr/bin/env bash
# The README's first command: installs what is needed, builds the drover binary and shows a
# live node on embedded defaults (free ports, a data directory under build/demo-data): it starts
# the node, scrapes its metrics, pings it over the API and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh -- drover
drover=build/apps/drover
data_dir="$PWD/build/demo-data"

"$drover" up --data-dir "$data_dir" --listen tcp://127.0.0.1:0 --http 127.0.0.1:0 \
  --metrics 127.0.0.1:0 &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "\"pid\": $node_pid" "$data_dir/node.json" 2>/dev/null && break
  sleep 0.1
done
metrics="$(sed -n 's/.*"metrics": "\(.*\)".*/\1/p' "$data_dir/node.json")"
http="$(sed -n 's/.*"http": "\(.*\)".*/\1/p' "$data_dir/node.json")"
echo
echo "== GET http://$http/v1/node"
curl -fsS "http://$http/v1/node"; echo
echo "== GET http://$metrics/metrics (drover_ lines)"
curl -fsS "http://$metrics/metrics" | grep '^drover_'
echo
kill -TERM "$node_pid"
wait "$node_pid"
trap - EXIT
echo "node stopped cleanly; its store stays in $data_dir"
