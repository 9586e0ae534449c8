#!/usr/bin/env bash
# Review quality on real open-source projects (see quality.py for the method): detection of
# mutants the full suite catches, false alarms on benign edits, location, and time against
# the full suite. Ends with four lines scripts read:
#   detection: 96.7%   false alarms: 0.0%   location: 85.0%   time ratio: 0.15
# REVIEW_QUALITY_SMALL=1 runs one project and a handful of cases (the CI smoke test).
# The projects' sources come from PyPI (pip download) into ~/.cache/review-quality.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
review=$(review_bin)
[ -x "$review" ] || { echo "build review first (make build)" >&2; exit 2; }
python=python3
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }
args=()
[ -n "${REVIEW_QUALITY_SMALL:-}" ] && args+=(--small)
[ -n "${REVIEW_QUALITY_VERBOSE:-}" ] && args+=(--verbose)
exec "$python" "$here/quality.py" "$review" "${args[@]}" "$@"
