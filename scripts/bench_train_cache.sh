#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Cached against uncached training (issue 14): LeRobot's `head` recipe with colour jitter trained
# twice per seed on the same split: once on the feature pool (`--feature_cache true`, the default:
# the frozen part's outputs of cache_variants augmented variants per frame) and once uncached
# (`--feature_cache false`: every step augments its batch and runs the encoder). The data: the
# simulated reach-and-grasp scene, 20 episodes of 15 s at 10 fps (3000 frames), labelled from the
# scene's ground truth, preprocessed to 128x128 (recorded once under BENCH_DIR); episodes 16-19
# are held out. Prints each run's held-out accuracy and median |onset error| and wall time, the
# mean accuracy per mode and their difference (target: within 0.5 points).
# Random initial weights (no pretrained ResNet10 on this machine), or with INIT_FROM the weights of
# a checkpoint (--reward_model.pretrained_path: an encoder trained elsewhere), 2 threads.
#   scripts/bench_train_cache.sh [SEEDS] [STEPS]    (default "1000 1001 1002", 3000)
#   (BUILD=build, BENCH_DIR=/tmp/rcls_bench_train_cache, INIT_FROM=<pretrained_model folder>)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1000 1001 1002}
steps=${2:-3000}
build=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/rcls_bench_train_cache}
python=/usr/bin/python3
rcls=$build/bin/rcls
cmake --build "$build" -j2 --target rcls >/dev/null
mkdir -p "$dir"
data=$dir/sim128
if [ ! -f "$data/meta/info.json" ]; then
  rm -rf "$dir/sim_raw" "$dir/sim_labelled" "$data"
  "$rcls" -q record -c configs/sim_record_config.json --num_episodes 20 --control_time_s 15 \
    --reset_time_s 5 --dataset.root "$dir/sim_raw" --sim_speed 0 --no-audio >/dev/null
  "$rcls" -q label "$dir/sim_raw" --from-sim --output "$dir/sim_labelled" >/dev/null
  "$rcls" -q preprocess "$dir/sim_labelled" --output "$data" --size 128 >/dev/null
fi
init=(--pretrained_encoder false)
[ -z "${INIT_FROM:-}" ] || init=(--reward_model.pretrained_path "$INIT_FROM")
echo "bench_train_cache: initial weights: ${INIT_FROM:-random}"
echo "bench_train_cache: head + colour jitter, $steps steps, seeds $seeds, held out [16,17,18,19]; load $(cut -d' ' -f1-3 /proc/loadavg)"
results=$dir/cache_equivalence${INIT_FROM:+_init}.jsonl
: >"$results"
for seed in $seeds; do
  for cache in true false; do
    run=$dir/cache_${cache}_$seed${INIT_FROM:+_init}
    rm -rf "$run"
    start=$(date +%s.%N)
    "$rcls" train --dataset.root "$data" "${init[@]}" --num_threads 2 \
      --train_mode head --steps "$steps" --log_freq "$steps" --eval_freq "$steps" \
      --save_checkpoint false --val_episodes '[16,17,18,19]' --seed "$seed" \
      --feature_cache "$cache" --output_dir "$run" --json -q >"$run.json"
    wall=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
    "$python" - "$run.json" "$seed" "$cache" "$wall" "$results" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
v = summary["validation"]
row = {"seed": int(sys.argv[2]), "feature_cache": sys.argv[3] == "true", "wall_s": float(sys.argv[4]),
       "accuracy": v["val_accuracy"], "median_onset_error": v.get("val_median_onset_error")}
open(sys.argv[5], "a").write(json.dumps(row) + "\n")
print("  seed %d  %-8s  held-out accuracy %6.2f%%  median |onset error| %s frames  wall %.1f s" % (
    row["seed"], "cached" if row["feature_cache"] else "uncached", row["accuracy"],
    row["median_onset_error"], row["wall_s"]))
PY
  done
done
"$python" - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mean = {c: statistics.mean(r["accuracy"] for r in rows if r["feature_cache"] == c) for c in (True, False)}
print("mean held-out accuracy: cached %.2f%%, uncached %.2f%%, difference %+.2f points (target: within 0.5)" % (
    mean[True], mean[False], mean[True] - mean[False]))
PY
