#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the parquet libFuzzer target for ${1:-60} seconds (see scripts/fuzz.sh).
# Usage: scripts/fuzz_parquet.sh [seconds]
exec "$(dirname "$0")/fuzz.sh" parquet "$@"
