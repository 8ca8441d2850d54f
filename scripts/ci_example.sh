#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# An example CI pipeline with rcls (README, "rcls in scripts and CI"): new episodes arrive, the
# reward classifier is retrained, and the new checkpoint ships only when its held-out figures pass
# the quality gates (and, given a baseline, do not regress against it). Here the episodes come
# from the simulated arm, so the script runs anywhere; on a lab machine replace step 1 by the
# folder of new recordings.
#
# Usage: scripts/ci_example.sh WORK_DIR
# Environment: RCLS (build/bin/rcls), EPISODES (4), CONTROL_S (8), STEPS (20), SIZE (64),
#   GATES (the eval gate flags, default "--fail-under frame_level.accuracy=0.5"),
#   BASELINE (a checkpoint the new one must not be worse than: adds
#   "--fail-under delta.frame_level.accuracy=-0.02").
# Exit: 0 the new checkpoint passed (its path is the last line of stdout), 7 a gate failed,
#   anything else: the error code of the step that failed (README, "Exit codes").
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:?usage: scripts/ci_example.sh WORK_DIR}
rcls=${RCLS:-build/bin/rcls}
episodes=${EPISODES:-4}
steps=${STEPS:-20}
size=${SIZE:-64}
mkdir -p "$work"

# 1. Record: simulated episodes, unattended (stdin is not a terminal), summary as JSON on stdout.
rm -rf "$work/episodes"
"$rcls" -q record -c configs/sim_record_config.json --num_episodes "$episodes" \
  --control_time_s "${CONTROL_S:-8}" --reset_time_s 1 --dataset.root "$work/episodes" --json \
  > "$work/record.json"

# 2. Label from the recording's success key presses (meta/rcls_record_keys.json).
rm -rf "$work/labelled"
"$rcls" -q label "$work/episodes" --from-record --output "$work/labelled" --json > "$work/label.json"

# 3. Preprocess: centre crop, Lanczos to SIZE x SIZE.
rm -rf "$work/preprocessed"
"$rcls" -q preprocess "$work/labelled" --output "$work/preprocessed" --size "$size" --json \
  > "$work/preprocess.json"

# 4. Train briefly; the last episode is held out (kept in the checkpoint's rcls_train.json).
rm -rf "$work/run"
"$rcls" -q train --dataset.root "$work/preprocessed" --output_dir "$work/run" --steps "$steps" \
  --save_freq "$steps" --eval_freq "$steps" --pretrained_encoder false \
  --val_episodes "[$(( episodes - 1 ))]" --json > "$work/train.json"
checkpoint="$work/run/checkpoints/last/pretrained_model"

# 5. Evaluate on the held-out episode with the gates; rcls exits 7 when a gate fails and prints
#    one line per failed gate on stderr. `set -e` would stop here; keep the code to report it.
# shellcheck disable=SC2206  # GATES is a list of flags
gates=(${GATES:---fail-under frame_level.accuracy=0.5})
if [ -n "${BASELINE:-}" ]; then
  gates+=(--baseline "$BASELINE" --fail-under delta.frame_level.accuracy=-0.02)
fi
code=0
"$rcls" -q eval --checkpoint "$checkpoint" --dataset.root "$work/preprocessed" --json \
  "${gates[@]}" > "$work/eval.json" || code=$?
if [ "$code" -eq 7 ]; then
  echo "ci_example: a quality gate failed; not shipping $checkpoint" >&2
  exit 7
elif [ "$code" -ne 0 ]; then
  echo "ci_example: rcls eval failed (exit $code)" >&2
  exit "$code"
fi
echo "$checkpoint"
