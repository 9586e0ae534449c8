#!/usr/bin/env bash
# review --plan against git diff, and materializing a revision against git archive | tar,
# on a generated repository (seeded: the same repository every run), measured in one run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

files=${REVIEW_BENCH_FILES:-20000}
changed=${REVIEW_BENCH_CHANGED:-2000}
runs=${REVIEW_BENCH_RUNS:-7}
if [ -n "${REVIEW_BENCH_SMALL:-}" ]; then files=2000; changed=200; runs=2; fi
review=$(review_bin)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
python3 "$here/generate_repo.py" "$repo" --files "$files" --changed "$changed" --seed 1
export GIT_CONFIG_NOSYSTEM=1

echo "plan: $files files, $changed changed (base..head), median of $runs alternating runs"
plan_review() { "$review" --plan --format json -C "$repo" base..head; }
plan_git() { git -C "$repo" diff -M --raw --numstat base head; }
read -r mine theirs < <(compare_ms "$runs" plan_review plan_git)
report "review --plan --format json / git diff -M --raw --numstat" "$mine" "$theirs" "git" "1.0"

mine=$(peak_rss_mb "$review" --plan --format json -C "$repo" base..head)
theirs=$(peak_rss_mb git -C "$repo" diff -M --raw --numstat base head)
printf '%-58s %6s MB (git diff %s MB; target < 200 MB)\n' "peak memory (max RSS) of review --plan on this range" "$mine" "$theirs"

export_review() { rm -rf "$work/out"; "$review" export -C "$repo" head -o "$work/out"; }
export_git() { rm -rf "$work/out"; mkdir "$work/out"; git -C "$repo" archive head | tar -x -C "$work/out"; }
read -r mine theirs < <(compare_ms "$(( runs < 3 ? runs : 3 ))" export_review export_git)
report "materialize head / git archive | tar -x" "$mine" "$theirs" "git" "1.0"
