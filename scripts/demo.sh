#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One command from a fresh Debian 12 machine to the main job running on simulated hardware:
# installs what is missing, builds rcls, sets up and teleoperates the simulated arms, then runs the
# reference workflow on the simulated scene (scripts/sim_workflow.sh: record, label, preprocess,
# train, eval, the reference's tables beside this run's). Everything it writes goes under
# ${RCLS_DEMO_DIR:-outputs/demo}.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh
scripts/build.sh -DRCLS_BUILD_TESTS=OFF -DRCLS_BUILD_BENCH=OFF
rcls=build/bin/rcls
demo=${RCLS_DEMO_DIR:-outputs/demo}
mkdir -p "$demo"

echo "== checking the shipped configs"
"$rcls" config check configs/reward_classifier_record_config.json \
                     configs/reward_classifier_train_config.json > "$demo/effective_configs.txt"
echo "   effective configs written to $demo/effective_configs.txt"

echo "== simulated SO-101 arms: leader and follower buses on pseudo-terminals"
export HF_LEROBOT_CALIBRATION="$demo/calibration"
sims=()
stop_sims() { for pid in "${sims[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_sims EXIT
for arm in leader follower; do
  rm -f "$demo/$arm.tty"
  "$rcls" -q arm sim --link "$demo/$arm.tty" --seed "$([ "$arm" = leader ] && echo 1 || echo 2)" \
    > "$demo/$arm.sim.txt" &
  sims+=($!)
done
for arm in leader follower; do
  for _ in $(seq 100); do [ -e "$demo/$arm.tty" ] && break; sleep 0.05; done
done
"$rcls" arm scan --port "$demo/follower.tty"

echo "== calibrating both arms (a simulated person sweeps the joints; --yes presses Enter)"
"$rcls" arm calibrate --port "$demo/leader.tty" --role leader --id demo_leader --force --yes \
  --range-seconds 6 2> "$demo/calibrate_leader.log"
"$rcls" arm calibrate --port "$demo/follower.tty" --role follower --id demo_follower --force --yes \
  --range-seconds 6 2> "$demo/calibrate_follower.log"
echo "   LeRobot calibration files under $HF_LEROBOT_CALIBRATION"

echo "== teleoperating the follower from the leader for 4 s at 60 fps"
"$rcls" arm teleop --leader-port "$demo/leader.tty" --follower-port "$demo/follower.tty" \
  --leader-id demo_leader --follower-id demo_follower --fps 60 --duration 4
stop_sims
trap - EXIT

echo "== the reference workflow on the simulated arm: record, label, preprocess, train, eval"
# Labels and training recipe: scripts/sim_workflow.sh's defaults (LABELS=review, RECIPE=scratch;
# README "The reference workflow" says why); RECIPE=lerobot runs LeRobot's `head` recipe instead.
RCLS="$rcls" scripts/sim_workflow.sh "$demo/workflow"

echo "demo: done"
