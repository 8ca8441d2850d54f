#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# rcls preprocess vs the reference ffmpeg command, timed in the same run (README, "Benchmarks").
#
# Input: 20 H.264 clips of 97 frames at 640x480, 10 fps (1940 frames, the size of the reference
# dataset), cut from the real SO-101 wrist-camera recording in ../shared/realdata when it is there,
# else from ffmpeg's testsrc2 pattern. Each repetition times
#   rcls:    rcls preprocess CLIPS --output OUT            (centre crop, Lanczos 128x128, H.264)
#   ffmpeg:  for c in CLIPS/*.mp4; do ffmpeg -i $c -vf "crop=480:480:80:0,scale=128:128:flags=lanczos" OUT/$c; done
# in alternating order, and prints the medians and their ratio (goal: rcls <= 0.5x the loop). rcls
# runs twice per repetition: with its defaults, whose H.264 settings are the reference command's
# (x264 preset medium, crf 23), and with `--preset veryfast --crf 19` (about the same PSNR at
# 128x128, larger files, a quarter of the encoding time).
#
# Usage: scripts/bench_preprocess.sh [repetitions]   (default 5; RCLS_BENCH_DIR sets the work folder)
set -euo pipefail
cd "$(dirname "$0")/.."

repetitions=${1:-5}
work=${RCLS_BENCH_DIR:-build/bench_preprocess}
rcls=${RCLS_BINARY:-build/bin/rcls}
clips=$work/clips
command -v ffmpeg >/dev/null || { echo "bench_preprocess: ffmpeg not found; run scripts/install_deps.sh" >&2; exit 1; }
[ -x "$rcls" ] || scripts/build.sh -DRCLS_BUILD_TESTS=OFF -DRCLS_BUILD_BENCH=OFF

# ---- the clips --------------------------------------------------------------------------------------
realdata=${RCLS_REALDATA:-../shared/realdata}
episodes=("$realdata"/so101_chess_wrist_lerobot_pr1138/videos/chunk-000/observation.images.follower_wrist/episode_00000{0,3}.mp4)
if [ ! -f "$clips/clip_19.mp4" ]; then
  mkdir -p "$clips"
  for i in $(seq 0 19); do
    out=$(printf "%s/clip_%02d.mp4" "$clips" "$i")
    if [ -f "${episodes[0]}" ] && [ -f "${episodes[1]}" ]; then
      # 97 consecutive frames of a 30 fps episode, retimed to 10 fps.
      source=${episodes[$((i % 2))]}
      start=$(awk -v i="$i" 'BEGIN { printf "%.4f", ((i * 67) % 670) / 30 }')
      ffmpeg -hide_banner -loglevel error -nostdin -y -ss "$start" -i "$source" -frames:v 97 \
        -vf "setpts=N/(10*TB)" -r 10 -c:v libx264 -pix_fmt yuv420p "$out"
    else
      ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi \
        -i "testsrc2=size=640x480:rate=10,trim=start_frame=$((i * 13))" -frames:v 97 \
        -c:v libx264 -pix_fmt yuv420p "$out"
    fi
  done
  if [ -f "${episodes[0]}" ]; then echo "clips: 20 x 97 frames from ${episodes[0]%/*}"; else
    echo "clips: 20 x 97 frames of testsrc2 (../shared/realdata not found)"; fi
fi
frames=$(for c in "$clips"/*.mp4; do ffprobe -v error -select_streams v -show_entries stream=nb_frames -of csv=p=0 "$c"; done | awk '{ s += $1 } END { print s }')
echo "input: $(ls "$clips"/*.mp4 | wc -l) clips, $frames frames at 640x480 10 fps; $(nproc) cores; $repetitions repetitions"

# ---- timing -------------------------------------------------------------------------------------------
now() { date +%s.%N; }
run_rcls() {
  rm -rf "$work/out_rcls"
  "$rcls" -q preprocess "$clips" --output "$work/out_rcls" > /dev/null
}
run_rcls_fast() {
  rm -rf "$work/out_rcls_fast"
  "$rcls" -q preprocess "$clips" --output "$work/out_rcls_fast" --preset veryfast --crf 19 > /dev/null
}
run_ffmpeg() {
  rm -rf "$work/out_ffmpeg"
  mkdir -p "$work/out_ffmpeg"
  for c in "$clips"/*.mp4; do
    ffmpeg -loglevel error -nostdin -y -i "$c" -vf "crop=480:480:80:0,scale=128:128:flags=lanczos" \
      "$work/out_ffmpeg/$(basename "$c")"
  done
}
time_it() { local start; start=$(now); "$@"; awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

rcls_times=()
fast_times=()
ffmpeg_times=()
for rep in $(seq 1 "$repetitions"); do
  if [ $((rep % 2)) -eq 1 ]; then
    r=$(time_it run_rcls); q=$(time_it run_rcls_fast); f=$(time_it run_ffmpeg)
  else
    f=$(time_it run_ffmpeg); q=$(time_it run_rcls_fast); r=$(time_it run_rcls)
  fi
  rcls_times+=("$r")
  fast_times+=("$q")
  ffmpeg_times+=("$f")
  echo "  repetition $rep: rcls $r s, rcls --preset veryfast $q s, ffmpeg loop $f s (load $(cut -d' ' -f1 /proc/loadavg))"
done

median() { printf "%s\n" "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rcls_median=$(median "${rcls_times[@]}")
fast_median=$(median "${fast_times[@]}")
ffmpeg_median=$(median "${ffmpeg_times[@]}")
ratio() { awk -v r="$1" -v f="$2" 'BEGIN { printf "%.3f", r / f }'; }
rate() { awk -v t="$1" -v n="$frames" 'BEGIN { printf "%.0f", n / t }'; }
verdict() { awk -v x="$1" 'BEGIN { print (x <= 0.5) ? "met" : "missed" }'; }

# Quality of the outputs: rcls against ffmpeg's, both from the same decoded frames.
psnr() {
  ffmpeg -hide_banner -nostdin -i "$1" -i "$2" -lavfi psnr -f null - 2>&1 |
    sed -n 's/.*average:\([0-9.inf]*\).*/\1/p'
}
size() { du -sk "$1" | cut -f1; }

echo
echo "median wall time over $repetitions repetitions ($frames frames, load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  rcls preprocess:                  $rcls_median s ($(rate "$rcls_median") frames/s), ratio $(ratio "$rcls_median" "$ffmpeg_median") (goal <= 0.5: $(verdict "$(ratio "$rcls_median" "$ffmpeg_median")"))"
echo "  rcls preprocess --preset veryfast: $fast_median s ($(rate "$fast_median") frames/s), ratio $(ratio "$fast_median" "$ffmpeg_median") (goal <= 0.5: $(verdict "$(ratio "$fast_median" "$ffmpeg_median")"))"
echo "  ffmpeg loop:                      $ffmpeg_median s ($(rate "$ffmpeg_median") frames/s)"
echo "outputs: rcls $(size "$work/out_rcls") KiB, rcls veryfast $(size "$work/out_rcls_fast") KiB, ffmpeg $(size "$work/out_ffmpeg") KiB;" \
  "clip_00 PSNR against ffmpeg's output: rcls $(psnr "$work/out_rcls/clip_00.mp4" "$work/out_ffmpeg/clip_00.mp4") dB," \
  "rcls veryfast $(psnr "$work/out_rcls_fast/clip_00.mp4" "$work/out_ffmpeg/clip_00.mp4") dB"
