#!/usr/bin/env bash
# What makes review fit every push: a cached re-run, the hook on a push without Python,
# --jobs 2 against --jobs 1, and how the cost grows with the number of changed files
# (against pytest on the tests review must run). Seeded projects; alternating runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

runs=${REVIEW_BENCH_RUNS:-7}
sizes=${REVIEW_BENCH_SCALING:-"1 10 100"}
jobs_tasks=8
if [ -n "${REVIEW_BENCH_SMALL:-}" ]; then runs=2; sizes="1 4"; jobs_tasks=4; fi
review=$(review_bin)
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
export GIT_CONFIG_NOSYSTEM=1

work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# review exits 1 when it finds something; for timing, 0 and 1 are both success.
reviewed() { "$@" || [ $? -eq 1 ]; }

# 1. A cached re-run of a range reviewed before, against git rev-parse.
repo="$work/cached"
python3 "$here/generate_project.py" "$repo" --modules 20 --tests-per-module 4 --changed 3 --seed 3
chmod -R a+rX "$work"
reviewed "$review" -C "$repo" --impact-map off --python "$python" main..feature >/dev/null 2>&1
cached_review() { reviewed "$review" -C "$repo" --impact-map off --python "$python" main..feature; }
rev_parse() { git -C "$repo" rev-parse HEAD; }
echo "speed: median of $runs alternating runs"
read -r mine theirs < <(compare_ms "$runs" cached_review rev_parse)
report "cached re-run of a reviewed range / git rev-parse HEAD" "$mine" "$theirs" "git" "(report; < 100 ms)"
printf '%-58s %6s ms (target < 100 ms)\n' "cached re-run, absolute" "$mine"

# 2. The pre-push hook on a push that changes no Python file.
git -C "$repo" checkout -q main
printf 'notes\n' > "$repo/NOTES.md"
git -C "$repo" add NOTES.md
git -C "$repo" -c user.name=Bench -c user.email=b@example.invalid commit -q -m "docs only"
old=$(git -C "$repo" rev-parse HEAD~1)
new=$(git -C "$repo" rev-parse HEAD)
hook_input="refs/heads/main $new refs/heads/main $old"
hook() { (cd "$repo" && printf '%s\n' "$hook_input" | REVIEW_BIN="$review" "$here/../Hooks/pre-push" origin /nowhere); }
read -r mine theirs < <(compare_ms "$runs" hook rev_parse)
report "pre-push hook, push without Python changes / git rev-parse" "$mine" "$theirs" "git" "(report; < 100 ms)"
printf '%-58s %6s ms (target < 100 ms)\n' "pre-push hook without Python changes, absolute" "$mine"

# 3. --jobs 2 against --jobs 1 on independent tasks that each need investigation (every
#    changed module breaks its tests: base rerun, flaky rerun, culprit, verified fix).
repo="$work/jobs"
python3 "$here/generate_project.py" "$repo" --modules "$jobs_tasks" --tests-per-module 3 --changed "$jobs_tasks" \
    --broken "$jobs_tasks" --seed 4
chmod -R a+rX "$work"
jobs2() { reviewed "$review" -C "$repo" --no-cache --impact-map off --python "$python" --jobs 2 main..feature; }
jobs1() { reviewed "$review" -C "$repo" --no-cache --impact-map off --python "$python" --jobs 1 main..feature; }
read -r mine theirs < <(compare_ms "$(( runs < 5 ? runs : 5 ))" jobs2 jobs1)
report "--jobs 2 / --jobs 1, $jobs_tasks tasks that each fail" "$mine" "$theirs" "jobs1" "0.6"

# 4. Scaling: 1, 10, 100 changed modules (of 120), review against pytest on the tests it
#    must run (each changed module's own test file) at head.
echo
echo "scaling (changed modules of 120; pytest runs the same related tests at head):"
printf '  %-8s %12s %12s %8s\n' "changed" "review ms" "pytest ms" "ratio"
for size in $sizes; do
    repo="$work/scale-$size"
    python3 "$here/generate_project.py" "$repo" --modules 120 --tests-per-module 4 --changed "$size" --seed 5
    head="$work/scale-head-$size"
    mkdir "$head"
    git -C "$repo" archive feature | tar -x -C "$head"
    chmod -R a+rX "$work"
    tests=$(git -C "$repo" diff --name-only main feature | sed -n 's|^proj/mod_\([0-9]*\)\.py$|tests/test_mod_\1.py|p' | tr '\n' ' ')
    scale_review() { reviewed "$review" -C "$repo" --no-cache --impact-map off --max-files 200 --python "$python" main..feature; }
    scale_pytest() { (cd "$head" && "$python" -m pytest -q -p no:cacheprovider $tests); }
    read -r mine theirs < <(compare_ms "$(( runs < 3 ? runs : 3 ))" scale_review scale_pytest)
    printf '  %-8s %12s %12s %8s\n' "$size" "$mine" "$theirs" "$(ratio "$mine" "$theirs")"
done
