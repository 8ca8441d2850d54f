#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The recording loop's timing: `rcls record` on the simulated scene at real time (--sim_speed 1:
# the loop sleeps on the wall clock as with real arms), one 640x480 camera rendered on its own
# thread at its fps (as a real camera delivers; the control step takes the newest frame), AV1
# encoding (libsvtav1, LeRobot's settings) in the writer's encoder thread. Prints the loop period
# p50/p99/max, late steps (each one's step index and what preceded it, from the log), the load
# average and the CPU the process used. Targets (issue 12): p99 period jitter under 5 ms, zero
# late steps, on 2 cores.
# With "classifier", the live reward classifier (a random checkpoint of the tests' fixture, same
# cost as a trained one) scores every frame on its own worker thread as well.
#   scripts/bench_record.sh [SECONDS] [FPS] [classifier]
#   (BUILD=build, BENCH_DIR=/tmp/rcls_bench_record)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
fps=${2:-30}
classifier=${3:-}
build=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/rcls_bench_record}
rcls=$build/bin/rcls

cmake --build "$build" -j2 --target rcls >/dev/null
rm -rf "$dir"
mkdir -p "$dir"
extra=()
if [ "$classifier" = classifier ]; then
  cmake --build "$build" -j2 --target eval_bench_dataset >/dev/null
  "$build/tests/eval_bench_dataset" checkpoint "$dir/ck" >/dev/null
  extra=(--reward_classifier_pretrained_path "$dir/ck")
fi
camera='{"front": {"type": "sim", "width": 640, "height": 480, "fps": '"$fps"', "warmup_s": 0.0}}'
/usr/bin/time -v -o "$dir/time.txt" "$rcls" -q record -c configs/sim_record_config.json \
  --fps "$fps" --num_episodes 1 --control_time_s "$seconds" --reset_time_s 0 \
  --robot.cameras "$camera" --dataset.vcodec libsvtav1 --dataset.root "$dir/ds" \
  --sim_speed 1 --json "${extra[@]}" >"$dir/summary.json" 2>"$dir/record.log"

user=$(awk -F': ' '/User time/ {print $2}' "$dir/time.txt")
sys=$(awk -F': ' '/System time/ {print $2}' "$dir/time.txt")
wall=$(python3 -c "import json; print(json.load(open('$dir/summary.json'))['wall_s'])")
python3 - "$dir/summary.json" "$user" "$sys" "$wall" "$fps" "$seconds" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
user, system, wall = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
fps, seconds = sys.argv[5], sys.argv[6]
e = summary["episodes"][0]
t = e["timing"]
period = 1000.0 / float(fps)
scored = e.get("classifier", {}).get("scored", 0)
print(f"record bench: {fps} fps for {seconds} s, sim scene 640x480, AV1 (libsvtav1)"
      + (f", live classifier scored {scored} of {e['frames']} frames" if "classifier" in e else ""))
print(f"  frames {e['frames']}, late steps {t['late_steps']}, "
      f"stale camera frames {e['faults']['stale_camera_frames']}")
print(f"  period p50 {t['period_p50_ms']:.2f} ms, p99 {t['period_p99_ms']:.2f} ms, "
      f"max {t['period_max_ms']:.2f} ms (target {period:.2f} ms); "
      f"p99 jitter {t['period_p99_ms'] - period:.2f} ms; step work p99 {t['work_p99_ms']:.2f} ms")
print(f"  CPU: user {user:.1f} s + sys {system:.1f} s over {wall:.1f} s wall = "
      f"{100 * (user + system) / wall:.0f}% of one core (recording, encoding and saving)")
EOF
echo "  max RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$dir/time.txt") kB;" \
  "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "late \(the step before" "$dir/record.log" | sed 's/^/  /' || true
