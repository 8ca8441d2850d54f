#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One command from a fresh Debian 12 machine to a passing test suite: installs what is missing,
# builds everything with tests, and runs ctest (hardware and gpu labels excluded).
# Usage: scripts/test.sh [ctest arguments, e.g. -R '^image\.']
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh
# The browser tests' npm packages, from their lockfiles (once; they need the npm registry).
for lock in tests/browser/*/package-lock.json; do
  if [ -f "$lock" ] && [ ! -d "$(dirname "$lock")/node_modules" ]; then
    npm ci --prefix "$(dirname "$lock")" --no-audit --no-fund
  fi
done
start=$(date +%s)
scripts/build.sh -DRCLS_BUILD_TESTS=ON -DRCLS_BUILD_BENCH=ON
echo "test.sh: build took $(( $(date +%s) - start )) s"
start=$(date +%s)
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --label-exclude "hardware|gpu" "$@"
echo "test.sh: tests took $(( $(date +%s) - start )) s"
