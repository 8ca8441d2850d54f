#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the libFuzzer target for the STS3215 status-packet parser with clang (in build-fuzz/, apart
# from the normal g++ build) and runs it for ${1:-60} seconds from a corpus seeded with the golden
# byte vectors of feetech_sts3215.md §1.12. Exits non-zero on any crash, leak or sanitizer report.
# Usage: scripts/fuzz_protocol.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz_protocol: clang++ is needed (apt-get install clang)" >&2
  exit 1
fi

generator=()
if [ ! -f build-fuzz/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRCLS_BUILD_FUZZ=ON -DRCLS_BUILD_TESTS=OFF -DRCLS_BUILD_BENCH=OFF > build-fuzz.log
cmake --build build-fuzz --target protocol_fuzz --parallel 2 >> build-fuzz.log
rm -f build-fuzz.log

corpus=build-fuzz/corpus/protocol
mkdir -p "$corpus"
seed() { printf "$2" > "$corpus/$1"; }
seed ping_status   '\xff\xff\x01\x02\x00\xfc'
seed model_777     '\xff\xff\x01\x04\x00\x09\x03\xee'
seed position_2047 '\xff\xff\x01\x04\x00\xff\x07\xf4'
seed sync_replies  '\xff\xff\x01\x04\x00\xff\x07\xf4\xff\xff\x02\x04\x00\xdc\x05\x18\xff\xff\x03\x04\x00\xb8\x0b\x35'
seed overload      '\xff\xff\x01\x02\x20\xdc'
seed sync_read     '\xff\xff\xfe\x0a\x82\x38\x02\x01\x02\x03\x04\x05\x06\x26'
seed sync_write    '\xff\xff\xfe\x16\x83\x2a\x02\x01\x00\x08\x02\x00\x04\x03\x00\x0c\x04\xd0\x07\x05\x00\x00\x06\xff\x0f\x2a'
seed noisy         '\x13\x00\xff\x42\xff\xff\xff\x01\x02\x00\xfc\xff\xff\x02\x04'

echo "fuzz_protocol: running protocol_fuzz for ${seconds} s"
status=0
build-fuzz/fuzz/protocol_fuzz "$corpus" -max_total_time="$seconds" -print_final_stats=1 \
  -max_len=512 -artifact_prefix=build-fuzz/ > build-fuzz/protocol_fuzz.log 2>&1 || status=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|ERROR|crash-" build-fuzz/protocol_fuzz.log || true
if [ "$status" -ne 0 ]; then
  echo "fuzz_protocol: FAILED (exit $status); see build-fuzz/protocol_fuzz.log" >&2
  exit "$status"
fi
echo "fuzz_protocol: no crash in ${seconds} s"
