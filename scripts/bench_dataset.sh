# SPDX-License-Identifier: MIT
#
# Sourced by the training benchmarks (bench_train.sh, bench_train_memory.sh): the reference-size
# dataset, 20 labelled episodes, 1932 frames, from the real SO-101 wrist camera frames in
# ../shared/realdata (tests/tools/eval_bench_dataset.cpp), preprocessed to 128x128, made once.
#   reference_dataset NAME BUILD DIR    -> DIR/ds128 (NAME prefixes the error messages)
reference_dataset() {
  local name=$1 build=$2 dir=$3
  local source_root=${REALDATA:-../shared/realdata}/so101_chess_wrist_lerobot_pr1138
  mkdir -p "$dir"
  [ -f "$dir/ds128/meta/info.json" ] && return 0
  [ -d "$source_root" ] || { echo "$name: $source_root is missing (set REALDATA)" >&2; exit 2; }
  rm -rf "$dir/ds640" "$dir/ds128"
  "$build/tests/eval_bench_dataset" dataset "$source_root" "$dir/ds640" h264
  "$build/bin/rcls" -q preprocess "$dir/ds640" --output "$dir/ds128" --size 128 >/dev/null
}
