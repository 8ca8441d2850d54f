#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Times `rcls train` against LeRobot's loop in PyTorch (tests/reference/lerobot_train_reference.py,
# Debian's python3-torch) in the same run, on the reference-size dataset: 20 labelled episodes,
# 1932 frames (tests/tools/eval_bench_dataset.cpp, from the real SO-101 wrist camera frames in
# ../shared/realdata), preprocessed to 128x128, batch 32, 2 threads. Prints one line per case and
# the ratios the issue sets targets for:
#   head + colour jitter, STEPS steps: wall (decode included), target <= 60 s
#   head without augmentation, STEPS steps: wall, target <= 15 s
#   full: ms/step against the reference's full ms/step, target <= 0.5x
# The reference is timed over REF_STEPS steps on random frames of the same size (--synthetic; its
# per-step cost does not depend on the pixels) and extrapolated to STEPS.
# The machine's load (uptime) is printed with every number: on a shared machine they are noisy.
#   scripts/bench_train.sh [STEPS] [REF_STEPS] [FULL_STEPS]   (BUILD=build, BENCH_DIR=/tmp/rcls_bench_train)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-3000}
ref_steps=${2:-30}
full_steps=${3:-30}
build=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/rcls_bench_train}
source_root=${REALDATA:-../shared/realdata}/so101_chess_wrist_lerobot_pr1138
python=/usr/bin/python3
rcls=$build/bin/rcls
tool=$build/tests/eval_bench_dataset

cmake --build "$build" -j2 --target rcls eval_bench_dataset >/dev/null
mkdir -p "$dir"
if [ ! -f "$dir/ds128/meta/info.json" ]; then
  rm -rf "$dir/ds640" "$dir/ds128"
  "$tool" dataset "$source_root" "$dir/ds640" h264
  "$rcls" -q preprocess "$dir/ds640" --output "$dir/ds128" --size 128 >/dev/null
fi
ds=$dir/ds128

now() { date +%s.%N; }
load() { uptime | sed 's/.*load average: //'; }
common=(--dataset.root "$ds" --pretrained_encoder false --num_threads 2 --batch_size 32
        --val_fraction 0 --save_checkpoint false --log_freq 1000000 -q)

run_rcls() {  # name, extra flags...
  local name=$1; shift
  rm -rf "$dir/run_$name"
  local t0 t1
  t0=$(now)
  "$rcls" train "${common[@]}" --output_dir "$dir/run_$name" --json "$@" >"$dir/$name.json"
  t1=$(now)
  echo "$name $(echo "$t1 - $t0" | bc)"
}

echo "load before: $(load)"
read -r _ head_jitter < <(run_rcls head_jitter --train_mode head --steps "$steps")
echo "rcls head + colour jitter, $steps steps: ${head_jitter} s wall (target <= 60 s); load $(load)"
read -r _ head_plain < <(run_rcls head_plain --train_mode head --steps "$steps" \
  --dataset.image_transforms.enable false)
echo "rcls head, no augmentation, $steps steps: ${head_plain} s wall (target <= 15 s); load $(load)"
read -r _ full < <(run_rcls full --train_mode full --steps "$full_steps")
full_ms=$(echo "1000 * $full / $full_steps" | bc -l)
printf 'rcls full, %s steps: %.0f ms/step (wall incl. decode); load %s\n' "$full_steps" "$full_ms" "$(load)"

ref() {  # mode, steps
  "$python" tests/reference/lerobot_train_reference.py --synthetic 1932 --size 128 --mode "$1" \
    --steps "$2" --batch 32 --threads 2 --jitter on
}
ref_head=$(ref head "$ref_steps" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["ms_per_step"])')
ref_full=$(ref full "$ref_steps" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["ms_per_step"])')
printf 'reference head: %.0f ms/step (%s steps: %.0f s); full: %.0f ms/step; load %s\n' \
  "$ref_head" "$steps" "$(echo "$ref_head * $steps / 1000" | bc -l)" "$ref_full" "$(load)"
printf 'ratio head+jitter: %.1fx faster (target >= 11x)\n' \
  "$(echo "$ref_head * $steps / 1000 / $head_jitter" | bc -l)"
printf 'ratio full step time: %.2fx the reference (target <= 0.5x)\n' \
  "$(echo "$full_ms / $ref_full" | bc -l)"
