#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Cross-checks rcls's Parquet reader and writer against arrow-rs (npm package parquet-wasm) and
# hyparquet, both ways, and on the real LeRobot files in ../shared/realdata. Needs node/npm and
# the npm registry, so it is not part of ctest (CI has no network). The npm packages go to a
# scratch folder outside the repository ($RCLS_CROSSCHECK_DIR, default /tmp/rcls-crosscheck).
# Usage: scripts/crosscheck_parquet.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scratch=${RCLS_CROSSCHECK_DIR:-/tmp/rcls-crosscheck}

command -v node >/dev/null && command -v npm >/dev/null || { echo "crosscheck: needs node and npm" >&2; exit 1; }
mkdir -p "$scratch"
if [ ! -d "$scratch/node_modules/parquet-wasm" ] || [ ! -d "$scratch/node_modules/hyparquet-compressors" ]; then
  (cd "$scratch" && { [ -f package.json ] || npm init -y >/dev/null; } &&
   npm install --no-audit --no-fund parquet-wasm@0.8.0 hyparquet@1 hyparquet-compressors@1 apache-arrow@21 >/dev/null)
fi
cmake --build "$build" --target parquet_tool dataset_writer_child >/dev/null
rm -rf "$scratch/files" "$scratch/dataset" && mkdir -p "$scratch/files"
"$build/tests/parquet_tool" samples "$scratch/files"
"$build/tests/dataset_writer_child" "$scratch/dataset" 6 >/dev/null  # a small v3.0 dataset
cp scripts/crosscheck_parquet.mjs "$scratch/crosscheck_parquet.mjs"
realdata=${RCLS_REALDATA:-$(pwd)/../shared/realdata}
node "$scratch/crosscheck_parquet.mjs" "$(pwd)/$build/tests/parquet_tool" "$scratch/files" "$realdata" \
  "$scratch/dataset"
