#!/usr/bin/env bash
# All benchmarks. Each line is a ratio against a reference measured in the same run, with
# the absolute figures beside it. REVIEW_BENCH_SMALL=1 runs small sizes (CI smoke test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/plan.sh"
"$here/review.sh"
"$here/speed.sh"
"$here/agent.sh"
# The moving base: real merges reviewed one by one as CI does, against the full suite
# (median and summed ratios; see replay.py). Needs clones of the pinned repositories
# (--repositories) or GitHub; without either it says so and the other figures stand.
if [ -z "${REVIEW_BENCH_SMALL:-}" ]; then
    . "$here/lib.sh"
    python3 "$here/replay.py" "$(review_bin)" --project more-itertools@git --project urlextract@git \
        || echo "replay: not run (see the message above)"
fi
