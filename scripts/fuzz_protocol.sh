#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the protocol libFuzzer target for ${1:-60} seconds (see scripts/fuzz.sh).
# Usage: scripts/fuzz_protocol.sh [seconds]
exec "$(dirname "$0")/fuzz.sh" protocol "$@"
