#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Peak RSS of `rcls train` on a 50,000-frame dataset (issue 14: at most 4 GiB, frames and cached
# features streamed from disk) and on the reference-size one (at most 2 GiB, in memory).
# The 50,000-frame dataset is the reference-size dataset of scripts/bench_train.sh (20 labelled
# episodes, 1932 frames, 128x128, from the real SO-101 wrist frames in ../shared/realdata)
# repeated in order to 50,040 frames (518 episodes, tests/tools/eval_bench_dataset repeat), built
# once under BENCH_DIR (about a minute). Cases (random initial weights, batch 32, 2 threads):
#   50k head + LeRobot colour jitter (--cache_variants 2), HEAD_STEPS steps (default 20): the pool's
#     variant 0 is computed for all 42,500 training frames before step 1 (3-7 ms CPU per frame on
#     2 cores: 2-5 minutes); 20 steps x 32 cover one variant, so the pool has one slot. With
#     HEAD_STEPS=1600 steps x batch covers a second variant: two slots, the second computed by
#     the background producer while steps train (about twice as long);
#   50k full, FULL_STEPS steps (default 20);
#   reference size, head + colour jitter (4 variants, REF_STEPS steps, default 600) and full
#     (FULL_STEPS): in memory under the default memory_budget_mb.
# The 50k runs hold out 15% of the episodes (val_fraction's default), validated at the end, so
# validation streams its frames too. Each line: wall, CPU user+sys, peak RSS (/usr/bin/time %M;
# the page cache holding the scratch files does not count) against the target, whether the run
# streamed, the load (uptime). The scratch folder (<run>/.scratch: 128x128x3 bytes per frame,
# 2.4 GB at 50k, plus 16 KiB per training frame and pool slot in head mode, 0.7 GB a slot) is removed
# by rcls at the end of each run.
#   scripts/bench_train_memory.sh
#   (BUILD=build, BENCH_DIR=/tmp/rcls_bench_train, REALDATA=../shared/realdata, THREADS=2,
#    HEAD_STEPS=20, FULL_STEPS=20, REF_STEPS=600, FRAMES=50000)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
build=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/rcls_bench_train}
head_steps=${HEAD_STEPS:-20}
full_steps=${FULL_STEPS:-20}
ref_steps=${REF_STEPS:-600}
frames=${FRAMES:-50000}
python=/usr/bin/python3
rcls=$build/bin/rcls
tool=$build/tests/eval_bench_dataset
[ -x /usr/bin/time ] || { echo "bench_train_memory: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

cmake --build "$build" -j2 --target rcls rcls_torch eval_bench_dataset >/dev/null
# shellcheck source=scripts/bench_dataset.sh
source scripts/bench_dataset.sh
reference_dataset bench_train_memory "$build" "$dir"
big=$dir/ds128_x$frames
if [ ! -f "$big/meta/info.json" ]; then
  rm -rf "$big"
  echo "bench_train_memory: building $big (once)"
  "$tool" repeat "$dir/ds128" "$big" "$frames"
fi

load() { uptime | sed 's/.*load average: //'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
common=(--pretrained_encoder false --num_threads "$threads" --batch_size 32 --save_checkpoint false -q)

# run ID LABEL TARGET_MIB DATASET STEPS FLAGS...: one line with wall, CPU, peak RSS, streamed,
# load.
peak_fail=0
run() {
  local name=$1 label=$2 target=$3 ds=$4 n=$5; shift 5
  rm -rf "$dir/mem_$name"
  /usr/bin/time -f '%e %U %S %M' -o "$dir/mem_$name.time" \
    "$rcls" train "${common[@]}" --dataset.root "$ds" --steps "$n" --log_freq "$n" \
    --output_dir "$dir/mem_$name" --json "$@" >"$dir/mem_$name.json"
  read -r wall user sys rss_kib <"$dir/mem_$name.time"
  local rss_mib streamed frames_n
  rss_mib=$(calc %.0f "$rss_kib / 1024")
  streamed=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["streamed"])' "$dir/mem_$name.json")
  frames_n=$("$python" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["train_frames"] + j["val_frames"])' "$dir/mem_$name.json")
  local verdict="met"
  [ "$rss_mib" -le "$target" ] || { verdict="NOT met"; peak_fail=1; }
  printf '%-34s %6s frames  %5s steps  wall %7.1f s  CPU %7.1f s  peak RSS %5s MiB (target <= %s: %s)  streamed %-5s  load %s\n' \
    "$label" "$frames_n" "$n" "$wall" "$(calc %.1f "$user + $sys")" "$rss_mib" "$target" "$verdict" "$streamed" "$(load)"
  [ ! -e "$dir/mem_$name/.scratch" ] || { echo "bench_train_memory: $dir/mem_$name/.scratch was left behind" >&2; exit 1; }
  rm -rf "$dir/mem_$name"
}

echo "bench_train_memory: $threads threads; load before: $(load)"
run ref_head "reference head + colour jitter" 2048 "$dir/ds128" "$ref_steps" --train_mode head --val_fraction 0
run ref_full "reference full" 2048 "$dir/ds128" "$full_steps" --train_mode full --val_fraction 0
run big_head "50k head + colour jitter" 4096 "$big" "$head_steps" --train_mode head --cache_variants 2
run big_full "50k full" 4096 "$big" "$full_steps" --train_mode full
exit "$peak_fail"
