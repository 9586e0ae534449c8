#!/usr/bin/env python3
"""Review quality on real projects: mutants that the full suite catches, benign edits.

usage: quality.py REVIEW_BINARY [--small] [--seed 1] [--mutants 30] [--benign 10] [--project NAME]

For each project (pinned below; fetched from PyPI as a source distribution with its test
suite, never committed here): unpack into a temp dir, commit it as `main` (the base), and
generate, reproducibly from the seed, one commit per case on top of it:
  - mutants: one line inside a function changed (a flipped comparison, a constant shifted
    by one, a negated condition, a dropped statement, a different return value), with
    sites found by Python's ast;
  - benign edits: a comment or docstring added, a local variable renamed everywhere in its
    function, two adjacent independent imports swapped.
For every case it runs `review --format json main..case` and, as the oracle, the full test
suite at the case. Detection counts only the mutants the full suite catches; location
counts mutant cases with an error finding whose line range holds the mutated line. The
time ratio is the median review time over the median full-suite time; for the total it is
taken over the projects whose suite runs over 10 s (all projects when none does). Mutant
oracles stop at the first failure (-x); full-suite times come from complete runs (the
base and the benign cases). `silent` counts cases whose changed file had no test selected
(or no task) and no `not-tested` finding: a pass that says nothing.
"""
import argparse
import ast
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

# name, version, directories whose modules get mutated, extra PYTHONPATH entries, test args
PROJECTS = [
    ("inflection", "0.5.1", ["inflection"], [], ["test_inflection.py"]),
    ("toolz", "1.2.0", ["toolz"], [], ["toolz"]),
    ("cachetools", "8.0.2", ["src/cachetools"], ["src"], ["tests"]),
    ("more-itertools", "11.2.1", ["more_itertools"], [], ["tests"]),
]
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else shutil.which("python3")
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="Quality", GIT_AUTHOR_EMAIL="q@example.invalid",
               GIT_COMMITTER_NAME="Quality", GIT_COMMITTER_EMAIL="q@example.invalid",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
               GIT_CONFIG_NOSYSTEM="1")


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, env=GIT_ENV, capture_output=True, text=True).stdout


def fetch(name, version, cache):
    """The sdist from PyPI, kept in `cache`: the archive named in PyPI's simple index,
    downloaded as is (old sdists whose metadata pip cannot build still come), else with
    `pip download --no-binary :all: --no-deps`."""
    os.makedirs(cache, exist_ok=True)
    stem = (name + "-" + version).replace("-", "_").lower()

    def cached():
        for entry in sorted(os.listdir(cache)):
            if entry.lower().replace("-", "_") == stem + ".tar.gz":
                return os.path.join(cache, entry)
        return None

    if cached():
        return cached()
    try:
        download_from_index(name, stem, cache)
    except (OSError, ValueError) as error:
        print(f"  {name} {version}: not from the simple index ({error}); trying pip", flush=True)
    if cached():
        return cached()
    pip = [sys.executable, "-m", "pip"] if subprocess.run([sys.executable, "-m", "pip", "--version"],
                                                        capture_output=True).returncode == 0 else ["pip3"]
    subprocess.run(pip + ["download", "-q", "--no-binary", ":all:", "--no-deps", f"{name}=={version}", "-d", cache],
                   check=True)
    if cached():
        return cached()
    raise SystemExit(f"pip download of {name}=={version} left no {stem}.tar.gz in {cache}")


def download_from_index(name, stem, cache):
    """Saves the `<stem>.tar.gz` that https://pypi.org/simple/<name>/ links to into `cache`."""
    import ssl
    import urllib.parse
    import urllib.request
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    context = ssl.create_default_context(cafile=bundle if os.path.exists(bundle) else None)
    index = f"https://pypi.org/simple/{name}/"
    with urllib.request.urlopen(index, timeout=60, context=context) as response:
        page = response.read().decode("utf-8", "replace")
    for href in re.findall(r'href="([^"]+)"', page):
        url = urllib.parse.urljoin(index, href.replace("&amp;", "&"))
        file_name = urllib.parse.unquote(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1])
        if file_name.lower().replace("-", "_") != stem + ".tar.gz":
            continue
        partial = os.path.join(cache, file_name + ".partial")
        with urllib.request.urlopen(url, timeout=120, context=context) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
        os.replace(partial, os.path.join(cache, file_name))
        return
    raise ValueError(f"no {stem}.tar.gz listed")


def unpack(archive, work):
    with tarfile.open(archive) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(work, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(work)
    root = os.path.join(work, top)
    # Without the data filter (Python < 3.11.4) root keeps the archive's owners, and git
    # then refuses the repository as another user's: own everything.
    owner = (os.getuid(), os.getgid()) if os.geteuid() == 0 else None
    for directory, _, names in os.walk(root):
        if owner:
            os.lchown(directory, *owner)
            for name in names:
                os.lchown(os.path.join(directory, name), *owner)
        os.chmod(directory, 0o755)
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)
    return root


def run_suite(repo, paths, args, stop_first=False, timeout=600):
    """The project's full test suite at the checked-out revision: (passed, seconds)."""
    env = dict(os.environ, PYTHONPATH=":".join(os.path.join(repo, p) for p in paths), PYTHONDONTWRITEBYTECODE="1")
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["-x"] if stop_first else []) + args
    started = time.monotonic()
    try:
        result = subprocess.run(command, cwd=repo, env=env, capture_output=True, timeout=timeout)
        passed = result.returncode == 0
    except subprocess.TimeoutExpired:
        passed = False
    return passed, time.monotonic() - started


# ---------------------------------------------------------------------------- sites

def function_nodes(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def one_line(node):
    return getattr(node, "lineno", None) is not None and node.lineno == node.end_lineno


FLIP = {ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=", ast.GtE: "<", ast.Eq: "!=", ast.NotEq: "==",
        ast.Is: "is not", ast.IsNot: "is", ast.In: "not in", ast.NotIn: "in"}


def mutant_sites(path, source):
    """(kind, line, start column, end column, replacement) inside functions, one line each."""
    tree = ast.parse(source)
    lines = source.splitlines()
    sites = []
    for function in function_nodes(tree):
        body_start = function.body[0].lineno
        if isinstance(function.body[0], ast.Expr) and isinstance(getattr(function.body[0], "value", None), ast.Constant):
            if len(function.body) == 1:
                continue
            body_start = function.body[1].lineno
        for node in ast.walk(function):
            if not one_line(node) or getattr(node, "lineno", 0) < body_start:
                continue
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIP:
                text = f"{ast.get_source_segment(source, node.left)} {FLIP[type(node.ops[0])]} " \
                       f"{ast.get_source_segment(source, node.comparators[0])}"
                sites.append(("flip comparison", node.lineno, node.col_offset, node.end_col_offset, text))
            elif isinstance(node, ast.Constant) and type(node.value) is int:
                sites.append(("shift constant", node.lineno, node.col_offset, node.end_col_offset, str(node.value + 1)))
            elif isinstance(node, (ast.If, ast.While)) and one_line(node.test):
                test = ast.get_source_segment(source, node.test)
                sites.append(("negate condition", node.test.lineno, node.test.col_offset, node.test.end_col_offset,
                              f"not ({test})"))
            elif isinstance(node, ast.Return) and node.value is not None:
                value = node.value
                replacement = "None" if not (isinstance(value, ast.Constant) and value.value is None) else "0"
                sites.append(("return other value", value.lineno, value.col_offset, value.end_col_offset, replacement))
        for statements in [function.body] + [n.body for n in ast.walk(function) if isinstance(n, (ast.For, ast.While, ast.If, ast.With))]:
            if len(statements) < 2:
                continue
            for statement in statements:
                if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Expr)) and one_line(statement) \
                        and statement.lineno >= body_start and not isinstance(getattr(statement, "value", None), ast.Constant):
                    line = lines[statement.lineno - 1]
                    if line.strip().startswith(ast.get_source_segment(source, statement)[:10]):
                        sites.append(("drop statement", statement.lineno, statement.col_offset, statement.end_col_offset,
                                      "pass"))
    return sites


def benign_sites(path, source):
    """(kind, edit function) pairs; each edit returns the new source."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    sites = []
    for function in function_nodes(tree):
        first = function.body[0]
        indent = " " * first.col_offset
        if first.lineno == function.lineno:
            continue

        def add_comment(at=first.lineno, indent=indent):
            new = list(lines)
            new.insert(at - 1, f"{indent}# Reviewed: behaviour unchanged.\n")
            return "".join(new)
        sites.append(("add comment", add_comment))
        has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
        if not has_docstring:
            def add_docstring(at=first.lineno, indent=indent):
                new = list(lines)
                new.insert(at - 1, f'{indent}"""Reviewed helper."""\n')
                return "".join(new)
            sites.append(("add docstring", add_docstring))
        rename = renamable_local(function)
        if rename:
            name, occurrences = rename

            def rename_local(name=name, occurrences=occurrences):
                new = source.splitlines(keepends=True)
                for line, start, end in sorted(occurrences, reverse=True):
                    text = new[line - 1]
                    new[line - 1] = text[:start] + name + "_renamed" + text[end:]
                return "".join(new)
            sites.append(("rename local", rename_local))
    body = tree.body
    for first, second in zip(body, body[1:]):
        if isinstance(first, ast.Import) and isinstance(second, ast.Import) and one_line(first) and one_line(second) \
                and second.lineno == first.lineno + 1 and all(alias.name.split(".")[0] in sys.stdlib_module_names
                                                              for alias in first.names + second.names):
            def swap(a=first.lineno, b=second.lineno):
                new = list(lines)
                new[a - 1], new[b - 1] = new[b - 1], new[a - 1]
                return "".join(new)
            sites.append(("swap imports", swap))
    return sites


def renamable_local(function):
    """A local assigned in the function and used only as plain names in it (no nested scopes,
    no locals()/eval), with the positions of every use; or None."""
    arguments = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    nested = [n for n in ast.walk(function) if n is not function and isinstance(
        n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
            ast.DictComp, ast.GeneratorExp, ast.Global, ast.Nonlocal))]
    if nested:
        return None
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("locals", "vars", "eval", "exec")
           for n in ast.walk(function)):
        return None
    # Names bound by statements that do not spell them as ast.Name (except ... as e,
    # import ... as m, match patterns) cannot be renamed by editing the Name nodes.
    arguments |= {n.name for n in ast.walk(function) if isinstance(n, ast.ExceptHandler) and n.name}
    arguments |= {(a.asname or a.name).split(".")[0] for n in ast.walk(function) if isinstance(n, (ast.Import, ast.ImportFrom))
                  for a in n.names}
    arguments |= {n.name for n in ast.walk(function) if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name}
    names = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and one_line(node):
            names.setdefault(node.id, []).append(node)
    for name in sorted(names):
        uses = names[name]
        if name in arguments or not any(isinstance(u.ctx, ast.Store) for u in uses) or len(name) < 2:
            continue
        return name, [(u.lineno, u.col_offset, u.end_col_offset) for u in uses]
    return None


# ---------------------------------------------------------------------------- cases

def make_cases(repo, source_dirs, rng, mutants, benign):
    files = []
    for directory in source_dirs:
        for folder, subfolders, names in os.walk(os.path.join(repo, directory)):
            subfolders[:] = sorted(d for d in subfolders if d not in ("tests", "test", "__pycache__"))
            for name in sorted(names):
                if name.endswith(".py") and not name.startswith("test_"):
                    files.append(os.path.relpath(os.path.join(folder, name), repo))
    all_mutants, all_benign = [], []
    for path in files:
        with open(os.path.join(repo, path)) as handle:
            source = handle.read()
        for site in mutant_sites(path, source):
            all_mutants.append((path, source, site))
        for kind, edit in benign_sites(path, source):
            all_benign.append((path, source, kind, edit))
    rng.shuffle(all_mutants)
    rng.shuffle(all_benign)
    cases = []
    for path, source, (kind, line, start, end, replacement) in all_mutants:
        if len([c for c in cases if c["type"] == "mutant"]) >= mutants:
            break
        lines = source.splitlines(keepends=True)
        text = lines[line - 1]
        lines[line - 1] = text[:start] + replacement + text[end:]
        new = "".join(lines)
        if new == source or not compiles(new):
            continue
        cases.append({"type": "mutant", "kind": kind, "file": path, "line": line, "source": new,
                      "change": f"{text.strip()}  ->  {lines[line - 1].strip()}"})
    # Spread the benign edits over their kinds.
    by_kind = {}
    for entry in all_benign:
        by_kind.setdefault(entry[2], []).append(entry)
    order = []
    while any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind]:
                order.append(by_kind[kind].pop())
    for path, source, kind, edit in order:
        if len([c for c in cases if c["type"] == "benign"]) >= benign:
            break
        new = edit()
        if new == source or not compiles(new):
            continue
        cases.append({"type": "benign", "kind": kind, "file": path, "line": None, "source": new, "change": kind})
    for number, case in enumerate(cases):
        case["branch"] = f"case-{number:02d}"
        git(repo, "checkout", "-q", "-B", case["branch"], "main")
        with open(os.path.join(repo, case["file"]), "w") as handle:
            handle.write(case["source"])
        git(repo, "commit", "-q", "-am", f"{case['type']}: {case['kind']} in {case['file']}")
    git(repo, "checkout", "-q", "main")
    return cases


def compiles(source):
    try:
        compile(source, "<case>", "exec")
        return True
    except SyntaxError:
        return False


def review(binary, repo, branch):
    started = time.monotonic()
    result = subprocess.run([binary, "--python", PYTHON, "--format", "json", f"main..{branch}"], cwd=repo,
                            capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    if result.returncode not in (0, 1):
        return None, None, seconds, result.stderr.strip()
    report = json.loads(result.stdout)
    return [f for f in report["findings"] if f["severity"] == "error"], report, seconds, result.stderr.strip()


def is_silent(report, path):
    """Whether the report lets a changed file pass with no test run for it and no
    `not-tested` finding: its task is missing or selected no test, yet nothing says so."""
    if report is None:
        return False
    if any(f["kind"] == "not-tested" and f["file"] == path for f in report["findings"]):
        return False
    task = next((t for t in report.get("tasks", []) if t["path"] == path), None)
    return task is None or not task["tests"] or task.get("testNodes") == []


def percent(part, whole):
    return 100.0 * part / whole if whole else 100.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("review")
    parser.add_argument("--small", action="store_true", help="one project, a handful of cases (CI smoke test)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutants", type=int, default=30)
    parser.add_argument("--benign", type=int, default=10)
    parser.add_argument("--project", action="append", default=[])
    parser.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                                         "review-quality"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    projects = PROJECTS
    if args.small:
        projects, args.mutants, args.benign = PROJECTS[:1], 4, 2
    if args.project:
        projects = [p for p in PROJECTS if p[0] in args.project]
    binary = os.path.abspath(args.review)
    totals = {"caught": 0, "detected": 0, "benign": 0, "alarms": 0, "flagged": 0, "located": 0, "silent": 0, "cases": 0}
    ratios = []
    work = tempfile.mkdtemp(prefix="review-quality-")
    os.chmod(work, 0o755)
    try:
        for name, version, source_dirs, paths, test_args in projects:
            archive = fetch(name, version, args.cache)
            repo = unpack(archive, os.path.join(work, name))
            subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=GIT_ENV)
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "base")
            passed, base_seconds = run_suite(repo, paths, test_args)
            if not passed:
                print(f"{name} {version}: the full suite fails at base; skipped", flush=True)
                continue
            rng = random.Random(f"{args.seed}-{name}")
            cases = make_cases(repo, source_dirs, rng, args.mutants, args.benign)
            suite_times = [base_seconds]
            review_times = []
            rows = []
            silent_cases = []
            for case in cases:
                git(repo, "checkout", "-q", case["branch"])
                caught, seconds = run_suite(repo, paths, test_args, stop_first=case["type"] == "mutant")
                if case["type"] == "benign":
                    suite_times.append(seconds)
                git(repo, "checkout", "-q", "main")
                errors, report, review_seconds, stderr = review(binary, repo, case["branch"])
                review_times.append(review_seconds)
                if errors is None:
                    print(f"  {case['branch']}: review failed: {stderr}", flush=True)
                    errors = []
                located = any(e["file"] == case["file"] and e["line"] <= case["line"] <= e["endLine"]
                              for e in errors) if case["type"] == "mutant" else False
                rows.append((case, not caught, bool(errors), located))
                if is_silent(report, case["file"]):
                    silent_cases.append(case)
                if args.verbose:
                    print(f"  {case['branch']} {case['type']:6} {case['kind']:18} {case['file']}:{case['line']} "
                          f"suite {'fails' if not caught else 'passes'}, review {len(errors)} error(s)"
                          f"{', located' if located else ''}, {review_seconds:.1f} s  [{case['change'][:70]}]",
                          flush=True)
            mutants = [r for r in rows if r[0]["type"] == "mutant"]
            # A "benign" edit that the full suite rejects is not benign: not counted.
            benign = [r for r in rows if r[0]["type"] == "benign" and not r[1]]
            caught = [r for r in mutants if r[1]]
            detected = [r for r in caught if r[2]]
            flagged = [r for r in mutants if r[2]]
            located = [r for r in flagged if r[3]]
            alarms = [r for r in benign if r[2]]
            suite_median = statistics.median(suite_times)
            review_median = statistics.median(review_times) if review_times else 0.0
            ratio = review_median / suite_median if suite_median else 0.0
            ratios.append((suite_median, ratio))
            print(f"\n{name} {version}: {len(mutants)} mutants ({len(caught)} caught by the full suite), "
                  f"{len(benign)} benign edits")
            print(f"  {'detection':<13} {len(detected):>3} / {len(caught):<3} {percent(len(detected), len(caught)):6.1f}%")
            print(f"  {'false alarms':<13} {len(alarms):>3} / {len(benign):<3} {percent(len(alarms), len(benign)) if benign else 0.0:6.1f}%")
            print(f"  {'location':<13} {len(located):>3} / {len(flagged):<3} {percent(len(located), len(flagged)):6.1f}%")
            print(f"  {'time':<13} review {review_median:.2f} s / full suite {suite_median:.2f} s = {ratio:.2f}")
            print(f"  {'silent':<13} {len(silent_cases):>3} / {len(rows):<3} {percent(len(silent_cases), len(rows)) if rows else 0.0:6.1f}%",
                  flush=True)
            for case in silent_cases:
                print(f"  silent: {case['branch']} {case['file']}")
            for case, caught_it, flagged_it, located_it in mutants:
                if caught_it and not flagged_it:
                    print(f"  missed: {case['branch']} {case['kind']} {case['file']}:{case['line']}  [{case['change'][:80]}]")
            for case, _, flagged_it, _ in benign:
                if flagged_it:
                    print(f"  false alarm: {case['branch']} {case['kind']} {case['file']}")
            totals["caught"] += len(caught)
            totals["detected"] += len(detected)
            totals["benign"] += len(benign)
            totals["alarms"] += len(alarms)
            totals["flagged"] += len(flagged)
            totals["located"] += len(located)
            totals["silent"] += len(silent_cases)
            totals["cases"] += len(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    slow = [ratio for seconds, ratio in ratios if seconds > 10] or [ratio for _, ratio in ratios]
    print()
    print(f"detection: {percent(totals['detected'], totals['caught']):.1f}%")
    print(f"false alarms: {percent(totals['alarms'], totals['benign']) if totals['benign'] else 0.0:.1f}%")
    print(f"location: {percent(totals['located'], totals['flagged']):.1f}%")
    print(f"time ratio: {statistics.median(slow) if slow else 0.0:.2f}")
    print(f"silent: {percent(totals['silent'], totals['cases']) if totals['cases'] else 0.0:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
