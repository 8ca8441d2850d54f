#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The reference workflow on the simulated SO-101, with an rcls that is already built: record, label
# (the recording's key presses, printed beside the scene's ground truth), preprocess to 128x128,
# train, evaluate on held-out episodes with the HTML report (against the key-press labels, and the
# same model against the scene's ground truth), and the reference's tables beside this run's.
# scripts/demo.sh runs it at the reference's size after installing and building; the e2e test runs
# it small. Every output goes under OUT.
#
# Usage: scripts/sim_workflow.sh OUT
# Sizes (environment): EPISODES (20), CONTROL_S (15), RESET_S (5), HELD_OUT (4: the last episodes,
#   never trained on), SIZE (128: the preprocessed copy), RCLS (build/bin/rcls), SIM_SPEED (0: as
#   fast as the CPU allows), APPEARANCE (the config's "session": one look for the whole recording;
#   per_episode: a new random look per episode, for robustness tests), SIM_SEED (1: the scenes'
#   seed, rcls record --sim_seed).
# Labels: LABELS (keys: the simulated operator's success key presses, each counted KEY_LATENCY
#   seconds earlier, 0.2 by default: the operator's reaction, `rcls label --key-latency`; review:
#   each episode's success span as a careful labeller marks it looking at the frames, which in the
#   simulation is the scene's ground truth).
# Training: RECIPE (scratch: the from-scratch recipe, `full` at 64 px with geometric augmentation,
#   lr 1e-3, weight decay 0.05, cosine, 1000 steps; lerobot: LeRobot's `--train_mode head`, 128 px,
#   3000 steps, lr 1e-4, colour jitter), STEPS (1000 or 3000 by RECIPE), SAVE_FREQ (1000),
#   TRAIN_ARGS (replaces the recipe's `rcls train` flags).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:?usage: scripts/sim_workflow.sh OUT}
rcls=${RCLS:-build/bin/rcls}
episodes=${EPISODES:-20}
control_s=${CONTROL_S:-15}
reset_s=${RESET_S:-5}
recipe=${RECIPE:-scratch}
labels=${LABELS:-keys}
key_latency=${KEY_LATENCY:-0.2}
case "$recipe" in
  scratch)
    default_steps=1000
    recipe_args="--train_mode full --reward_model.image_size 64 --augment.enable true --dataset.image_transforms.enable false --reward_model.learning_rate 1e-3 --reward_model.weight_decay 0.05 --lr_scheduler cosine --warmup_steps 60 --pretrained_encoder false --num_threads 2"
    recipe_text="from-scratch recipe: train_mode full, 64x64 input, geometric + colour augmentation, lr 1e-3, weight decay 0.05, cosine with 60 warm-up steps, batch 32, random initial weights"
    ;;
  lerobot)
    default_steps=3000
    recipe_args="--train_mode head"
    hub=${HF_HOME:-$HOME/.cache/huggingface}/hub
    if [ ! -d "$hub/models--helper2424--resnet10" ] && [ ! -d "$hub/models--lerobot--resnet10" ]; then
      recipe_args="$recipe_args --pretrained_encoder false"
      recipe_note="no pretrained ResNet10 in $hub: the encoder starts from random weights (--pretrained_encoder false)"
    fi
    recipe_text="LeRobot's recipe: train_mode head, 128x128 input, batch 32, lr 1e-4, dropout 0.2, weight decay 0.01, colour jitter"
    ;;
  *) echo "sim_workflow: RECIPE must be scratch or lerobot, not \"$recipe\"" >&2; exit 2 ;;
esac
case "$labels" in
  review | keys) ;;
  *) echo "sim_workflow: LABELS must be review or keys, not \"$labels\"" >&2; exit 2 ;;
esac
steps=${STEPS:-$default_steps}
train_args=${TRAIN_ARGS:-$recipe_args}
[ -z "${TRAIN_ARGS:-}" ] || recipe_text="configs/reward_classifier_train_config.json with TRAIN_ARGS instead of the $recipe recipe's flags"
save_freq=${SAVE_FREQ:-1000}
held_out=${HELD_OUT:-4}
size=${SIZE:-128}
sim_speed=${SIM_SPEED:-0}
sim_seed=${SIM_SEED:-1}
python=/usr/bin/python3  # Debian's, installed with python3-torch; only its standard library is used
[ -x "$python" ] || python=python3

rm -rf "$out"
mkdir -p "$out"
times=()
step_start() { t0=$(date +%s.%N); echo; echo "== $1"; }
step_end() { times+=("$1=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }')"); }

raw="$out/sim_reach_grasp"
labelled="$out/sim_reach_grasp_labelled"
small="$out/sim_reach_grasp_${size}"
run="$out/train/sim_reward_classifier"

step_start "1. record: $episodes episodes of reach-and-grasp on the simulated SO-101 (${control_s} s each, ${reset_s} s resets, 10 fps, 640x480)"
if [ "$sim_speed" = 0 ]; then
  echo "   simulated time runs as fast as this CPU allows (--sim_speed 0), not in real time; the cues are logged, not spoken"
fi
record_config=configs/sim_record_config.json
if [ -n "${APPEARANCE:-}" ]; then
  record_config="$out/sim_record_config.json"
  "$python" - configs/sim_record_config.json "$record_config" "$APPEARANCE" <<'EOF'
import json, sys
config = json.load(open(sys.argv[1]))
for camera in config["robot"]["cameras"].values():
    if camera.get("type") == "sim":
        camera["appearance"] = sys.argv[3]
json.dump(config, open(sys.argv[2], "w"), indent=4)
EOF
  echo "   scene appearance: $APPEARANCE ($record_config)"
fi
"$rcls" record -c "$record_config" --num_episodes "$episodes" \
  --control_time_s "$control_s" --reset_time_s "$reset_s" --dataset.root "$raw" \
  --sim_speed "$sim_speed" --sim_seed "$sim_seed" --no-audio --json > "$out/record.json" 2> "$out/record.log"
grep -E "Recording episode 0|Resetting\.|Reset done\." "$out/record.log" | head -3 | sed 's/^/   log: /'
step_end record

if [ "$labels" = keys ]; then
  step_start "2. label: the scripted operator's success key presses (meta/rcls_record_keys.json), each counted ${key_latency} s earlier (the operator's reaction)"
else
  step_start "2. label: the scripted operator's key presses, then reviewed (LABELS=review: the scene's ground truth)"
fi
"$rcls" label "$raw" --from-record --key-latency "$key_latency" --output "$labelled" --json \
  > "$out/label_keys.json" 2> "$out/label.log"
cp "$out/label_keys.json" "$out/label.json"
if [ "$labels" = review ]; then
  # A careful labeller looks at the frames and marks the first frame with the cube held up (and,
  # when it slips, the last); in the simulation that is the scene's ground truth.
  "$rcls" label "$labelled" --from-sim --json > "$out/label.json" 2>> "$out/label.log"
fi
"$python" - "$out/record.json" "$raw/rcls/sim_ground_truth.json" "$out/label.json" <<'EOF'
import json, sys
rec = json.load(open(sys.argv[1]))
truth = {e["episode_index"]: e for e in json.load(open(sys.argv[2]))["episodes"]}
used_labels = {e["episode_index"]: e["label"] for e in json.load(open(sys.argv[3]))["episodes"]}
print("   episode  key presses  ground truth (cube held 2 cm up)  outcome  label used")
for e in rec["episodes"]:
    i = e["episode_index"]
    key, key_end = e.get("key_frame"), e.get("success_end_frame")
    t = truth.get(i, {})
    first, last = t.get("first_success_frame"), t.get("last_success_frame")
    shown = "never" if first is None else (f"{first}-{last}" if last is not None else str(first))
    pressed = "never" if key is None else (f"{key}-{key_end}" if key_end is not None else str(key))
    diff = "" if key is None or first is None else f"key {key - first:+d}"
    if key_end is not None and last is not None:
        diff += f", end {key_end - last:+d}"
    used = used_labels.get(i, "-")
    print(f"   {i:7d}  {pressed:>10s}  {shown:>32s}  {t.get('outcome', ''):7s}  {used:>10s}  {diff}")
EOF
step_end label

step_start "3. preprocess: centre crop 640x480 to 480x480, Lanczos to ${size}x${size}"
"$rcls" preprocess "$labelled" --output "$small" --size "$size" --json > "$out/preprocess.json" \
  2> "$out/preprocess.log"
step_end preprocess

first_val=$(( episodes - held_out ))
val_episodes=$(seq -s, "$first_val" $(( episodes - 1 )))
step_start "4. train: $steps steps, $recipe_text; episodes $val_episodes held out"
[ -z "${TRAIN_ARGS:-}" ] || echo "   TRAIN_ARGS: $TRAIN_ARGS"
[ -n "${TRAIN_ARGS:-}" ] || [ -z "${recipe_note:-}" ] || echo "   $recipe_note"
# shellcheck disable=SC2086  # a list of flags
"$rcls" train -c configs/reward_classifier_train_config.json --dataset.root "$small" \
  --output_dir "$run" --steps "$steps" --save_freq "$save_freq" --val_episodes "[$val_episodes]" \
  $train_args --json > "$out/train.json" 2> "$out/train.log"
grep -E "step:" "$out/train.log" | tail -2 | sed 's/^/   log: /' || true
step_end train

checkpoint="$run/checkpoints/$(printf %06d "$steps")/pretrained_model"
step_start "5. eval: held-out episodes $val_episodes, with the HTML report"
"$rcls" eval --checkpoint "$checkpoint" --dataset.root "$small" --json \
  --report "$out/eval_report.html" > "$out/eval.json" 2> "$out/eval.log"
if [ "$labels" = keys ]; then
  # The same model judged against what the scene knows happened: the ground truth, on a copy of
  # the preprocessed dataset (same episodes and frame numbers) labelled from it.
  truth="${small}_truth"
  mkdir -p "$small/rcls"
  cp "$raw/rcls/sim_ground_truth.json" "$small/rcls/"
  "$rcls" label "$small" --from-sim --output "$truth" --json > "$out/label_truth.json" 2>> "$out/label.log"
  "$rcls" eval --checkpoint "$checkpoint" --dataset.root "$truth" --episodes "$val_episodes" --json \
    > "$out/eval_truth.json" 2>> "$out/eval.log"
fi
step_end eval

echo
"$python" - "$out" "$checkpoint" "$size" "${times[@]}" <<'EOF'
import json, os, sys
out, checkpoint, size, times = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rec = json.load(open(os.path.join(out, "record.json")))
label = json.load(open(os.path.join(out, "label.json")))
train = json.load(open(os.path.join(out, "train.json")))
ev = json.load(open(os.path.join(out, "eval.json")))

def get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d

frames = rec["frames"]
success = get(label, "success_frames", default=rec.get("success_frames"))
rows = [
    ("episodes", 20, rec["episodes_saved"]),
    ("frames", 1932, frames),
    ("success frames", 869, success),
    ("failure frames", 1063, None if success is None else frames - success),
    ("fps", 10, 10),
    ("camera", "640x480", "640x480"),
    ("model input", "128x128", None),
    ("steps", 3000, get(train, "steps")),
    ("epochs", "%.1f" % (3000 * 32 / 1932),
     None if not train.get("train_frames") else "%.1f" % (train["steps"] * 32 / train["train_frames"])),
    ("final training loss", "-", get(train, "final_loss")),
    ("accuracy", "98.86% (its training frames)", None),
]
acc = get(ev, "frame_level", "accuracy")
if acc is not None:
    rows[-1] = (rows[-1][0], rows[-1][1], "%.2f%% (held-out episodes)" % (100 * acc))
try:
    features = json.load(open(os.path.join(checkpoint, "config.json")))["input_features"]
    shape = next(iter(features.values()))["shape"]
    rows[6] = (rows[6][0], rows[6][1], "%sx%s (from the %sx%s copy)" % (shape[1], shape[2], size, size))
except (OSError, KeyError, StopIteration, ValueError):
    rows[6] = (rows[6][0], rows[6][1], "%sx%s" % (size, size))
print("                       reference run (LeRobot)          this run (rcls, simulated arm)")
for name, ref, ours in rows:
    ours = "-" if ours is None else (("%.4f" % ours) if isinstance(ours, float) else str(ours))
    print("   %-20s %-32s %s" % (name, ref, ours))
rec_ = get(ev, "recommendation", default={}) or {}
print()
if rec_.get("found"):
    print("   held-out episodes %s: frame accuracy %.2f%% at threshold %s; recommended threshold %s with k %s:"
          " no false positive before success, median onset error %s frames, episode recall %s" % (
              get(ev, "episodes_evaluated"), 100 * acc, get(ev, "threshold"), rec_["threshold"], rec_["k"],
              rec_.get("median_onset_error_frames"), rec_.get("episode_recall")))
else:
    print("   held-out episodes %s: frame accuracy %.2f%%; no safe threshold: %s" % (
        get(ev, "episodes_evaluated"), 100 * acc, rec_.get("reason")))
print("   " + str(rec_.get("sentence", "")))
truth_path = os.path.join(out, "eval_truth.json")
if os.path.exists(truth_path):
    # The model trained on key presses, judged against the scene's ground truth.
    tr = json.load(open(truth_path))
    line = "   the same model against the scene's ground truth: frame accuracy %.2f%% at threshold %s" % (
        100 * get(tr, "frame_level", "accuracy"), get(tr, "threshold"))
    cell = next((g for g in tr.get("grid", []) if rec_.get("found") and
                 abs(g["threshold"] - rec_["threshold"]) < 1e-9 and g["k"] == rec_["k"]), None)
    if cell:
        line += ("; at threshold %s with k %s: %d false-positive frames before success, median onset error %s "
                 "frames, %d of %d success episodes detected" % (
                     cell["threshold"], cell["k"], cell["false_positive_frames_before_onset"],
                     cell["median_onset_error_frames"], cell["detected_success_episodes"], cell["success_episodes"]))
    print(line)
print()
print("   step times: " + ", ".join("%s %.1f s" % (t.split("=")[0], float(t.split("=")[1])) for t in times))
print()
print("   outputs:")
for name, path in [("recording", "sim_reach_grasp"), ("labelled", "sim_reach_grasp_labelled"),
                   ("preprocessed", "sim_reach_grasp_%s" % size), ("eval report", "eval_report.html")]:
    print("     %-13s %s" % (name, os.path.join(out, path)))
print("     %-13s %s" % ("checkpoint", checkpoint))
if os.path.exists(truth_path):
    print("     %-13s %s" % ("ground truth", os.path.join(out, "sim_reach_grasp_%s_truth" % size)))
EOF
