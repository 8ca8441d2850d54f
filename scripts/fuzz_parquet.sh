#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the libFuzzer target for the Parquet reader with clang (in build-fuzz/, apart from the
# normal g++ build) and runs it for ${1:-60} seconds from a corpus seeded with the Parquet files in
# tests/data/parquet. Exits non-zero on any crash, leak or sanitizer report.
# Usage: scripts/fuzz_parquet.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz_parquet: clang++ is needed (apt-get install clang)" >&2
  exit 1
fi

generator=()
if [ ! -f build-fuzz/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRCLS_BUILD_FUZZ=ON -DRCLS_BUILD_TESTS=OFF -DRCLS_BUILD_BENCH=OFF > build-fuzz.log
cmake --build build-fuzz --target parquet_fuzz --parallel 2 >> build-fuzz.log
rm -f build-fuzz.log

corpus=build-fuzz/corpus/parquet
mkdir -p "$corpus"
cp tests/data/parquet/*.parquet "$corpus/"

echo "fuzz_parquet: running parquet_fuzz for ${seconds} s"
status=0
build-fuzz/fuzz/parquet_fuzz "$corpus" -max_total_time="$seconds" -print_final_stats=1 \
  -max_len=20000 -rss_limit_mb=4096 -artifact_prefix=build-fuzz/ > build-fuzz/parquet_fuzz.log 2>&1 \
  || status=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|ERROR|crash-" build-fuzz/parquet_fuzz.log || true
if [ "$status" -ne 0 ]; then
  echo "fuzz_parquet: FAILED (exit $status); see build-fuzz/parquet_fuzz.log" >&2
  exit "$status"
fi
echo "fuzz_parquet: no crash in ${seconds} s"
