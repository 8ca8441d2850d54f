#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The model benchmarks (bench/model_bench.cpp): the optimised inference path against plain
# libtorch eager, in one run with randomly interleaved repetitions (the machine is noisy), then
# the medians and the ratios. Builds build/bin/model_bench first if needed.
# Usage: scripts/bench_model.sh [repetitions (default 5)]    RCLS_BENCH_THREADS=N to pin threads.
set -euo pipefail
cd "$(dirname "$0")/.."

repetitions="${1:-5}"
if [ ! -x build/bin/model_bench ]; then
  scripts/build.sh -DRCLS_BUILD_BENCH=ON >/dev/null
  cmake --build build --target model_bench
fi
# As the rcls binary does (src/model/backend_plugin.cpp): passive OpenMP waiting, unless set.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
build/bin/model_bench --benchmark_repetitions="$repetitions" --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$out"

python3 - "$out" <<'EOF'
import json, re, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
median = {re.sub(r"/(min_time:[0-9.]+|real_time)", "", r["run_name"]): r for r in runs if r.get("aggregate_name") == "median"}
def row(name, what, unit="ms"):
    plain, fast = median[name.format(0)], median[name.format(1)]
    if unit == "fps":
        a, b = plain["frames_per_s"], fast["frames_per_s"]
        print(f"{what:<44} eager {a:8.1f} frames/s   optimised {b:8.1f} frames/s   x{b / a:.2f}")
    else:
        a, b = plain["real_time"], fast["real_time"]
        print(f"{what:<44} eager {a:8.2f} ms         optimised {b:8.2f} ms         x{a / b:.2f}")
import os
print(f"medians of {runs[0]['repetitions']} interleaved repetitions, "
      f"threads {os.environ.get('RCLS_BENCH_THREADS', 'one per core')}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
row("BM_Encoder/batch:32/optimized:{}", "encoder, batch 32 at 128x128", "fps")
row("BM_Encoder/batch:1/optimized:{}", "encoder, one 128x128 frame")
row("BM_Classifier/optimized:{}", "classifier, one 128x128 BGR frame to p")
EOF
