#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Start-up cost of the rcls binary: median wall time of `rcls --version` and of
# `rcls config check` on the shipped configs, against `ffmpeg -version` (the same FFmpeg
# libraries, loaded by FFmpeg's own binary) timed in the same run.
# Usage: scripts/bench_startup.sh [runs, default 30]   (after scripts/build.sh)
#        RCLS_BIN=path/to/rcls scripts/bench_startup.sh   times another build (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
rcls=${RCLS_BIN:-build/bin/rcls}
[ -x "$rcls" ] || { echo "bench_startup.sh: $rcls not built; run scripts/build.sh" >&2; exit 2; }

median_ms() {  # median wall time in ms of running "$@" $runs times, output discarded
    local times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

libs=$(LD_TRACE_LOADED_OBJECTS=1 "$rcls" | wc -l)
version=$(median_ms "$rcls" --version)
check=$(median_ms "$rcls" -q config check configs/reward_classifier_record_config.json \
        configs/reward_classifier_train_config.json)
baseline=$(median_ms ffmpeg -hide_banner -version)
echo "shared libraries loaded by rcls: $libs"
echo "rcls --version:        ${version} ms"
echo "rcls config check x2:  ${check} ms"
echo "ffmpeg -version:       ${baseline} ms (baseline)"
awk -v a="$version" -v b="$baseline" 'BEGIN {printf "ratio rcls --version / ffmpeg -version: %.2f\n", a / b}'
