#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Times `rcls train` against LeRobot's loop in PyTorch (tests/reference/lerobot_train_reference.py,
# Debian's python3-torch) in the same run, on the reference-size dataset: 20 labelled episodes,
# 1932 frames (tests/tools/eval_bench_dataset.cpp, from the real SO-101 wrist camera frames in
# ../shared/realdata), preprocessed to 128x128, batch 32, 2 threads, random initial weights. One
# line per case (wall and wall per step, decode included; rcls's mean step time, which includes
# waiting for the feature pool; CPU time user+sys; peak RSS) and the ratios the issue sets targets for:
#   head + colour jitter, STEPS steps: wall (decode included), target <= 60 s (>= 11x the reference)
#   head without augmentation, STEPS steps: wall (decode included), target <= 15 s
#   full: ms/step (rcls's own step timing, averaged) against the reference's, target <= 0.5x
#   peak RSS of every rcls run, target <= 2 GiB
# The reference is timed over REF_STEPS steps (after 3 warm-up steps) on random frames of the same
# size (--synthetic; its per-step cost does not depend on the pixels) and extrapolated to STEPS.
# Fewer steps keep the run short: `scripts/bench_train.sh 600 10 10` takes about 2 minutes.
# The machine's load (uptime) is printed with every number: on a shared machine wall times are
# noisy; CPU time (user+sys) is disturbed much less.
#   scripts/bench_train.sh [STEPS] [REF_STEPS] [FULL_STEPS]
#   (BUILD=build, BENCH_DIR=/tmp/rcls_bench_train, REALDATA=../shared/realdata, THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-3000}
ref_steps=${2:-30}
full_steps=${3:-30}
threads=${THREADS:-2}
build=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/rcls_bench_train}
python=/usr/bin/python3
rcls=$build/bin/rcls
for need in /usr/bin/time "$python"; do
  [ -x "$need" ] || { echo "bench_train: $need is missing (apt-get install time python3-torch)" >&2; exit 2; }
done

cmake --build "$build" -j2 --target rcls eval_bench_dataset >/dev/null
# shellcheck source=scripts/bench_dataset.sh
source scripts/bench_dataset.sh
reference_dataset bench_train "$build" "$dir"
ds=$dir/ds128

load() { uptime | sed 's/.*load average: //'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
json() { "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
common=(--dataset.root "$ds" --pretrained_encoder false --num_threads "$threads" --batch_size 32
        --val_fraction 0 --save_checkpoint false -q)

# run_rcls NAME STEPS FLAGS...: sets wall, cpu, rss_mib, ms (rcls's mean step time) for the run.
run_rcls() {
  local name=$1 n=$2; shift 2
  rm -rf "$dir/run_$name"
  /usr/bin/time -f '%e %U %S %M' -o "$dir/$name.time" \
    "$rcls" train "${common[@]}" --steps "$n" --log_freq "$n" --output_dir "$dir/run_$name" \
    --json "$@" >"$dir/$name.json"
  read -r wall user sys rss_kib <"$dir/$name.time"
  cpu=$(calc %.1f "$user + $sys")
  rss_mib=$(calc %.0f "$rss_kib / 1024")
  ms=$("$python" -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1]) if "update_s" in x][-1]; print(round(1000*(l["update_s"]+l["data_s"]),1))' \
    "$dir/run_$name/metrics.jsonl")
  decode=$(json "$dir/$name.json" '["decode_s"]')
}

# run_ref MODE JITTER: sets ref_ms, ref_cpu_ms (CPU per step incl. start-up), ref_rss_mib.
run_ref() {
  /usr/bin/time -f '%e %U %S %M' -o "$dir/ref.time" \
    "$python" tests/reference/lerobot_train_reference.py --synthetic 1932 --size 128 --mode "$1" \
    --steps "$ref_steps" --batch 32 --threads "$threads" --jitter "$2" >"$dir/ref.json"
  read -r _ user sys rss_kib <"$dir/ref.time"
  ref_ms=$(json "$dir/ref.json" '["ms_per_step"]')
  ref_cpu_ms=$(calc %.0f "1000 * ($user + $sys) / $ref_steps")
  ref_rss_mib=$(calc %.0f "$rss_kib / 1024")
}

echo "bench_train: $steps steps (full: $full_steps, reference: $ref_steps per case), $threads threads, $ds"
echo "load before: $(load)"
peak=0
report() {  # label target
  printf '%-30s wall %6.1f s = %6.1f ms/step (decode %.1f s; mean step %.1f ms)  CPU %6.1f s = %.1f ms/step  peak RSS %5s MiB  %s; load %s\n' \
    "$1" "$wall" "$(calc %.2f "1000 * $wall / $n_steps")" "$decode" "$ms" "$cpu" "$(calc %.2f "1000 * $cpu / $n_steps")" "$rss_mib" "$2" "$(load)"
  [ "$rss_mib" -gt "$peak" ] && peak=$rss_mib
  return 0
}
n_steps=$steps
run_rcls head_jitter "$steps" --train_mode head
hj_wall=$wall; report "rcls head + colour jitter" "(target: wall <= 60 s)"
run_rcls head_plain "$steps" --train_mode head --dataset.image_transforms.enable false
hp_wall=$wall; report "rcls head, no augmentation" "(target: wall <= 15 s)"
n_steps=$full_steps
run_rcls full "$full_steps" --train_mode full
full_ms=$ms; report "rcls full" "(compared: the mean step time)"

run_ref head on
ref_hj=$ref_ms
printf '%-34s %7.1f ms/step  (%s steps: %.0f s)  CPU %s ms/step incl. start-up  peak RSS %s MiB; load %s\n' \
  "reference head + colour jitter" "$ref_ms" "$steps" "$(calc %.1f "$ref_ms * $steps / 1000")" "$ref_cpu_ms" "$ref_rss_mib" "$(load)"
run_ref head off
ref_hp=$ref_ms
printf '%-34s %7.1f ms/step  (%s steps: %.0f s)  CPU %s ms/step incl. start-up  peak RSS %s MiB; load %s\n' \
  "reference head, no augmentation" "$ref_ms" "$steps" "$(calc %.1f "$ref_ms * $steps / 1000")" "$ref_cpu_ms" "$ref_rss_mib" "$(load)"
run_ref full on
ref_full=$ref_ms
printf '%-34s %7.1f ms/step  CPU %s ms/step incl. start-up  peak RSS %s MiB; load %s\n' \
  "reference full + colour jitter" "$ref_ms" "$ref_cpu_ms" "$ref_rss_mib" "$(load)"

echo "ratio head + jitter:   $(calc %.1f "$ref_hj * $steps / 1000 / $hj_wall")x faster than the reference (target >= 11x; wall $hj_wall s, target <= 60 s)"
echo "ratio head, no aug.:   $(calc %.1f "$ref_hp * $steps / 1000 / $hp_wall")x faster than the reference (wall $hp_wall s, target <= 15 s)"
echo "ratio full step time:  $(calc %.2f "$full_ms / $ref_full")x the reference's (target <= 0.5x)"
echo "peak RSS (rcls, max):  $peak MiB (target <= 2048 MiB)"
