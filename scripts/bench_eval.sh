#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Times `rcls eval` against `rcls predict` scoring the same frames: the reference workflow's 1932
# frames at 640x480 (decode, crop, resize, forward), made from the real SO-101 wrist camera
# episodes in ../shared/realdata (tests/tools/eval_bench_dataset.cpp: 20 labelled episodes), with
# a random checkpoint of the tests' fixture (the network's cost does not depend on its weights).
# Runs each command RUNS times, alternating, and prints the medians and their ratio; the target is
# eval <= 10 s on 2 cores.
#   scripts/bench_eval.sh [RUNS] [av1|h264]   (BUILD=build, BENCH_DIR=/tmp/rcls_bench_eval)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
codec=${2:-av1}
build=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/rcls_bench_eval}
source_root=${REALDATA:-../shared/realdata}/so101_chess_wrist_lerobot_pr1138
rcls=$build/bin/rcls
tool=$build/tests/eval_bench_dataset

cmake --build "$build" -j2 --target rcls eval_bench_dataset >/dev/null
mkdir -p "$dir"
if [ ! -f "$dir/ds_$codec/meta/info.json" ]; then
  rm -rf "$dir/ds_$codec"
  "$tool" dataset "$source_root" "$dir/ds_$codec" "$codec"
fi
if [ ! -f "$dir/ck/config.json" ]; then
  "$tool" checkpoint "$dir/ck"
fi
ds=$dir/ds_$codec

now() { date +%s.%N; }
eval_s=()
predict_s=()
for i in $(seq "$runs"); do
  t0=$(now)
  "$rcls" -q eval --checkpoint "$dir/ck" --dataset.root "$ds" --json >"$dir/eval.json"
  t1=$(now)
  "$rcls" -q predict --checkpoint "$dir/ck" "$ds" --json >"$dir/predict.jsonl"
  t2=$(now)
  eval_s+=("$(echo "$t1 - $t0" | bc -l)")
  predict_s+=("$(echo "$t2 - $t1" | bc -l)")
  echo "run $i: eval $(printf %.2f "${eval_s[-1]}") s, predict $(printf %.2f "${predict_s[-1]}") s" >&2
done
frames=$(wc -l <"$dir/predict.jsonl")
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
me=$(median "${eval_s[@]}")
mp=$(median "${predict_s[@]}")
scoring=$(sed -n 's/^  "scoring_seconds": \([0-9.]*\),$/\1/p' "$dir/eval.json")
printf '{"frames": %d, "codec": "%s", "runs": %d, "eval_median_s": %.3f, "predict_median_s": %.3f, "eval_over_predict": %.3f, "eval_scoring_s_last": %.3f, "cores": %d}\n' \
  "$frames" "$codec" "$runs" "$me" "$mp" "$(echo "$me / $mp" | bc -l)" "${scoring:-0}" "$(nproc)"
