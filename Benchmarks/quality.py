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
Behaviour review: `witnessed` counts the mutants the full suite does *not* catch (they
survive) that get a `behaviour-change` finding whose suggested test passes at base and
fails at the case, checked here with plain pytest outside review; `behaviour false alarms`
counts benign edits with any `behaviour-change` finding. Some survivors are equivalent to
the original and can never be witnessed (`--verbose` lists the ones not witnessed); the
ones checked by hand and found equivalent are listed in EQUIVALENT with how, and the
totals also give `witnessed` over the survivors that are not among them.
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

# Surviving mutants checked by hand and found equivalent to the original, by project, file
# and the mutated line as it was (any mutation of it; None: any line of the file): how each
# was checked.
EQUIVALENT = {
    ("inflection", "inflection/__init__.py", "PLURALS.insert(0, ("):
        "rule order in _irregular(): pluralize and singularize give the same result on 973 words "
        "(the test vocabulary, upper-case, capitalized, prefixed and suffixed) with insert(1)",
    ("inflection", "inflection/__init__.py", "SINGULARS.insert(0, ("):
        "rule order in _irregular(): as for PLURALS, no word of 973 differs",
    ("toolz", "toolz/functoolz.py", "return _check_sigspec_orig(sigspec, func, builtin_func, *builtin_args)"):
        "inside `if PYPY:`, never defined on CPython",
    ("python-dateutil", "src/dateutil/tz/win.py", None):
        "Windows only: the module imports winreg, so on Linux no test and no probe can run it",
    ("sqlitedict", "sqlitedict.py", 'logger.debug("opening Sqlite table %r in %r" % (tablename, filename))'):
        "a debug log line: with no handler at DEBUG (the tests configure none) nothing observable changes",
    ("Markdown", "markdown/htmlparser.py", "self.lineno_start_cache = [0]"):
        "HTMLExtractor.__init__ calls HTMLParser.__init__, which calls reset(), which sets the same "
        "list (line 103; md_in_html's reset() calls it too)",
    ("more-itertools", "more_itertools/recipes.py",
     "return _running_median_minheap_and_maxheap(iterator)  # pragma: no cover"):
        "runs only where heapq has max-heap functions (Python 3.14), never on the benchmark's 3.11",
    ("more-itertools", "more_itertools/recipes.py", "bases = (_private_randrange(2, n - 1) for i in range(64))"):
        "is_prime above 3.3e24 draws 64 Miller-Rabin bases from an unseeded generator; one less in the "
        "range changes no answer (a composite passes 64 random bases with probability below 4**-64)",
    ("parso", "parso/python/pep8.py", "start_pos"):
        "an expression statement that only names a local: dropping it changes nothing",
    ("Markdown", "markdown/inlinepatterns.py", "start_quote = -1"):
        "LinkInlineProcessor.getLink reads start_quote only when exit_quote >= 0, which needs a quote, "
        "and finding the quote sets start_quote",
}


def equivalent(project, case):
    original = case["change"].split("  ->  ")[0]
    return EQUIVALENT.get((project, case["file"], original)) or EQUIVALENT.get((project, case["file"], None))

# The zoo: pinned PyPI releases chosen for their different test set-ups. `mutate` lists the
# directories or files whose modules get mutants, `path` the PYTHONPATH entries the suite
# needs, `tests` the oracle's arguments (what the project's own CI runs), `runner` pytest or
# unittest (as the project declares it), `deselect` the tests that cannot pass on this
# machine at any revision, with why (the oracle leaves them out; review runs them and must
# report them as pre-existing, not as findings of the change).
PROJECTS = [
    dict(name="inflection", version="0.5.1", mutate=["inflection"], tests=["test_inflection.py"],
         setup="one module beside its test file, no configuration"),
    dict(name="toolz", version="1.2.0", mutate=["toolz"], tests=["toolz"],
         setup="tests inside the package"),
    dict(name="cachetools", version="8.0.2", mutate=["src/cachetools"], path=["src"], tests=["tests"],
         setup="src layout"),
    dict(name="more-itertools", version="11.2.1", mutate=["more_itertools"], tests=["tests"],
         setup="suite over 15 s, hub module"),
    dict(name="semver", version="3.0.2", mutate=["src/semver"], path=["src"],
         setup="src layout; setup.cfg: testpaths, pythonpath, addopts --cov, --doctest-modules, "
               "--doctest-glob, --import-mode=importlib"),
    dict(name="attrs", version="24.2.0", mutate=["src/attr", "src/attrs"], path=["src"],
         deselect=[("tests/test_converters.py::TestPipe::test_wrapped_annotation",
                    "fails at the release on CPython 3.11.2 (annotation of a wrapped converter)")],
         setup="src layout; pyproject.toml testpaths; Hypothesis; the root conftest imports "
               "Hypothesis (an optional 'tests' extra)"),
    dict(name="pluggy", version="1.5.0", mutate=["src/pluggy"], path=["src"],
         setup="src layout; tox.ini [pytest] testpaths, filterwarnings = error; pytest itself "
               "imports the mutated package"),
    dict(name="parso", version="0.8.4", mutate=["parso"],
         setup="pytest.ini: testpaths, norecursedirs, --doctest-modules, usefixtures"),
    dict(name="Markdown", version="3.7", mutate=["markdown"], runner="unittest", tests=["discover", "-s", "tests"],
         setup="unittest suite (tox runs `unittest discover`); one module pytest cannot collect"),
    dict(name="sqlitedict", version="2.1.0", mutate=["sqlitedict.py"],
         deselect=[("tests/test_core.py::SqliteDictTerminateFailTest::test_terminate_cannot_delete",
                    "expects a read-only directory to stop a delete, which root ignores"),
                   ("tests/test_autocommit.py::test",
                    "needs the empty tests/db directory of the sdist, which a git commit does not keep")],
         setup="unittest-style TestCases; the tests write databases into tests/db in the tree"),
    dict(name="urlextract", version="1.9.0", mutate=["urlextract"],
         deselect=[(f"tests/unit/test_dns.py::{name}", "resolves names over the network")
                   for name in ("test_dns_cache_init", "test_dns_cache_reuse", "test_dns_cache_negative")],
         setup="unmarked network tests; the conftest imports dnspython, an optional dependency"),
    dict(name="pydash", version="8.0.3", mutate=["src/pydash"], path=["src"],
         tests=["src/pydash", "tests", "--ignore=tests/pytest_mypy_testing", "--cov=pydash"],
         setup="src layout; pyproject.toml addopts: --doctest-modules, --cov-fail-under=100, "
               "--junitxml and coverage reports written into build/"),
    dict(name="python-dateutil", version="2.9.0.post0", mutate=["src/dateutil"], path=["src"],
         setup="src layout; setup.cfg python_files (three patterns), filterwarnings = error; "
               "Hypothesis; freezegun"),
]
# The benchmark's interpreter: a virtualenv made from Debian's python3 (the sandbox drops
# root, so an interpreter under /root is out of reach) with every project's test
# dependencies, pinned. The same interpreter runs the oracle and `review --python`.
REQUIREMENTS = [
    "pytest==8.3.3", "pytest-cov==5.0.0", "coverage==7.6.1", "hypothesis==6.112.1", "attrs==24.2.0",
    "sortedcontainers==2.4.0", "freezegun==1.5.1", "pympler==1.1", "cloudpickle==3.0.0",
    "typing-extensions==4.12.2", "six==1.16.0", "idna==3.10", "uritools==4.0.3", "platformdirs==4.3.6",
    "filelock==3.16.1", "dnspython==2.7.0", "pyyaml==6.0.2",
]
BASE_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else shutil.which("python3")
PYTHON = BASE_PYTHON  # replaced by the virtualenv's interpreter in main()
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


def benchmark_python(venv):
    """The virtualenv's interpreter, made (or remade when REQUIREMENTS changed) from Debian's
    python3 and readable by every user, so the sandbox's unprivileged uid can run it."""
    stamp = os.path.join(venv, "review-quality-requirements.txt")
    wanted = "\n".join(REQUIREMENTS) + "\n"
    python = os.path.join(venv, "bin", "python3")
    if os.path.exists(stamp) and open(stamp).read() == wanted and os.access(python, os.X_OK):
        return python
    print(f"making the benchmark's virtualenv in {venv} ({len(REQUIREMENTS)} pinned packages from PyPI)", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    os.makedirs(os.path.dirname(venv) or ".", exist_ok=True)
    subprocess.run([BASE_PYTHON, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS], check=True)
    for directory, _, names in os.walk(venv):
        os.chmod(directory, os.stat(directory).st_mode | 0o755)
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o444)
    with open(stamp, "w") as handle:
        handle.write(wanted)
    return python


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


def run_suite(repo, project, stop_first=False, timeout=600):
    """The project's full test suite at the checked-out revision, as its own CI runs it, less
    the tests this machine cannot pass: (passed, seconds). What the run writes into the tree
    is cleaned away after it."""
    env = dict(os.environ, PYTHONPATH=":".join(os.path.join(repo, p) for p in project.get("path", [])),
               PYTHONDONTWRITEBYTECODE="1")
    if project.get("runner") == "unittest":
        # `discover` first: unittest's options follow its subcommand.
        command = [PYTHON, "-m", "unittest", project["tests"][0], "-q"] + (["-f"] if stop_first else []) \
            + project["tests"][1:]
    else:
        deselect = [arg for node, _ in project.get("deselect", []) for arg in ("--deselect", node)]
        command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["-x"] if stop_first else []) \
            + deselect + project.get("tests", [])
    started = time.monotonic()
    try:
        result = subprocess.run(command, cwd=repo, env=env, capture_output=True, timeout=timeout)
        passed = result.returncode == 0
    except subprocess.TimeoutExpired:
        passed = False
    seconds = time.monotonic() - started
    git(repo, "clean", "-q", "-f", "-d", "-x")
    return passed, seconds


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

def source_files(repo, source_dirs):
    """The modules to edit: the files named, and the non-test .py files under the directories."""
    files = []
    for directory in source_dirs:
        if os.path.isfile(os.path.join(repo, directory)):
            files.append(directory)
            continue
        for folder, subfolders, names in os.walk(os.path.join(repo, directory)):
            subfolders[:] = sorted(d for d in subfolders if d not in ("tests", "test", "__pycache__"))
            for name in sorted(names):
                if name.endswith(".py") and not name.startswith("test_"):
                    files.append(os.path.relpath(os.path.join(folder, name), repo))
    return files


def make_cases(repo, source_dirs, rng, mutants, benign):
    files = source_files(repo, source_dirs)
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


def advance(repo, source_dirs, rng, count):
    """Moves `main` on by `count` commits of benign edits (comments, docstrings, renamed
    locals, swapped imports: what ordinary commits do to code the tests run); returns the
    commit it started from."""
    start = git(repo, "rev-parse", "HEAD").strip()
    files = source_files(repo, source_dirs)
    made = 0
    while made < count:
        path = rng.choice(files)
        with open(os.path.join(repo, path)) as handle:
            source = handle.read()
        sites = benign_sites(path, source)
        if not sites:
            continue
        new = rng.choice(sites)[1]()
        if new == source or not compiles(new):
            continue
        with open(os.path.join(repo, path), "w") as handle:
            handle.write(new)
        git(repo, "commit", "-q", "-am", f"history {made + 1}: {path}")
        made += 1
    return start


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


def pin_holds(repo, project, finding, branch):
    """Whether a behaviour-change finding's suggested test passes at base (main) and fails
    at `branch`, checked here, outside review: the file written into each checkout and run
    with plain pytest on its own (no project conftest or addopts, as the suggestion asks for
    nothing else), with the suite's PYTHONPATH."""
    suggestion = finding.get("suggestion") or {}
    path, content = suggestion.get("newFile"), suggestion.get("replacement")
    if not path or not content:
        return False
    env = dict(os.environ, PYTHONPATH=":".join([repo] + [os.path.join(repo, p) for p in project.get("path", [])]),
               PYTHONDONTWRITEBYTECODE="1")
    ini = os.path.join(tempfile.mkdtemp(prefix="review-pin-"), "pytest.ini")
    with open(ini, "w") as handle:
        handle.write("[pytest]\n")
    codes = []
    for revision in ("main", branch):
        git(repo, "checkout", "-q", revision)
        target = os.path.join(repo, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write(content)
        try:
            result = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", "-c", ini,
                                     "--rootdir", repo, target], cwd=repo, env=env, capture_output=True, timeout=120)
            codes.append(result.returncode)
        except subprocess.TimeoutExpired:
            codes.append("timeout")
        git(repo, "clean", "-q", "-f", "-d", "-x")
        git(repo, "checkout", "-q", "--", ".")
    git(repo, "checkout", "-q", "main")
    shutil.rmtree(os.path.dirname(ini), ignore_errors=True)
    return codes[0] == 0 and codes[1] in (1, "timeout")


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
    parser.add_argument("--venv", default="/var/tmp/review-quality-venv",
                        help="the benchmark's virtualenv (made when missing; must be readable by every user)")
    parser.add_argument("--stale-map", type=int, default=0, metavar="N",
                        help="review every case with the impact map recorded N commits (benign edits) before its base")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    projects = PROJECTS
    if args.small:
        projects, args.mutants, args.benign = PROJECTS[:1], 4, 2
    if args.project:
        projects = [p for p in PROJECTS if p["name"] in args.project]
        unknown = set(args.project) - {p["name"] for p in projects}
        if unknown:
            raise SystemExit(f"unknown project(s): {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(p['name'] for p in PROJECTS)}")
    global PYTHON
    binary = os.path.abspath(args.review)
    totals = {"caught": 0, "detected": 0, "benign": 0, "alarms": 0, "flagged": 0, "located": 0, "silent": 0, "cases": 0,
              "survivors": 0, "witnessed": 0, "behaviour_alarms": 0, "equivalent": 0}
    ratios = []
    table = []
    work = tempfile.mkdtemp(prefix="review-quality-")
    os.chmod(work, 0o755)
    try:
        PYTHON = benchmark_python(args.venv)
        for project in projects:
            name, version = project["name"], project["version"]
            archive = fetch(name, version, args.cache)
            repo = unpack(archive, os.path.join(work, name))
            subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=GIT_ENV)
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "base")
            passed, base_seconds = run_suite(repo, project)
            if not passed:
                print(f"{name} {version}: the full suite fails at base; skipped", flush=True)
                continue
            rng = random.Random(f"{args.seed}-{name}")
            saved_map = None
            if args.stale_map:
                # Record the impact map at a commit `stale_map` commits before the base the
                # cases sit on, and give every case review that map, as a CI cache would.
                start = advance(repo, project["mutate"], rng, args.stale_map)
                first = git(repo, "rev-list", "--reverse", f"{start}..main").split()[0]
                recorded = subprocess.run([binary, "--python", PYTHON, "--format", "json", f"{start}..{first}"],
                                          cwd=repo, capture_output=True, text=True, timeout=3600)
                maps = os.path.join(repo, ".git", "review", "maps")
                if "impact map: recorded" not in recorded.stderr or not os.path.isdir(maps):
                    raise SystemExit(f"{name}: no impact map recorded at {start[:9]}: {recorded.stderr.strip()[-300:]}")
                saved_map = os.path.join(work, name + "-map")
                shutil.copytree(maps, saved_map)
            cases = make_cases(repo, project["mutate"], rng, args.mutants, args.benign)
            suite_times = [base_seconds]
            review_times = []
            rows = []
            silent_cases = []
            for case in cases:
                git(repo, "checkout", "-q", case["branch"])
                # A mutant that makes the suite hang counts as caught after ten times the base's time.
                caught, seconds = run_suite(repo, project, stop_first=case["type"] == "mutant",
                                            timeout=max(60.0, 10 * base_seconds))
                if case["type"] == "benign":
                    suite_times.append(seconds)
                git(repo, "checkout", "-q", "main")
                if saved_map:
                    maps = os.path.join(repo, ".git", "review", "maps")
                    shutil.rmtree(maps, ignore_errors=True)
                    shutil.copytree(saved_map, maps)
                errors, report, review_seconds, stderr = review(binary, repo, case["branch"])
                review_times.append(review_seconds)
                if errors is None:
                    print(f"  {case['branch']}: review failed: {stderr}", flush=True)
                    errors = []
                located = any(e["file"] == case["file"] and e["line"] <= case["line"] <= e["endLine"]
                              for e in errors) if case["type"] == "mutant" else False
                changes = [f for f in (report or {}).get("findings", [])
                           if f["kind"] == "behaviour-change" and f["file"] == case["file"]]
                # A surviving mutant is witnessed by a behaviour-change finding whose pinned test
                # holds up outside review; a benign edit must have none.
                witnessed = caught and case["type"] == "mutant" and \
                    any(pin_holds(repo, project, f, case["branch"]) for f in changes)
                case["behaviour"] = bool(changes)
                case["witnessed"] = witnessed
                rows.append((case, not caught, bool(errors), located))
                if is_silent(report, case["file"]):
                    silent_cases.append(case)
                if args.verbose:
                    print(f"  {case['branch']} {case['type']:6} {case['kind']:18} {case['file']}:{case['line']} "
                          f"suite {'fails' if not caught else 'passes'}, review {len(errors)} error(s)"
                          f"{', located' if located else ''}{', behaviour change' if changes else ''}"
                          f"{' (witnessed)' if witnessed else ''}, {review_seconds:.1f} s  [{case['change'][:70]}]",
                          flush=True)
            mutants = [r for r in rows if r[0]["type"] == "mutant"]
            # A "benign" edit that the full suite rejects is not benign: not counted.
            benign = [r for r in rows if r[0]["type"] == "benign" and not r[1]]
            caught = [r for r in mutants if r[1]]
            detected = [r for r in caught if r[2]]
            flagged = [r for r in mutants if r[2]]
            located = [r for r in flagged if r[3]]
            alarms = [r for r in benign if r[2]]
            survivors = [r for r in mutants if not r[1]]
            witnessed = [r for r in survivors if r[0]["witnessed"]]
            known = [r for r in survivors if not r[0]["witnessed"] and equivalent(name, r[0])]
            behaviour_alarms = [r for r in benign if r[0]["behaviour"]]
            suite_median = statistics.median(suite_times)
            review_median = statistics.median(review_times) if review_times else 0.0
            ratio = review_median / suite_median if suite_median else 0.0
            ratios.append((suite_median, ratio))
            print(f"\n{name} {version}: {len(mutants)} mutants ({len(caught)} caught by the full suite), "
                  f"{len(benign)} benign edits")
            print(f"  {'set-up':<13} {project['setup']}")
            if args.stale_map:
                print(f"  {'impact map':<13} recorded {args.stale_map} commits before the base, restored for every case")
            for node, why in project.get("deselect", []):
                print(f"  {'not in oracle':<13} {node}: {why}")
            print(f"  {'detection':<13} {len(detected):>3} / {len(caught):<3} {percent(len(detected), len(caught)):6.1f}%")
            print(f"  {'false alarms':<13} {len(alarms):>3} / {len(benign):<3} {percent(len(alarms), len(benign)) if benign else 0.0:6.1f}%")
            print(f"  {'location':<13} {len(located):>3} / {len(flagged):<3} {percent(len(located), len(flagged)):6.1f}%")
            print(f"  {'witnessed':<13} {len(witnessed):>3} / {len(survivors):<3} {percent(len(witnessed), len(survivors)):6.1f}%"
                  "  (mutants the full suite misses, shown by a behaviour-change whose pinned test holds)")
            if known:
                rest = len(survivors) - len(known)
                print(f"  {'':<13} {len(witnessed):>3} / {rest:<3} {percent(len(witnessed), rest) if rest else 0.0:6.1f}%"
                      f"  without the {len(known)} checked by hand and equivalent")
            print(f"  {'behaviour FA':<13} {len(behaviour_alarms):>3} / {len(benign):<3} "
                  f"{percent(len(behaviour_alarms), len(benign)) if benign else 0.0:6.1f}%")
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
                if case["behaviour"]:
                    print(f"  behaviour false alarm: {case['branch']} {case['kind']} {case['file']}")
            for case, _, _, _ in survivors:
                if not case["witnessed"]:
                    why = equivalent(name, case)
                    print(f"  not witnessed: {case['branch']} {case['kind']} {case['file']}:{case['line']}  [{case['change'][:80]}]"
                          + (f"\n    equivalent (checked by hand): {why}" if why else ""))
            table.append((f"{name} {version}", len(caught), percent(len(detected), len(caught)),
                          len(benign), percent(len(alarms), len(benign)) if benign else 0.0,
                          percent(len(located), len(flagged)), review_median, suite_median, ratio,
                          percent(len(silent_cases), len(rows)) if rows else 0.0))
            totals["caught"] += len(caught)
            totals["detected"] += len(detected)
            totals["benign"] += len(benign)
            totals["alarms"] += len(alarms)
            totals["flagged"] += len(flagged)
            totals["located"] += len(located)
            totals["silent"] += len(silent_cases)
            totals["cases"] += len(rows)
            totals["survivors"] += len(survivors)
            totals["witnessed"] += len(witnessed)
            totals["equivalent"] += len(known)
            totals["behaviour_alarms"] += len(behaviour_alarms)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    slow = [ratio for seconds, ratio in ratios if seconds > 10] or [ratio for _, ratio in ratios]
    print()
    print("| project | caught mutants | detection | benign | false alarms | location | review / suite | ratio | silent |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print("| {} | {} | {:.1f}% | {} | {:.1f}% | {:.1f}% | {:.2f} s / {:.2f} s | {:.2f} | {:.1f}% |".format(*row))
    print()
    print(f"detection: {percent(totals['detected'], totals['caught']):.1f}%")
    print(f"false alarms: {percent(totals['alarms'], totals['benign']) if totals['benign'] else 0.0:.1f}%")
    print(f"location: {percent(totals['located'], totals['flagged']):.1f}%")
    print(f"time ratio: {statistics.median(slow) if slow else 0.0:.2f}")
    print(f"silent: {percent(totals['silent'], totals['cases']) if totals['cases'] else 0.0:.1f}%")
    print(f"witnessed: {percent(totals['witnessed'], totals['survivors']) if totals['survivors'] else 0.0:.1f}% "
          f"({totals['witnessed']} of {totals['survivors']} surviving mutants; "
          f"{totals['witnessed']} of {totals['survivors'] - totals['equivalent']} without the "
          f"{totals['equivalent']} checked by hand and equivalent)")
    print(f"behaviour false alarms: {percent(totals['behaviour_alarms'], totals['benign']) if totals['benign'] else 0.0:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
