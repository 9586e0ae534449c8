/// Small Python programs that run inside the sandbox (passed with `python3 -c`).
enum PythonScripts {
    /// Checks many files in one interpreter: for each `path<TAB>module` argument, parse it
    /// (symbols or syntax error), byte-compile it and import the module. Prints one JSON
    /// line per file as soon as it is done, so a crash keeps the results before it.
    static let check = #"""
import ast, importlib, importlib.util, io, json, sys, traceback, contextlib
sys.__stdout__.write("@@review-pytest@@%s\n" % (importlib.util.find_spec("pytest") is not None))
sys.__stdout__.write("@@review-stdlib@@" + json.dumps(sorted(getattr(sys, "stdlib_module_names", sys.builtin_module_names))) + "\n")
sys.__stdout__.flush()
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

    /// Runs pytest (arguments after the script) with a plugin that records which functions
    /// of the project each test executes, and writes the map as JSON to
    /// `$REVIEW_IMPACT_OUT`. cProfile (C, call events only) records the test's own thread;
    /// threads a test starts get a profile hook of their own. Functions that ran outside
    /// any test (at import, during collection) are marked: they affect every importer. Per
    /// file, every function's line range is listed (executed or not), from the file's
    /// compiled code objects.
    static let impactRecorder = #"""
import cProfile, json, os, sys, threading
import pytest
ROOT = os.path.realpath(os.getcwd()) + os.sep
OUT = os.environ["REVIEW_IMPACT_OUT"]
inside = {}
def ours(filename):
    known = inside.get(filename)
    if known is None:
        real = os.path.realpath(filename)
        known = inside[filename] = real.startswith(ROOT) and "/site-packages/" not in real
    return known
class Recorder:
    def __init__(self):
        self.profiler = cProfile.Profile(subcalls=False, builtins=False)
        self.seen = {}
        self.threaded = set()
        self.outside = set()
    def harvest(self, into):
        self.profiler.disable()
        for entry in self.profiler.getstats():
            code = entry.code
            if not isinstance(code, str) and ours(code.co_filename):
                into.add(code)
        self.profiler.clear()
    def thread_hook(self, frame, event, arg):
        if event == "call" and ours(frame.f_code.co_filename):
            self.threaded.add(frame.f_code)
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        # What ran since the last test (imports during collection, module code) ran for
        # every test of those modules, not for one.
        self.harvest(self.outside)
        self.threaded = set()
        threading.setprofile(self.thread_hook)
        self.profiler.enable(subcalls=False, builtins=False)
        try:
            yield
        finally:
            threading.setprofile(None)
            codes = set(self.threaded)
            self.harvest(codes)
            self.seen.setdefault(item.nodeid, set()).update(codes)
            self.profiler.enable(subcalls=False, builtins=False)
def functions(code, out):
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            if const.co_flags & 3 == 3:
                out.append(const)
            functions(const, out)
def last_line(code):
    end = code.co_firstlineno
    for _, _, line in code.co_lines():
        if line is not None and line > end:
            end = line
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            end = max(end, last_line(const))
    return end
recorder = Recorder()
recorder.profiler.enable(subcalls=False, builtins=False)
status = pytest.main(sys.argv[1:], plugins=[recorder])
recorder.harvest(recorder.outside)
outside = {(code.co_filename, code.co_firstlineno, code.co_name) for code in recorder.outside}
tests = sorted(recorder.seen)
number = {test: index for index, test in enumerate(tests)}
executed = {}
for test, codes in recorder.seen.items():
    for code in codes:
        executed.setdefault((code.co_filename, code.co_firstlineno, code.co_name), set()).add(number[test])
files = {}
for filename in sorted({key[0] for key in executed} | {key[0] for key in outside}):
    try:
        with open(filename, "rb") as handle:
            module = compile(handle.read(), filename, "exec")
    except Exception:
        continue
    found = []
    functions(module, found)
    entries = []
    for code in found:
        tests_of = sorted(executed.get((filename, code.co_firstlineno, code.co_name), ()))
        key = (filename, code.co_firstlineno, code.co_name)
        entries.append({"start": code.co_firstlineno, "end": last_line(code), "name": code.co_name, "tests": tests_of,
                        "outside": key in outside})
    files[os.path.relpath(os.path.realpath(filename), ROOT)] = entries
with open(OUT, "w") as handle:
    json.dump({"version": 1, "status": int(status), "tests": tests, "files": files}, handle)
sys.exit(int(status))
"""#
}
