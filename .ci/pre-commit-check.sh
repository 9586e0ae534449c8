#!/usr/bin/env bash
# review through the pre-commit framework from PyPI, against a local clone of this
# repository: a clean push goes through, a push with a regression is blocked.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --global user.name "CI" && git config --global user.email "ci@example.invalid"
git config --global init.defaultBranch main
git config --global protocol.file.allow always

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q pre-commit
precommit="$work/venv/bin/pre-commit"
export PRE_COMMIT_HOME="$work/cache"

# pre-commit consumes a hook repository at a commit: a clone of this one at HEAD.
git clone -q "$root" "$work/review"
rev=$(git -C "$work/review" rev-parse HEAD)

git init -q --bare "$work/remote.git"
project="$work/project"
mkdir -p "$project/calc" "$project/tests"
cd "$project"
git init -q
touch calc/__init__.py
printf 'def sub(a, b):\n    return a - b\n' > calc/ops.py
printf 'from calc.ops import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n' > tests/test_ops.py
cat > .pre-commit-config.yaml <<CONFIG
repos:
  - repo: $work/review
    rev: $rev
    hooks:
      - id: review
CONFIG
git add -A && git commit -qm base
git remote add origin "$work/remote.git"
"$precommit" install --hook-type pre-push >/dev/null

passed=0
failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $*" >&2; fi; }

# 1. A clean push goes through (pre-commit builds review on first use: minutes).
check git push -q origin main

# 2. A regression on a new branch is blocked, and the report names it.
git checkout -q -b feature
printf 'def sub(a, b):\n    return b - a\n' > calc/ops.py
git commit -qam "break sub"
if git push origin feature > "$work/push.log" 2>&1; then
    check false
else
    check grep -q "test-regression" "$work/push.log"
fi
check test -z "$(git --git-dir="$work/remote.git" rev-parse -q --verify refs/heads/feature)"

echo "pre-commit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
