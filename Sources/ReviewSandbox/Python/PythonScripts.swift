/// Small Python programs that run inside the sandbox (passed with `python3 -c`).
public enum PythonScripts {
    /// `symbols_of(tree)`: the functions and classes of a parsed file, by qualified name,
    /// with their lines (decorators included).
    static let symbolsFunction = #"""
import ast
def symbols_of(tree):
    found = []
    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                found.append({"name": name, "kind": "class" if isinstance(child, ast.ClassDef) else "function",
                              "line": start, "endLine": getattr(child, "end_lineno", child.lineno)})
                visit(child, name + ".")
    visit(tree, "")
    return found

"""#

    /// For each file argument, one line: the digest of its syntax tree (comments, blank
    /// lines and positions left out, docstrings kept), its functions and classes as JSON
    /// when `$REVIEW_SYMBOLS` is `1` (else `[]`), and its path; nothing for a file that
    /// does not parse.
    static let treeDigests = symbolsFunction + #"""
import ast, hashlib, json, os, sys
symbols = os.environ.get("REVIEW_SYMBOLS") == "1"
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
        found = json.dumps(symbols_of(tree), separators=(",", ":")) if symbols else "[]"
        print(hashlib.sha256(ast.dump(tree).encode()).hexdigest(), found, path)
    except Exception:
        pass
"""#

    /// Checks many files in one interpreter: for each `path<TAB>module` argument, parse it
    /// (symbols or syntax error), byte-compile it and import the module. Prints one JSON
    /// line per file as soon as it is done, so a crash keeps the results before it.
    static let check = symbolsFunction + #"""
import ast, importlib, importlib.util, io, json, sys, traceback, contextlib
sys.__stdout__.write("@@review-pytest@@%s\n" % (importlib.util.find_spec("pytest") is not None))
sys.__stdout__.write("@@review-stdlib@@" + json.dumps(sorted(getattr(sys, "stdlib_module_names", sys.builtin_module_names))) + "\n")
sys.__stdout__.flush()
for argument in sys.argv[1:]:
    path, _, module = argument.partition("\t")
    entry = {"path": path, "symbols": [], "compile": None, "import": None}
    try:
        source = open(path, "rb").read()
        entry["symbols"] = symbols_of(ast.parse(source, filename=path))
        compile(source, path, "exec")
    except BaseException:
        entry["compile"] = traceback.format_exc()
    if module and entry["compile"] is None:
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                importlib.import_module(module)
        except BaseException:
            entry["import"] = captured.getvalue() + traceback.format_exc()
    sys.__stdout__.write("@@review-check@@" + json.dumps(entry) + "\n")
    sys.__stdout__.flush()
"""#

    /// Runs test files with unittest when pytest is not installed; prints a JSON list of
    /// outcomes after a marker line.
    static let unittestRunner = #"""
import importlib.util, json, sys, time, traceback, unittest
results = []
class Result(unittest.TestResult):
    def startTest(self, test):
        self._start = time.time()
        super().startTest(test)
    def _add(self, test, status, err=None):
        module = type(test).__module__
        entry = {"file": FILES.get(module, module.replace(".", "/") + ".py"),
                 "class": type(test).__name__, "name": test._testMethodName, "status": status,
                 "time": time.time() - getattr(self, "_start", time.time()), "message": "", "details": ""}
        if err is not None:
            entry["message"] = "".join(traceback.format_exception_only(err[0], err[1])).strip()
            entry["details"] = "".join(traceback.format_exception(*err))
        results.append(entry)
    def addSuccess(self, test): self._add(test, "passed")
    def addFailure(self, test, err): self._add(test, "failed", err)
    def addError(self, test, err): self._add(test, "error", err)
    def addSkip(self, test, reason): self._add(test, "skipped")
FILES = {}
suite = unittest.TestSuite()
errors = {}
for path in sys.argv[1:]:
    name = path[:-3].replace("/", ".")
    FILES[name] = path
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(module))
    except BaseException:
        errors[path] = traceback.format_exc()
result = Result()
suite.run(result)
print("\n@@review-unittest@@")
print(json.dumps({"outcomes": results, "collectionErrors": errors}))
sys.exit(1 if errors or any(r["status"] in ("failed", "error") for r in results) else 0)
"""#

    /// Prints whether pytest can be found (without importing it, which is slow).
    static let hasPytest = "import importlib.util; print(importlib.util.find_spec('pytest') is not None)"

    /// Fingerprints of a Python file's code, shared by ``impactPlugin`` and
    /// ``fingerprints``: every function or method (at any depth) by qualified name
    /// (`Class.method`, `outer.<locals>.inner`), with its line range (from its first
    /// decorator) and a digest of its syntax tree (decorators, signature and defaults
    /// included), which ignores comments, blank lines, docstrings without doctest examples
    /// and where in the file it sits, with the names and attributes it reads; a digest per
    /// top-level binding (an import, an assignment, a class attribute, a class without its
    /// methods and attributes), by the name it binds; and one digest of the rest of the
    /// module-level code. Left out: the module's docstring and `__all__`/`__version__` (a
    /// name added breaks no test; a name removed goes with its function, whose digest
    /// then disappears).
    static let fingerprintFunctions = #"""
import ast, copy, hashlib
def _digest(node):
    return hashlib.sha1(ast.dump(node).encode()).hexdigest()[:20]
def _own_digest(function):
    """A function's digest without the bodies of the functions defined in it (each of those
    has a digest of its own): a decorator whose wrapper changed still decorates alike."""
    own = copy.deepcopy(function)
    for node in ast.walk(own):
        if node is not own and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = [ast.Pass()]
    return _digest(own)
def _without_docstrings(tree):
    """Drops the docstrings of functions and classes, except those with doctest examples:
    rewording one changes no behaviour."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and len(node.body) > 1:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                    and isinstance(first.value.value, str) and ">>>" not in first.value.value:
                node.body = node.body[1:]
def fingerprint_source(source, filename):
    tree = ast.parse(source, filename)
    _without_docstrings(tree)
    functions = []
    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                names = sorted({n.id for n in ast.walk(child) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                               | {n.attr for n in ast.walk(child) if isinstance(n, ast.Attribute)})
                functions.append({"name": name, "start": start, "end": child.end_lineno, "fingerprint": _own_digest(child),
                                  "names": names})
                visit(child, name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)
    visit(tree, "")
    def module_level(body):
        kept = []
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and \
                    all(isinstance(t, ast.Name) and t.id in ("__all__", "__version__") for t in targets):
                continue
            if isinstance(node, ast.ClassDef):
                node.body = module_level(node.body)
            elif isinstance(node, (ast.If, ast.Try)):
                node.body = module_level(node.body)
                node.orelse = module_level(node.orelse)
            kept.append(node)
        return kept
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    # Top-level bindings by the name they bind (imports, assignments, classes without their
    # methods): a changed binding concerns only the code that reads that name.
    bindings = {}
    exports = None
    rest = []
    def bind(name, text):
        bindings[name] = hashlib.sha1((bindings.get(name, "") + text).encode()).hexdigest()[:20]
    for node in module_level(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not any(a.name == "*" for a in node.names):
            origin = "%s:%s" % (getattr(node, "level", 0), getattr(node, "module", "") or "")
            for alias in node.names:
                bind(alias.asname or alias.name.split(".")[0], "%s:%s:%s" % (origin, alias.name, alias.asname))
            continue
        if isinstance(node, ast.ClassDef):
            # Class attributes bind like globals (methods read them as `self.NAME`); the
            # rest of the class (bases, decorators, other statements) binds its name.
            rest_of_class = []
            for item in node.body:
                item_targets = getattr(item, "targets", None) or [getattr(item, "target", None)]
                if isinstance(item, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and \
                        all(isinstance(t, ast.Name) for t in item_targets):
                    for target in item_targets:
                        bind(target.id, ast.dump(item))
                else:
                    rest_of_class.append(item)
            node.body = rest_of_class
            bind(node.name, ast.dump(node))
            continue
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        names = [n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and names and \
                all(isinstance(n, (ast.Name, ast.Tuple, ast.List, ast.Store, ast.Load, ast.Starred))
                    for t in targets for n in ast.walk(t)):
            for name in names:
                bind(name, ast.dump(node))
            continue
        rest.append(node)
    for node in body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets) \
                and isinstance(node.value, (ast.List, ast.Tuple)):
            exports = sorted(e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    tree.body = rest
    return {"module": _digest(tree), "bindings": bindings, "exports": exports, "functions": functions}
def function_of(entry, line, name):
    """The qualified name of the function a code object belongs to: the function that starts
    at its first line with its name, else (a lambda, a comprehension) the innermost function
    around that line; None for module-level code."""
    inner = None
    for function in entry["functions"]:
        if function["start"] == line and function["name"].rsplit(".", 1)[-1] == name:
            return function["name"]
        if function["start"] <= line <= function["end"]:
            if inner is None or function["start"] >= inner["start"]:
                inner = function
    return inner["name"] if inner else None

"""#

    /// Writes the fingerprints (see ``fingerprintFunctions``) of each file named in the
    /// arguments as one JSON object, path -> fingerprints (`null` when it does not parse),
    /// to `$REVIEW_FINGERPRINTS_OUT`.
    static let fingerprints = fingerprintFunctions + #"""
import json, os, sys
result = {}
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as handle:
            result[path] = fingerprint_source(handle.read(), path)
    except Exception:
        result[path] = None
with open(os.environ["REVIEW_FINGERPRINTS_OUT"], "w") as handle:
    json.dump(result, handle)
"""#

    /// The module name of ``impactPlugin`` (`-p review_impact`).
    public static let impactModule = "review_impact"

    /// A pytest plugin that records which functions of the project each test executes, and
    /// writes them as JSON to `$REVIEW_IMPACT_OUT.<pid>.json` when pytest ends (each
    /// process its own: pytest-xdist workers record their share). cProfile (C, call events
    /// only) records the test's own thread; threads a test starts get a profile hook of
    /// their own. Functions that ran outside any test (at import, during collection) are
    /// marked: they affect every importer. Each file a test ran code of gets its
    /// fingerprints (``fingerprintFunctions``), and each test the qualified names of the
    /// functions it ran, so the map stays meaningful at later revisions where the file did
    /// not change. Loaded with `-p`, it starts before conftests and collection, so what
    /// runs at import is seen too.
    static let impactPlugin = fingerprintFunctions + #"""
import cProfile, json, os, sys, threading
import pytest
_ROOT = os.path.realpath(os.getcwd()) + os.sep
_OUT = os.environ["REVIEW_IMPACT_OUT"]
_inside = {}
def _ours(filename):
    known = _inside.get(filename)
    if known is None:
        real = os.path.realpath(filename)
        known = _inside[filename] = real.startswith(_ROOT) and "/site-packages/" not in real
    return known
class _Recorder:
    def __init__(self):
        self.profiler = cProfile.Profile(subcalls=False, builtins=False)
        self.seen = {}
        self.threaded = set()
        self.outside = set()
        self.status = 3
    def harvest(self, into):
        self.profiler.disable()
        for entry in self.profiler.getstats():
            code = entry.code
            if not isinstance(code, str) and _ours(code.co_filename):
                into.add(code)
        self.profiler.clear()
    def thread_hook(self, frame, event, arg):
        if event == "call" and _ours(frame.f_code.co_filename):
            self.threaded.add(frame.f_code)
_RECORDER = _Recorder()
_RECORDER.profiler.enable(subcalls=False, builtins=False)
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    recorder = _RECORDER
    # What ran since the last test (imports during collection, module code) ran for
    # every test of those modules, not for one.
    recorder.harvest(recorder.outside)
    recorder.threaded = set()
    threading.setprofile(recorder.thread_hook)
    recorder.profiler.enable(subcalls=False, builtins=False)
    try:
        yield
    finally:
        threading.setprofile(None)
        codes = set(recorder.threaded)
        recorder.harvest(codes)
        recorder.seen.setdefault(item.nodeid, set()).update(codes)
        recorder.profiler.enable(subcalls=False, builtins=False)
def pytest_sessionfinish(session, exitstatus):
    _RECORDER.status = int(exitstatus)
@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    recorder = _RECORDER
    recorder.harvest(recorder.outside)
    entries = {}
    def entry_of(filename):
        if filename not in entries:
            try:
                with open(filename, "rb") as handle:
                    entries[filename] = fingerprint_source(handle.read(), filename)
            except Exception:
                entries[filename] = None
        return entries[filename]
    keys = {}
    def key_of(code):
        # Once per code object: every test that ran it asks again.
        if code not in keys:
            # Module code is not a function, but its file gets fingerprints: importers depend on it.
            entry = entry_of(code.co_filename)
            name = None if entry is None or code.co_name == "<module>" else \
                function_of(entry, code.co_firstlineno, code.co_name)
            keys[code] = (code.co_filename, name) if name else None
        return keys[code]
    outside = {key for key in map(key_of, recorder.outside) if key}
    tests = []
    for node in sorted(recorder.seen):
        ran = sorted({key for key in map(key_of, recorder.seen[node]) if key})
        tests.append({"node": node, "ran": [[os.path.relpath(os.path.realpath(f), _ROOT), name] for f, name in ran]})
    files = {}
    for filename, entry in entries.items():
        if entry is None:
            continue
        for function in entry["functions"]:
            function["outside"] = (filename, function["name"]) in outside
        files[os.path.relpath(os.path.realpath(filename), _ROOT)] = entry
    with open(f"{_OUT}.{os.getpid()}.json", "w") as handle:
        json.dump({"status": recorder.status, "tests": tests, "files": files}, handle)
"""#
}
