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
# in alternating order, and prints medians of wall and CPU time and the median of the per-repetition
# wall-time ratios (goal: rcls <= 0.5x the loop; CPU time shows what a busy machine would give). rcls
# runs twice per repetition: with its defaults (x264 preset veryfast, crf 19) and with
# `--preset medium --crf 23`, the reference command's x264 settings. The quality of every output is
# its PSNR against the uncompressed processed frames.
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
run_rcls() {
  rm -rf "$work/out_rcls"
  "$rcls" -q preprocess "$clips" --output "$work/out_rcls" > /dev/null
}
run_rcls_medium() {
  rm -rf "$work/out_rcls_medium"
  "$rcls" -q preprocess "$clips" --output "$work/out_rcls_medium" --preset medium --crf 23 > /dev/null
}
run_ffmpeg() {
  rm -rf "$work/out_ffmpeg"
  mkdir -p "$work/out_ffmpeg"
  for c in "$clips"/*.mp4; do
    ffmpeg -loglevel error -nostdin -y -i "$c" -vf "crop=480:480:80:0,scale=128:128:flags=lanczos" \
      "$work/out_ffmpeg/$(basename "$c")"
  done
}
# "wall cpu": wall-clock seconds and CPU seconds (user + system, children included).
time_it() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" > /dev/null; } 2>&1 | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}

declare -A wall cpu
for rep in $(seq 1 "$repetitions"); do
  if [ $((rep % 2)) -eq 1 ]; then order="rcls medium ffmpeg"; else order="ffmpeg medium rcls"; fi
  for variant in $order; do
    case $variant in
      rcls) read -r w c < <(time_it run_rcls) ;;
      medium) read -r w c < <(time_it run_rcls_medium) ;;
      ffmpeg) read -r w c < <(time_it run_ffmpeg) ;;
    esac
    wall[$variant]+="$w "
    cpu[$variant]+="$c "
    eval "${variant}_w=$w"
  done
  echo "  repetition $rep: rcls $rcls_w s, rcls --preset medium $medium_w s, ffmpeg loop $ffmpeg_w s" \
    "(ratios $(awk -v a="$rcls_w" -v b="$medium_w" -v f="$ffmpeg_w" 'BEGIN { printf "%.2f, %.2f", a / f, b / f }');" \
    "load $(cut -d' ' -f1 /proc/loadavg))"
done

median() { printf "%s\n" $@ | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Per-repetition ratios of the wall times, paired in time (robust to the load drifting).
paired() {
  paste -d' ' <(printf "%s\n" ${wall[$1]}) <(printf "%s\n" ${wall[ffmpeg]}) | awk '{ print $1 / $2 }' | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rate() { awk -v t="$1" -v n="$frames" 'BEGIN { printf "%.0f", n / t }'; }
verdict() { awk -v x="$1" 'BEGIN { print (x <= 0.5) ? "met" : "missed" }'; }
# Quality: each output's PSNR against the uncompressed processed frames of clip_00.
reference="$work/clip_00_uncompressed.yuv"
ffmpeg -loglevel error -nostdin -y -i "$clips/clip_00.mp4" -vf "crop=480:480:80:0,scale=128:128:flags=lanczos" \
  -f rawvideo -pix_fmt yuv420p "$reference"
psnr() {
  ffmpeg -hide_banner -nostdin -i "$1" -f rawvideo -pix_fmt yuv420p -s 128x128 -r 10 -i "$reference" \
    -lavfi "[0:v][1:v]psnr" -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p'
}
size() { du -sk "$1" | cut -f1; }

echo
echo "medians over $repetitions repetitions ($frames frames; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf "  %-36s %7s %7s %9s %15s %9s %9s\n" "" "wall s" "CPU s" "frames/s" "wall ratio" "size KiB" "PSNR dB"
for variant in rcls medium ffmpeg; do
  w=$(median ${wall[$variant]}); c=$(median ${cpu[$variant]})
  case $variant in
    rcls) name="rcls preprocess"; dir=out_rcls ;;
    medium) name="rcls preprocess --preset medium --crf 23"; dir=out_rcls_medium ;;
    ffmpeg) name="ffmpeg loop (the reference)"; dir=out_ffmpeg ;;
  esac
  if [ "$variant" = ffmpeg ]; then r="1"; else r="$(paired "$variant") ($(verdict "$(paired "$variant")"))"; fi
  printf "  %-36s %7s %7s %9s %15s %9s %9s\n" "$name" "$w" "$c" "$(rate "$w")" "$r" \
    "$(size "$work/$dir")" "$(psnr "$work/$dir/clip_00.mp4" | cut -c1-5)"
done
echo "  (wall ratio: median of the per-repetition ratios to the ffmpeg loop, goal <= 0.5;"
echo "   PSNR: clip_00 against its uncompressed processed frames)"
