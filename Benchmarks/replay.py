#!/usr/bin/env python3
"""Replay a real project's history commit by commit, as CI reviews each push.

usage: replay.py REVIEW_BINARY [--project NAME] [--commits N] [--repositories DIR] [--verbose]

Two kinds of history, both pinned below:
  - a real repository's first-parent history (each commit a merged pull request, as CI
    sees pushes to main): the last N commits up to a pinned tip, from a local clone under
    --repositories (`<owner>+<name>/repo`, as the tool library's fetch leaves it) or
    cloned from GitHub; never committed here;
  - successive releases on PyPI (source distributions with their test suites): one commit
    per release, in order.
For each commit X after the first it runs, with X checked out, `review --format json X^..X`
(the result cache and the impact map kept from commit to commit in the repository's
.git/review, as a CI cache keeps them) and, as the oracle, the project's whole suite at X
and at X^ with per-test results (junit XML). A test *newly fails* at X when it fails at X
and did not fail at X^ (or did not exist there).

Per project and in total it prints:
  unconfirmed errors: N   error findings on commits where no test newly fails, each listed
  regressions flagged: F / R   commits where a test newly fails and review reported an error
  time: the first commit apart (it records the impact map), then median review / median
  full suite over the rest, and the sums of both.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quality import GIT_ENV, PYTHON, benchmark_python, fetch, git, unpack  # noqa: E402

# Real repositories: name, GitHub owner/name, pinned tip, first-parent commits to review,
# PYTHONPATH entries, test arguments.
REPOSITORIES = [
    ("more-itertools@git", "more-itertools/more-itertools", "2fe1b2eeb9d75f994113fe3ac76d14b6bcd6fb10", 31,
     [], ["tests"]),
    ("urlextract@git", "lipoja/URLExtract", "3dec042bc1f53ae3f375b48e2563bd446946687d", 31, [], ["tests"]),
    # Its oracle is the package's tests; review also runs bench/, which pytest collects.
    ("toolz@git", "pytoolz/toolz", "568c2b8393973cd172a466546c9d95779c452438", 31, [], ["toolz"]),
]

# name, releases in order (consecutive), PYTHONPATH entries, test arguments (none: pytest's discovery)
PROJECTS = [
    ("cachetools",
     ["7.0.0", "7.0.1", "7.0.2", "7.0.3", "7.0.4", "7.0.5", "7.0.6", "7.1.0", "7.1.1", "7.1.2", "7.1.3", "7.1.4",
      "7.1.5", "7.1.6", "7.1.7", "7.1.8", "7.2.0", "7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.2.5", "7.2.6", "7.2.7",
      "7.2.8", "7.3.0", "7.3.1", "7.3.2", "7.3.3", "8.0.0", "8.0.1", "8.0.2"],
     ["src"], ["tests"]),
    ("more-itertools",
     ["8.0.0", "8.0.1", "8.0.2", "8.1.0", "8.2.0", "8.3.0", "8.4.0", "8.5.0", "8.6.0", "8.7.0", "8.8.0", "8.9.0",
      "8.10.0", "8.12.0", "8.13.0", "8.14.0", "9.0.0", "9.1.0", "10.0.0", "10.1.0", "10.2.0", "10.3.0", "10.4.0",
      "10.5.0", "10.6.0", "10.7.0", "10.8.0", "11.0.0", "11.0.1", "11.0.2", "11.1.0", "11.2.0", "11.2.1"],
     # The tests moved from more_itertools/tests to tests/ over these releases: pytest finds them.
     [], []),
]


def build_history(name, versions, cache, work):
    """A repository with one commit per release; returns the commit ids in order."""
    repo = os.path.join(work, name)
    os.makedirs(repo)
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=GIT_ENV)
    commits = []
    fetched = []
    for version in versions:
        try:
            archive = fetch(name, version, cache)
        except subprocess.CalledProcessError:
            # pip refuses some old sdists (their metadata names another version): said, skipped.
            print(f"  {name} {version}: the source distribution could not be fetched; left out of the history",
                  flush=True)
            continue
        fetched.append(version)
        for entry in os.listdir(repo):
            if entry != ".git":
                path = os.path.join(repo, entry)
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
        unpacked = unpack(archive, os.path.join(work, "unpack-" + version))
        for entry in os.listdir(unpacked):
            shutil.move(os.path.join(unpacked, entry), os.path.join(repo, entry))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"{name} {version}")
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    return repo, commits, fetched


def clone_history(name, slug, tip, count, repositories, work):
    """A clone of a real repository and the last `count` + 1 first-parent commits up to
    `tip`, oldest first (the first is the starting point)."""
    repo = os.path.join(work, name)
    local = os.path.join(repositories, slug.replace("/", "+"), "repo")
    source = local if os.path.isdir(local) else f"https://github.com/{slug}"
    result = subprocess.run(["git", "clone", "-q", source, repo], env=GIT_ENV, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{name}: cannot clone {source}: {result.stderr.strip()} "
                         f"(put a clone of https://github.com/{slug} at {local})")
    commits = git(repo, "rev-list", "--first-parent", f"--max-count={count + 1}", tip).split()
    commits.reverse()
    git(repo, "checkout", "-q", "--detach", tip)
    return repo, commits, [commit[:9] for commit in commits]


def failing_tests(repo, paths, test_args, timeout=1800):
    """The suite at the checked-out commit: (failing node ids or None when it did not run, seconds)."""
    junit = tempfile.mktemp(suffix=".xml")
    env = dict(os.environ, PYTHONPATH=":".join(os.path.join(repo, p) for p in paths), PYTHONDONTWRITEBYTECODE="1")
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"] + test_args
    started = time.monotonic()
    try:
        subprocess.run(command, cwd=repo, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - started
    seconds = time.monotonic() - started
    try:
        root = ElementTree.parse(junit).getroot()
    except (OSError, ElementTree.ParseError):
        return None, seconds
    finally:
        if os.path.exists(junit):
            os.remove(junit)
    failing = set()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failing.add(f"{case.get('classname')}::{case.get('name')}")
    return failing, seconds


def review(binary, repo, spec, extra):
    started = time.monotonic()
    result = subprocess.run([binary, "--python", PYTHON, "--format", "json", *extra, spec], cwd=repo,
                            capture_output=True, text=True, timeout=7200)
    seconds = time.monotonic() - started
    if result.returncode not in (0, 1):
        return None, seconds, result.stderr.strip()
    report = json.loads(result.stdout)
    return [f for f in report["findings"] if f["severity"] == "error"], seconds, ""


def replay(binary, history, paths, test_args, verbose, extra):
    name, repo, commits, versions = history
    rows = []
    previous = None
    for index, commit in enumerate(commits):
        git(repo, "checkout", "-q", commit)
        failing, suite_seconds = failing_tests(repo, paths, test_args)
        if index == 0:
            previous = failing
            continue
        errors, review_seconds, problem = review(binary, repo, f"{commits[index - 1]}..{commit}", extra)
        newly = None if failing is None or previous is None else sorted(failing - previous)
        rows.append({"version": versions[index], "errors": errors, "problem": problem, "newly": newly,
                     "review": review_seconds, "suite": suite_seconds})
        if verbose:
            print(f"  {name} {versions[index]}: review {review_seconds:.1f} s, suite {suite_seconds:.1f} s, "
                  f"{len(errors or [])} error(s), newly failing {newly}", flush=True)
        previous = failing
    return rows


def summarize(name, rows):
    unconfirmed = [(r["version"], e) for r in rows if r["newly"] == [] and r["errors"] for e in r["errors"]]
    regressions = [r for r in rows if r["newly"]]
    flagged = [r for r in regressions if r["errors"]]
    failed = [r for r in rows if r["errors"] is None]
    reviews = [r["review"] for r in rows[1:]]
    suites = [r["suite"] for r in rows[1:]]
    print(f"{name}: {len(rows)} commits reviewed; first commit: review {rows[0]['review']:.1f} s, suite {rows[0]['suite']:.1f} s")
    if reviews:
        print(f"  median review / median full suite: {statistics.median(reviews):.2f} s / {statistics.median(suites):.2f} s"
              f" = {statistics.median(reviews) / max(statistics.median(suites), 1e-9):.2f}; sums {sum(reviews):.1f} s / "
              f"{sum(suites):.1f} s = {sum(reviews) / max(sum(suites), 1e-9):.2f}")
    for version, error in unconfirmed:
        print(f"  unconfirmed: {version}: {error['kind']} {error['file']}:{error['line']}: {error['message'][:160]}")
    for row in regressions:
        print(f"  oracle regression at {row['version']} ({', '.join(row['newly'][:3])}): "
              f"{'flagged' if row['errors'] else 'MISSED'}")
    for row in failed:
        print(f"  review failed at {row['version']}: {row['problem'][:200]}")
    print(f"  unconfirmed errors: {len(unconfirmed)}")
    print(f"  regressions flagged: {len(flagged)} / {len(regressions)}", flush=True)
    return len(unconfirmed), len(flagged), len(regressions), len(failed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("review")
    parser.add_argument("--project", action="append", default=[])
    parser.add_argument("--commits", type=int, default=0, help="replay only the first N commits of each project")
    parser.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                                         "review-quality"))
    parser.add_argument("--repositories", default="/work/.mirror",
                        help="where local clones of the pinned repositories are (<owner>+<name>/repo)")
    parser.add_argument("--venv", default="/var/tmp/review-quality-venv",
                        help="the benchmark's virtualenv, shared with quality.py (made when missing)")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--map-follows", choices=["base", "head"], default="head",
                        help="where each review brings the impact map (head: as review ci does on a push)")
    args = parser.parse_args()
    global PYTHON
    PYTHON = benchmark_python(args.venv)
    binary = os.path.abspath(args.review)
    known = [r[0] for r in REPOSITORIES] + [p[0] for p in PROJECTS]
    unknown = set(args.project) - set(known)
    if unknown:
        raise SystemExit(f"unknown project(s): {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    work = tempfile.mkdtemp(prefix="review-replay-")
    os.chmod(work, 0o755)
    totals = [0, 0, 0, 0]
    try:
        histories = []
        for name, slug, tip, count, paths, test_args in REPOSITORIES:
            if not args.project or name in args.project:
                count = min(count, args.commits) if args.commits else count
                repo, commits, labels = clone_history(name, slug, tip, count, args.repositories, work)
                histories.append(((name, repo, commits, labels), paths, test_args))
        for name, versions, paths, test_args in PROJECTS:
            if not args.project or name in args.project:
                versions = versions[:args.commits] if args.commits else versions
                repo, commits, fetched = build_history(name, versions, args.cache, work)
                histories.append(((name, repo, commits, fetched), paths, test_args))
        for history, paths, test_args in histories:
            rows = replay(binary, history, paths, test_args, args.verbose, ["--map-follows", args.map_follows])
            for i, value in enumerate(summarize(history[0], rows)):
                totals[i] += value
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"unconfirmed errors: {totals[0]}")
    print(f"regressions flagged: {totals[1]} / {totals[2]}")
    print(f"reviews that failed: {totals[3]}")


if __name__ == "__main__":
    main()
