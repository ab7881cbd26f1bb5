#!/usr/bin/env bash
# `make test-deep`: the checks CI runs after `make test` — every libFuzzer target for FUZZ_SECONDS (default
# 30) each (scripts/fuzz.sh), then the ThreadSanitizer build with the unit tests and a threaded integration
# subset (scripts/tsan.sh). Both always run; the exit status is decided at the end, after a summary.
set -uo pipefail
cd "$(dirname "$0")/.."

source scripts/stages.sh

stage "fuzz (${FUZZ_SECONDS:-30} s per target)" bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
stage "ThreadSanitizer build + subset" bash scripts/tsan.sh

summarize
