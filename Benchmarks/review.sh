#!/usr/bin/env bash
# The execution review against plain pytest, and the sandbox against bare Python, on a
# generated project (seeded), measured in one run with alternating runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

modules=${REVIEW_BENCH_MODULES:-50}
per_module=${REVIEW_BENCH_TESTS_PER_MODULE:-6}
changed=${REVIEW_BENCH_CHANGED_MODULES:-5}
runs=${REVIEW_BENCH_RUNS:-7}
if [ -n "${REVIEW_BENCH_SMALL:-}" ]; then modules=10; changed=2; runs=2; fi
review=$(review_bin)
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
repo="$work/project"
python3 "$here/generate_project.py" "$repo" --modules "$modules" --tests-per-module "$per_module" --changed "$changed" --seed 1
export GIT_CONFIG_NOSYSTEM=1

# The reference: pytest on the same related tests, in a checkout of head.
head="$work/head"
mkdir "$head"
git -C "$repo" archive feature | tar -x -C "$head"
chmod -R a+rX "$work"
tests=$(git -C "$repo" diff --name-only main feature | sed -n 's|^proj/mod_\([0-9]*\)\.py$|tests/test_mod_\1.py|p' | tr '\n' ' ')

echo "review: $modules modules, $((modules * per_module)) tests, $changed modules changed; median of $runs alternating runs"
run_review() { "$review" -C "$repo" --no-cache --impact-map off --python "$python" main..feature; }
run_pytest() { (cd "$head" && "$python" -m pytest -q -p no:cacheprovider $tests); }
read -r mine theirs < <(compare_ms "$runs" run_review run_pytest)
report "review --no-cache main..feature / pytest on the related tests" "$mine" "$theirs" "pytest" "1.2"

# The sandbox alone: the exact bwrap argv review uses, against the bare interpreter.
mapfile -t pass_argv < <("$review" sandbox --print-argv -- python3 -c pass)
sandboxed_pass() { "${pass_argv[@]}" 3>/dev/null; }
bare_pass() { "$python" -c pass; }
read -r mine theirs < <(compare_ms "$(( runs * 3 ))" sandboxed_pass bare_pass)
report "sandboxed python3 -c pass / bare python3 -c pass" "$mine" "$theirs" "bare" "(report)"

one="$work/one"
mkdir "$one"
printf 'def test_one():\n    assert 1 + 1 == 2\n' > "$one/test_one.py"
chmod -R a+rX "$one"
mapfile -t pytest_argv < <("$review" sandbox --source "$one" --print-argv -- python3 -m pytest -q -p no:cacheprovider test_one.py)
sandboxed_pytest() { "${pytest_argv[@]}" 3>/dev/null; }
bare_pytest() { (cd "$one" && "$python" -m pytest -q -p no:cacheprovider test_one.py); }
read -r mine theirs < <(compare_ms "$runs" sandboxed_pytest bare_pytest)
report "sandboxed pytest, one test / bare pytest" "$mine" "$theirs" "bare" "1.05"
