#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# e2e: scripts/ci_example.sh end to end on the simulated arm. A run whose gates hold exits 0 and
# prints the checkpoint; a run compared with that checkpoint as its baseline, with a gate that
# cannot hold, exits 7 with the failed gate on stderr and ships nothing.
# Usage: ci_example_test.sh RCLS_BINARY WORK_DIR
set -euo pipefail
rcls=$1
work=$2
script="$(cd "$(dirname "$0")/../.." && pwd)/scripts/ci_example.sh"
rm -rf "$work"
mkdir -p "$work"
fail() { echo "ci_example test: $*" >&2; exit 1; }

RCLS="$rcls" EPISODES=3 STEPS=5 "$script" "$work/first" > "$work/first.out" 2> "$work/first.err" \
  || fail "the run with holding gates failed ($?): $(tail -3 "$work/first.err")"
shipped=$(tail -1 "$work/first.out")
[ -f "$shipped/model.safetensors" ] || fail "the shipped checkpoint is not there: $shipped"
for f in record label preprocess train eval; do
  /usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$work/first/$f.json" \
    || fail "$f.json is not JSON"
done

code=0
RCLS="$rcls" EPISODES=3 STEPS=5 BASELINE="$shipped" GATES="--fail-under frames=100000" \
  "$script" "$work/second" > "$work/second.out" 2> "$work/second.err" || code=$?
[ "$code" -eq 7 ] || fail "a failed gate gave exit $code, not 7"
grep -q "gate failed: frames = .* is under the bound 100000" "$work/second.err" \
  || fail "no line for the failed gate: $(cat "$work/second.err")"
grep -q "not shipping" "$work/second.err" || fail "the script did not say it ships nothing"
[ ! -s "$work/second.out" ] || fail "a failed run printed a checkpoint: $(cat "$work/second.out")"
/usr/bin/python3 - "$work/second/eval.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
assert "baseline" in ev and "delta" in ev, sorted(ev)
assert ev["delta"]["frame_level"]["accuracy"] is not None
PY
echo "ci_example test: ok"
