#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds one libFuzzer target with clang (in build-fuzz/, apart from the normal g++ build) and runs
# it for SECONDS (default 60) from a seeded corpus. Exits non-zero on any crash, leak or sanitizer
# report.
#   protocol: the STS3215 status-packet parser, seeded with the golden byte vectors of
#             feetech_sts3215.md §1.12
#   parquet:  the Parquet footer, page and level decoders, seeded with tests/data/parquet
# Usage: scripts/fuzz.sh protocol|parquet [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-}
seconds=${2:-60}
name="fuzz_${target}"
case "$target" in
  protocol) max_len=512; extra=() ;;
  parquet) max_len=20000; extra=(-rss_limit_mb=4096) ;;
  *) echo "usage: scripts/fuzz.sh protocol|parquet [seconds]" >&2; exit 2 ;;
esac
if ! command -v clang++ >/dev/null 2>&1; then
  echo "$name: clang++ is needed (apt-get install clang)" >&2
  exit 1
fi

generator=()
if [ ! -f build-fuzz/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRCLS_BUILD_FUZZ=ON -DRCLS_BUILD_TESTS=OFF -DRCLS_BUILD_BENCH=OFF > build-fuzz.log
cmake --build build-fuzz --target "${target}_fuzz" --parallel 2 >> build-fuzz.log
rm -f build-fuzz.log

corpus=build-fuzz/corpus/$target
mkdir -p "$corpus"
if [ "$target" = parquet ]; then
  cp tests/data/parquet/*.parquet "$corpus/"
else
  seed() { printf "$2" > "$corpus/$1"; }
  seed ping_status   '\xff\xff\x01\x02\x00\xfc'
  seed model_777     '\xff\xff\x01\x04\x00\x09\x03\xee'
  seed position_2047 '\xff\xff\x01\x04\x00\xff\x07\xf4'
  seed sync_replies  '\xff\xff\x01\x04\x00\xff\x07\xf4\xff\xff\x02\x04\x00\xdc\x05\x18\xff\xff\x03\x04\x00\xb8\x0b\x35'
  seed overload      '\xff\xff\x01\x02\x20\xdc'
  seed sync_read     '\xff\xff\xfe\x0a\x82\x38\x02\x01\x02\x03\x04\x05\x06\x26'
  seed sync_write    '\xff\xff\xfe\x16\x83\x2a\x02\x01\x00\x08\x02\x00\x04\x03\x00\x0c\x04\xd0\x07\x05\x00\x00\x06\xff\x0f\x2a'
  seed noisy         '\x13\x00\xff\x42\xff\xff\xff\x01\x02\x00\xfc\xff\xff\x02\x04'
fi

log=build-fuzz/${target}_fuzz.log
echo "$name: running ${target}_fuzz for ${seconds} s"
status=0
"build-fuzz/fuzz/${target}_fuzz" "$corpus" -max_total_time="$seconds" -print_final_stats=1 \
  -max_len="$max_len" "${extra[@]}" -artifact_prefix=build-fuzz/ > "$log" 2>&1 || status=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|ERROR|crash-" "$log" || true
if [ "$status" -ne 0 ]; then
  echo "$name: FAILED (exit $status); see $log" >&2
  exit "$status"
fi
echo "$name: no crash in ${seconds} s"
