#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# e2e: the whole workflow on the simulated arm, small (scripts/sim_workflow.sh with 3 episodes of
# 8 s, 10 training steps at 64 px), then checks every file it should write and the JSON summaries.
# Usage: sim_workflow_test.sh RCLS_BINARY WORK_DIR
set -euo pipefail
rcls=$1
work=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work"

EPISODES=3 CONTROL_S=8 RESET_S=1 STEPS=10 SAVE_FREQ=5 HELD_OUT=1 SIZE=64 RCLS="$rcls" \
  TRAIN_ARGS="--pretrained_encoder false --eval_freq 10 --log_freq 5 --num_threads 2" \
  "$source_dir/scripts/sim_workflow.sh" "$work" > "$work.stdout"

fail() { echo "e2e: $*" >&2; exit 1; }
must_exist() { for f in "$@"; do [ -s "$work/$f" ] || fail "missing or empty: $work/$f"; done; }

must_exist record.json label_keys.json label.json label_truth.json preprocess.json train.json eval.json \
  eval_truth.json eval_report.html sim_reach_grasp_64_truth/meta/info.json \
  sim_reach_grasp/meta/info.json sim_reach_grasp/meta/rcls_record_keys.json \
  sim_reach_grasp/rcls/sim_ground_truth.json sim_reach_grasp_labelled/meta/info.json \
  sim_reach_grasp_64/meta/info.json
run=train/sim_reward_classifier/checkpoints
for step in 000005 000010; do
  must_exist "$run/$step/pretrained_model/config.json" "$run/$step/pretrained_model/model.safetensors" \
    "$run/$step/pretrained_model/train_config.json" "$run/$step/pretrained_model/rcls_train.json" \
    "$run/$step/training_state/training_step.json" "$run/$step/training_state/optimizer_state.safetensors"
done
[ "$(readlink "$work/$run/last")" = 000010 ] || fail "checkpoints/last does not point to 000010"
must_exist train/sim_reward_classifier/metrics.jsonl

# The summaries say what happened: 3 episodes of 80 frames, the held-out episode evaluated.
/usr/bin/python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
rec = json.load(open(f"{w}/record.json"))
assert rec["episodes_saved"] == 3 and rec["frames"] == 240, rec
keys = json.load(open(f"{w}/sim_reach_grasp/meta/rcls_record_keys.json"))
assert sorted(keys["episodes"]) == ["0", "1", "2"], keys
for e in rec["episodes"]:
    key = keys["episodes"][str(e["episode_index"])]
    pressed = [f for f in (e["key_frame"], e["success_end_frame"]) if f is not None]
    assert key == pressed, (e, key)
# The labels trained on (the default, LABELS=keys) are the key presses, each counted 0.2 s (2
# frames at 10 fps) earlier: the operator's reaction (KEY_LATENCY).
label = json.load(open(f"{w}/label.json"))
assert label["total_frames"] == 240, label
for e in rec["episodes"]:
    got = next(x for x in label["episodes"] if x["episode_index"] == e["episode_index"])
    if e["key_frame"] is None:
        assert got["label"] == "never", (e, got)
        continue
    start = max(0, e["key_frame"] - 2)
    end = None if e["success_end_frame"] is None else e["success_end_frame"] - 2
    assert got["success_start"] == start and got["success_end"] == (e["frames"] - 1 if end is None else end), (e, got)
assert json.load(open(f"{w}/label_keys.json")) == label
# The ground-truth copy the model is also judged on holds the scene's spans.
truth = json.load(open(f"{w}/sim_reach_grasp/rcls/sim_ground_truth.json"))["episodes"]
expected = sum(0 if t["first_success_frame"] is None else
               (t["last_success_frame"] if t["last_success_frame"] is not None else t["num_frames"] - 1)
               - t["first_success_frame"] + 1 for t in truth)
label_truth = json.load(open(f"{w}/label_truth.json"))
assert label_truth["total_frames"] == 240 and label_truth["success_frames"] == expected, (label_truth, expected)
train = json.load(open(f"{w}/train.json"))
assert train["steps"] == 10 and train["val_episodes"] == [2] and train["train_episodes"] == [0, 1], train
ev = json.load(open(f"{w}/eval.json"))
assert ev["episodes_evaluated"] == [2] and ev["frames"] == 80, ev
assert ev["training_status"] == "held-out", ev
assert 0.0 <= ev["frame_level"]["accuracy"] <= 1.0
ev_truth = json.load(open(f"{w}/eval_truth.json"))
assert ev_truth["episodes_evaluated"] == [2] and ev_truth["frames"] == 80, ev_truth
assert ev_truth["dataset"].endswith("sim_reach_grasp_64_truth"), ev_truth["dataset"]
PY
grep -q "reference run (LeRobot)" "$work.stdout" || fail "the side-by-side table is missing"
grep -q "ground truth (cube held 2 cm up)" "$work.stdout" || fail "the key presses beside the ground truth are missing"
grep -q "the same model against the scene's ground truth" "$work.stdout" || fail "the ground-truth evaluation line is missing"
grep -q "<svg" "$work/eval_report.html" || fail "the report has no plot"
echo "e2e: sim workflow ok"
