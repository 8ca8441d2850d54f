#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One command from a fresh Debian 12 machine to the main job running on simulated hardware:
# installs what is missing, builds rcls, and runs the longest part of the workflow that exists,
# on data it makes itself. Everything it writes goes under ${RCLS_DEMO_DIR:-outputs/demo}.
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

echo "== making 4 clips of a synthetic scene (ffmpeg's testsrc2, 640x480, 10 fps, 97 frames each)"
rm -rf "$demo/clips" "$demo/preprocessed"
mkdir -p "$demo/clips"
for i in 0 1 2 3; do
  ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi \
    -i "testsrc2=size=640x480:rate=10,trim=start_frame=$((i * 30))" -frames:v 97 \
    -c:v libx264 -pix_fmt yuv420p "$demo/clips/clip_$i.mp4"
done

echo "== rcls preprocess: centre crop to 480x480, Lanczos to 128x128, H.264 videos and PNG frames"
"$rcls" preprocess "$demo/clips" --output "$demo/preprocessed" --frames
echo "== the same command again: finished outputs are recognised and skipped"
"$rcls" preprocess "$demo/clips" --output "$demo/preprocessed" --frames
echo "   outputs in $demo/preprocessed:"
for clip in "$demo"/preprocessed/clip_*.mp4; do
  name=$(basename "$clip" .mp4)
  echo "   $(basename "$clip") ($(stat -c %s "$clip") bytes), $name/ with $(ls "$demo/preprocessed/$name" | wc -l) PNG frames"
done
echo "   manifest: $demo/preprocessed/rcls_preprocess.json"

realdata=${RCLS_REALDATA:-../shared/realdata}
lingzu="$realdata/lingzu_hand_press_button_open50"
if [ -d "$lingzu" ]; then
  echo "== rcls dataset info: a real LeRobot v3.0 dataset with holes, videos under video/, codec mislabelled"
  "$rcls" dataset info "$lingzu" | head -9
  echo "== rcls preprocess on it: a new v3.0 dataset, 128x128 cameras, missing episodes left out"
  rm -rf "$demo/lingzu_128"
  "$rcls" preprocess "$lingzu" --output "$demo/lingzu_128" --skip-missing --frames
  "$rcls" dataset info "$demo/lingzu_128" --check | head -9
fi

echo "demo: done"
