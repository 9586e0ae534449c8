#!/usr/bin/env bash
# All benchmarks. Each line is a ratio against a reference measured in the same run, with
# the absolute figures beside it. REVIEW_BENCH_SMALL=1 runs small sizes (CI smoke test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/plan.sh"
"$here/review.sh"
"$here/speed.sh"
"$here/agent.sh"
