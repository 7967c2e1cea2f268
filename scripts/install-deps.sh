#!/usr/bin/env bash
# Installs every Debian bookworm package Drover needs to build, test and run.
# Idempotent and non-interactive: does nothing when all are present, else one `apt-get update`
# and one install.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl procps tmux
  iproute2 # ip netns and veth pairs for the network partition test
  clang-format clang-tidy
  libcaf-dev cppzmq-dev libzmq3-dev
  flatbuffers-compiler libflatbuffers-dev
  librocksdb-dev prometheus-cpp-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
echo "installing: ${missing[*]}"
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
