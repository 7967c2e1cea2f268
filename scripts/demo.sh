#!/usr/bin/env bash
# The README's first command: installs what is needed, builds the drover binary and runs
# `drover demo`: a generated sample repository, a deprecated-call migration on a new branch and
# a formatting check, on an embedded node with its data under build/demo-data.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh -- drover
build/apps/drover demo --data-dir "$PWD/build/demo-data"
