#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Configures and builds rcls into build/ (Release, Ninja, ccache when present).
# Usage: scripts/build.sh [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."

generator=()  # an existing build/ keeps the generator it was made with
if [ ! -f build/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build --parallel "$(nproc)"
