#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Servo-bus benchmarks over the simulated SO-101 bus on a pseudo-terminal (bench/arm_bench.cpp):
# sync reads of 6 positions per second against the PING round trip as baseline, and the
# teleoperation loop's jitter at 60 fps (p50/p99 loop time). Prints medians of ${REPS:-5} runs and
# the ratios. Usage: scripts/bench_arm.sh [extra benchmark flags]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x build/bin/arm_bench ] || [ -n "${REBUILD:-}" ]; then
  scripts/build.sh -DRCLS_BUILD_BENCH=ON > /dev/null
fi
cmake --build build --target arm_bench --parallel 2 > /dev/null
reps=${REPS:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

build/bin/arm_bench --benchmark_filter='BM_(Ping|SyncRead6Positions|Read6PositionsSingly)/' \
  --benchmark_min_time=1 --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_format=csv "$@" 2>/dev/null | grep '_median' > "$out"
# CSV: name,iterations,real_time,cpu_time,time_unit,...; real_time is in microseconds here.
awk -F, '
  { gsub(/"/, "", $1); name = $1; sub(/_median$/, "", name); sub(/\/real_time$/, "", name); t[name] = $3 }
  END {
    printf "%-32s %12s %12s\n", "benchmark (median of runs)", "time (us)", "per second"
    for (wire = 1; wire >= 0; wire--) {
      label = wire ? "wire time modelled (1 Mbaud)" : "no wire time (host side only)"
      printf "-- %s\n", label
      split("BM_Ping BM_SyncRead6Positions BM_Read6PositionsSingly", names, " ")
      for (i = 1; i <= 3; i++) {
        key = names[i] "/" wire
        printf "%-32s %12.1f %12.0f\n", names[i], t[key], 1e6 / t[key]
      }
      printf "ratio sync read / ping:          %.2f\n", t["BM_SyncRead6Positions/" wire] / t["BM_Ping/" wire]
      printf "speed-up sync read vs 6 reads:   %.2fx\n", t["BM_Read6PositionsSingly/" wire] / t["BM_SyncRead6Positions/" wire]
    }
  }' "$out"

echo "-- teleoperation at 60 fps for 5 s (two simulated buses, wire time modelled)"
build/bin/arm_bench --benchmark_filter='BM_TeleopLoop60Fps' --benchmark_format=console "$@" 2>/dev/null |
  grep '^BM_TeleopLoop60Fps' | tr ' ' '\n' | grep '=' | sed 's/^/  /'
