#!/usr/bin/env python3
"""Generate a reproducible Python project in a git repository for the review benchmarks.

usage: generate_project.py DIR [--modules 50] [--tests-per-module 6] [--changed 5] [--broken 0] [--seed 1]

`main` holds a package `proj` of N modules with tests (tests/test_mod_I.py, one file per
module); the branch `feature` changes M modules in ways that keep every test passing,
except that in the first B of them f1..f5 return one more for x > 0 (their tests fail:
a regression).
"""
import argparse
import os
import random
import subprocess
import sys


def module_source(index, rng):
    lines = [f'"""Module {index}."""', ""]
    for function in range(6):
        constant = rng.randint(1, 50)
        lines += [
            f"def f{function}(x):",
            f"    total = x",
            f"    for step in range({constant}):",
            f"        total += step % {function + 2}",
            f"    return total",
            "",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def test_source(index, tests):
    lines = [f"from proj.mod_{index} import *", ""]
    for number in range(tests):
        function = number % 6
        lines += [
            f"def test_f{function}_{number}():",
            f"    assert f{function}({number}) == f{function}(0) + {number}",
            "",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def git(directory, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="b@example.invalid",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="b@example.invalid",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", "-C", directory, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--tests-per-module", type=int, default=6)
    parser.add_argument("--changed", type=int, default=5)
    parser.add_argument("--broken", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = args.directory
    os.makedirs(os.path.join(root, "proj"), exist_ok=True)
    os.makedirs(os.path.join(root, "tests"), exist_ok=True)
    open(os.path.join(root, "proj", "__init__.py"), "w").close()
    for index in range(args.modules):
        with open(os.path.join(root, "proj", f"mod_{index}.py"), "w") as handle:
            handle.write(module_source(index, rng))
        with open(os.path.join(root, "tests", f"test_mod_{index}.py"), "w") as handle:
            handle.write(test_source(index, args.tests_per_module))
    subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    for position, index in enumerate(rng.sample(range(args.modules), min(args.changed, args.modules))):
        path = os.path.join(root, "proj", f"mod_{index}.py")
        with open(path) as handle:
            text = handle.read()
        # A behaviour-preserving edit: a docstring and a renamed local.
        text = text.replace("    total = x\n", '    """Accumulate."""\n    acc = x\n', 1)
        text = text.replace("        total += step", "        acc += step", 1).replace("    return total", "    return acc", 1)
        if position < args.broken:
            text = text.replace("    return total\n", "    return total + (x > 0)\n")
        with open(path, "w") as handle:
            handle.write(text)
    git(root, "commit", "-q", "-am", "refactor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
