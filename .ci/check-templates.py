#!/usr/bin/env python3
"""Runs the shell steps of Templates/github-actions.yml against scratch repositories, as
far as they can run outside GitHub: two CI runs in fresh clones, a push to main and then a
pull request, with the impact-map cache carried from the first to the second as
actions/cache would carry it.

usage: check-templates.py REVIEW_BINARY

What stands in for GitHub: RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and
the event payload are files in a temp dir; the build cache is a hit (the binary under
test, where the cached build would be); the map cache is a directory copied in and out
with the template's own key. The steps run with bash -e, as GitHub runs them. The
virtualenv step installs from PyPI. It prints the time of each step, for the README's
first and warm run figures, and fails on the first step that fails or a run whose
outcome is wrong.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "Templates", "github-actions.yml")
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="CI", GIT_AUTHOR_EMAIL="ci@example.invalid", GIT_COMMITTER_NAME="CI",
               GIT_COMMITTER_EMAIL="ci@example.invalid", GIT_CONFIG_NOSYSTEM="1")


def steps(text):
    """name -> the step's `run` script (block or one line)."""
    found = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)- name: (.+)$", line)
        if not match:
            continue
        indent = len(match.group(1)) + 2
        for offset in range(index + 1, len(lines)):
            current = lines[offset]
            if re.match(r"^\s*- ", current) and len(current) - len(current.lstrip()) <= indent - 2:
                break
            run = re.match(r"^\s*run: (.*)$", current)
            if not run:
                continue
            if run.group(1).strip() != "|":
                found[match.group(2).strip()] = run.group(1)
                break
            body = []
            block = len(current) - len(current.lstrip()) + 2
            for following in lines[offset + 1:]:
                if following.strip() and len(following) - len(following.lstrip()) < block:
                    break
                body.append(following[block:])
            found[match.group(2).strip()] = "\n".join(body)
            break
    return found


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, env=GIT_ENV, capture_output=True,
                          text=True).stdout.strip()


def scratch_upstream(root):
    """A project with a pyproject, a package and its tests; main, then a change on a branch."""
    upstream = os.path.join(root, "upstream")
    os.makedirs(os.path.join(upstream, "calc"))
    os.makedirs(os.path.join(upstream, "tests"))
    files = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
                          '[project]\nname = "calc"\nversion = "1.0"\n\n[project.optional-dependencies]\ntest = []\n\n'
                          '[tool.setuptools]\npackages = ["calc"]\n',
        "calc/__init__.py": "",
        "calc/ops.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
        "tests/test_ops.py": "from calc.ops import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
                             "def test_sub():\n    assert sub(3, 1) == 2\n",
    }
    for path, text in files.items():
        with open(os.path.join(upstream, path), "w") as handle:
            handle.write(text)
    subprocess.run(["git", "init", "-q", "-b", "main", upstream], check=True, env=GIT_ENV)
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "calc")
    first = git(upstream, "rev-parse", "HEAD")
    with open(os.path.join(upstream, "calc/ops.py"), "a") as handle:
        handle.write("\n\ndef mul(a, b):\n    return a * b\n")
    git(upstream, "commit", "-q", "-am", "mul")
    git(upstream, "checkout", "-q", "-b", "feature")
    with open(os.path.join(upstream, "calc/ops.py")) as handle:
        text = handle.read()
    with open(os.path.join(upstream, "calc/ops.py"), "w") as handle:
        handle.write(text.replace("return a - b", "return b - a"))
    git(upstream, "commit", "-q", "-am", "sub, broken")
    git(upstream, "checkout", "-q", "main")
    return upstream, first


def ci_run(label, binary, scripts, upstream, event, ref, sha, root, cache):
    """One job: a fresh clone, the template's steps in order, the map cache restored and
    saved. Returns (review's exit status, its stderr, step times)."""
    job = os.path.join(root, label)
    os.makedirs(job)
    workspace = os.path.join(job, "workspace")
    subprocess.run(["git", "clone", "-q", upstream, workspace], check=True, env=GIT_ENV)
    git(workspace, "checkout", "-q", sha)
    runner_temp = os.path.join(job, "runner")
    # The build cache is a hit: the binary under test sits where the cached build would.
    os.makedirs(os.path.join(runner_temp, "review", ".build", "release"))
    os.symlink(binary, os.path.join(runner_temp, "review", ".build", "release", "review"))
    files = {name: os.path.join(job, name) for name in ("path", "output", "summary", "event.json")}
    with open(files["event.json"], "w") as handle:
        json.dump(event, handle)
    for name in ("path", "output", "summary"):
        open(files[name], "w").close()
    env = dict(os.environ, RUNNER_TEMP=runner_temp, GITHUB_PATH=files["path"], GITHUB_OUTPUT=files["output"],
               GITHUB_STEP_SUMMARY=files["summary"], GITHUB_EVENT_PATH=files["event.json"], GITHUB_ACTIONS="true",
               GITHUB_SHA=sha, GITHUB_REF=ref, GITHUB_EVENT_NAME="pull_request" if "pull_request" in event else "push",
               GITHUB_WORKSPACE=workspace, REVIEW_REPOSITORY=upstream, REVIEW_REF="main",
               REVIEW_COMMIT=git(upstream, "rev-parse", "main"))
    if "pull_request" in event:
        env["GITHUB_BASE_REF"] = "main"
        env["GITHUB_HEAD_REF"] = "feature"
    times = {}
    # Restore the map cache: this branch's newest entry, else the default branch's.
    branch = env.get("GITHUB_HEAD_REF") or ref.rsplit("/", 1)[-1]
    for key in (f"review-map-{branch}-", "review-map-main-"):
        entries = sorted(e for e in os.listdir(cache) if e.startswith(key))
        if entries:
            shutil.copytree(os.path.join(cache, entries[-1]), os.path.join(workspace, ".git", "review", "maps"))
            break
    status, err = None, ""
    for name in ("Build review", "Install the project and its test dependencies into .venv", "review"):
        with open(files["path"]) as handle:
            extra = [line.strip() for line in handle if line.strip()]
        # Debian's python3 first, as on a runner (an interpreter under /root is out of the sandbox's reach).
        env["PATH"] = ":".join(extra + ["/usr/bin", os.environ["PATH"]])
        started = time.monotonic()
        result = subprocess.run(["bash", "-e", "-c", scripts[name]], cwd=workspace, env=env, capture_output=True,
                                text=True)
        times[name] = time.monotonic() - started
        if name == "review":
            status, err = result.returncode, result.stderr
        elif result.returncode != 0:
            raise SystemExit(f"{label}: step '{name}' failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    maps = os.path.join(workspace, ".git", "review", "maps")
    if os.path.isdir(maps) and os.listdir(maps):
        shutil.copytree(maps, os.path.join(cache, f"review-map-{branch}-{time.time_ns()}"))
    return status, err, times


def main():
    binary = os.path.abspath(sys.argv[1])
    with open(TEMPLATE) as handle:
        scripts = steps(handle.read())
    for name in ("Build review", "Install the project and its test dependencies into .venv", "review"):
        if name not in scripts:
            raise SystemExit(f"{TEMPLATE}: no step named '{name}' with a run script")
    root = tempfile.mkdtemp(prefix="review-templates-")
    os.chmod(root, 0o755)
    try:
        cache = os.path.join(root, "cache")
        os.makedirs(cache)
        upstream, first = scratch_upstream(root)
        main_sha = git(upstream, "rev-parse", "main")
        feature_sha = git(upstream, "rev-parse", "feature")
        # A push to main: a first run, which records the impact map.
        status, err, times = ci_run("push", binary, scripts, upstream, {"before": first, "after": main_sha},
                                    "refs/heads/main", main_sha, root, cache)
        print("first run (push to main): " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()), flush=True)
        if status != 0 or "impact map: recorded" not in err:
            raise SystemExit(f"push run: exit {status}, expected 0 and a recorded map:\n{err}")
        # A pull request: the map from main's run serves it.
        status, err, times = ci_run("pull-request", binary, scripts, upstream,
                                    {"pull_request": {"head": {"sha": feature_sha}}}, "refs/pull/1/merge", feature_sha,
                                    root, cache)
        print("warm run (pull request): " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()), flush=True)
        if status != 1 or "impact map: recorded" in err:
            raise SystemExit(f"pull request run: exit {status}, expected 1 (the broken sub) with main's map:\n{err}")
        print("template steps: ok")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
