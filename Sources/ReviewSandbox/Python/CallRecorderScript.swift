/// The recorder of calls behaviour review replays (``CallRecorder`` in Python), shared by
/// the probe driver (``probe``, which runs the related tests itself when it must) and the
/// pytest plugin ``callsPlugin``, which records during the test session at head so that the
/// tests do not run a second time.
extension PythonScripts {
    static let callRecorder = #"""
import base64, functools, importlib, importlib.util, pickle, sys, time, types
MAX_SEEN = 20      # calls replayed per function
MAX_KEPT = 60      # calls kept while the tests run, before MAX_SEEN are chosen across test files
PER_TEST = 3       # calls kept per test
CURRENT = {"test": None}   # the node id of the test running (or "doctest:<name>")
TRACING = []       # (code objects, [reached], changed line ranges) of the calls traced, outermost first

def resolve(root, qualname):
    owner, value = None, root
    for part in qualname.split("."):
        owner = value
        value = (vars(value).get(part) if isinstance(value, type) else None) or getattr(value, part)
    return owner, value

def constructor(name):
    return name.endswith(".__init__")

def tracer(frame, event, arg):
    # Line events only in the frames of a traced call's own code, until it is reached.
    for codes, reached, changed in TRACING:
        if frame.f_code in codes and not reached[0]:
            def lines(frame, event, arg):
                if event == "line" and any(frame.f_lineno in span for span in changed):
                    reached[0] = True
                return None if reached[0] else lines
            return lines
    return None

class CallRecorder:
    """The calls of some functions of one module while tests run: each kept call pickled
    before it runs (arguments, and the instance for a method), with the test it came from
    and whether it ran a changed line. Installed before the module is imported (or on it,
    when it is), it wraps the functions in place; `closed` stops the copying (the wrappers
    then only note which tests call them)."""

    def __init__(self, module, targets, head_ranges):
        self.module = module
        self.targets = list(targets)
        self.seen = {name: {} for name in targets}      # name -> {payload: (origin test, reached the change)}
        self.callers = {name: set() for name in targets}
        self.skipped = {name: 0 for name in targets}
        self.depth = {name: 0 for name in targets}
        self.per_test = {}
        self.tried = {}
        self.changed = [range(low, high + 1) for low, high in head_ranges]
        self.traced = {"calls": 0, "untraced": 0}
        self.copied = set()      # the tests in which a call was copied (pickling runs their code)
        self.closed = False

    def reaching(self, name):
        return sum(1 for _, reached in self.seen[name].values() if reached)

    def full(self):
        # Enough: MAX_KEPT calls of each function, a few of them running the changed lines.
        return all(len(self.seen[name]) >= MAX_KEPT and (self.reaching(name) >= 3 or not self.changed)
                   for name in self.targets)

    def keep(self, name, payload, test, reached, from_docstring):
        # The first MAX_KEPT calls (PER_TEST of each test), then a call that ran the changed
        # lines takes the place of the oldest kept one that did not.
        calls = self.seen[name]
        if payload in calls:
            calls[payload] = (calls[payload][0], calls[payload][1] or reached)
            return
        if not (reached or from_docstring) and self.per_test.get((name, test), 0) >= PER_TEST:
            return
        if len(calls) >= MAX_KEPT:
            stale = next((key for key, (_, was) in calls.items() if not was), None) if reached else None
            if stale is None:
                return
            del calls[stale]
        calls[payload] = (test, reached)
        self.per_test[(name, test)] = self.per_test.get((name, test), 0) + 1

    def wanted(self, name, test):
        # A few calls per test, so that the calls kept come from many tests (the one that
        # reaches the changed branch may run late). Beyond its PER_TEST calls, a test's calls
        # are still copied and traced (up to 50) while few kept calls ran the changed lines.
        if self.closed:
            return False
        if test is not None and test.startswith("doctest:"):
            return True
        self.tried[(name, test)] = self.tried.get((name, test), 0) + 1
        return (self.per_test.get((name, test), 0) < PER_TEST and len(self.seen[name]) < MAX_KEPT) \
            or (self.reaching(name) < MAX_SEEN and self.tried[(name, test)] <= 50 and bool(self.changed))

    def recording(self, name, function, bound_self):
        # The code the changed lines may be in: the function's and its nested functions'.
        codes, pending = set(), [function.__code__]
        while pending:
            code = pending.pop()
            codes.add(code)
            pending += [const for const in code.co_consts if isinstance(const, types.CodeType)]
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            payload, reached, test = None, [False], CURRENT["test"]
            if self.depth[name] == 0:
                if test:
                    self.callers[name].add(test)
                if self.wanted(name, test):
                    if test:
                        self.copied.add(test)
                    try:
                        if constructor(name):
                            # A constructor's probe builds a new object from the arguments.
                            payload = pickle.dumps((None, args[1:], kwargs), 4)
                        elif bound_self:
                            payload = pickle.dumps((args[0], args[1:], kwargs), 4)
                        else:
                            payload = pickle.dumps((None, args, kwargs), 4)
                        pickle.loads(payload)
                    except Exception:
                        payload = None
                        self.skipped[name] += 1
            # Whether the call runs a changed line: its lines traced, unless another tracer
            # (coverage) is on, which is left alone.
            started = tracing = False
            if payload is not None and self.changed:
                if sys.gettrace() is None:
                    sys.settrace(tracer)
                    started = tracing = True
                else:
                    tracing = sys.gettrace() is tracer
                if tracing:
                    TRACING.append((codes, reached, self.changed))
                    self.traced["calls"] += 1
                else:
                    self.traced["untraced"] += 1
            self.depth[name] += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.depth[name] -= 1
                if tracing:
                    TRACING.pop()
                if started:
                    sys.settrace(None)
                if payload is not None:
                    self.keep(name, payload, test, reached[0], test is not None and test.startswith("doctest:"))
        wrapper.__review_probe__ = True
        return wrapper

    def wrap(self, module):
        for name in self.targets:
            try:
                owner, value = resolve(module, name)
            except Exception:
                continue
            attribute = name.rsplit(".", 1)[-1]
            if isinstance(value, staticmethod):
                replacement = staticmethod(self.recording(name, value.__func__, False))
            elif isinstance(value, classmethod):
                continue
            elif isinstance(value, types.FunctionType) and not getattr(value, "__review_probe__", False):
                replacement = self.recording(name, value, isinstance(owner, type))
            else:
                continue
            try:
                setattr(owner, attribute, replacement)
            except Exception:
                pass
            if isinstance(owner, types.ModuleType):
                self.rebind(value, replacement)

    def rebind(self, original, replacement):
        # Modules of the same package loaded before the wrapping took the function by
        # name (`from ._hooks import normalize`): their names are pointed at the wrapper.
        top = self.module.split(".")[0]
        for name, loaded in list(sys.modules.items()):
            if loaded is None or (name != top and not name.startswith(top + ".")):
                continue
            try:
                for attribute, value in list(vars(loaded).items()):
                    if value is original:
                        setattr(loaded, attribute, replacement)
            except Exception:
                pass

    def install(self):
        # Wraps the functions as the module is imported (now, when it was already).
        if self.module in sys.modules:
            self.wrap(sys.modules[self.module])
            return
        recorder = self
        class Finder:
            def find_spec(self, fullname, path=None, target=None):
                if fullname != recorder.module:
                    return None
                sys.meta_path.remove(self)
                try:
                    spec = importlib.util.find_spec(fullname)
                finally:
                    sys.meta_path.insert(0, self)
                if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                    return spec
                original = spec.loader.exec_module
                def exec_module(module):
                    original(module)
                    recorder.wrap(module)
                spec.loader.exec_module = exec_module
                return spec
        sys.meta_path.insert(0, Finder())

    def state(self):
        # What was recorded, as JSON: handed from the test session to the probe driver.
        return {"seen": {name: [[base64.b64encode(payload).decode(), test, reached]
                                for payload, (test, reached) in calls.items()] for name, calls in self.seen.items()},
                "callers": {name: sorted(tests) for name, tests in self.callers.items()},
                "skipped": self.skipped, "traced": self.traced, "copied": sorted(self.copied)}

    def load(self, state):
        for name in self.targets:
            self.seen[name] = {base64.b64decode(payload): (test, reached)
                               for payload, test, reached in state["seen"].get(name, [])}
            self.callers[name] = set(state["callers"].get(name, []))
            self.skipped[name] = state["skipped"].get(name, 0)
        self.traced = dict(state["traced"])

"""#

    /// The module name of ``callsPlugin`` (`-p review_calls`).
    public static let callsModule = "review_calls"

    /// A pytest plugin that wraps the changed functions of some modules while the session
    /// runs (`$REVIEW_CALLS` names a JSON file: `modules` with `module`, `targets`,
    /// `head_ranges`; `budget` seconds of copying; `out`) and writes what each recorder
    /// holds, by module, when the session ends: to `<out>.<pid>.json`, one file per
    /// process (pytest-xdist workers record their own share).
    static let callsPlugin = callRecorder + #"""

import json, os
import pytest
with open(os.environ["REVIEW_CALLS"]) as _handle:
    _SPEC = json.load(_handle)
_RECORDERS = [CallRecorder(entry["module"], entry["targets"], entry["head_ranges"]) for entry in _SPEC["modules"]]
for _recorder in _RECORDERS:
    _recorder.install()
_STARTED = time.monotonic()

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    CURRENT["test"] = item.nodeid
    try:
        yield
    finally:
        CURRENT["test"] = None
    # The session runs on for its results; only the copying stops.
    over = time.monotonic() - _STARTED > _SPEC["budget"]
    for recorder in _RECORDERS:
        if over or recorder.full():
            recorder.closed = True

def pytest_sessionfinish(session, exitstatus):
    # One file per process: with pytest-xdist every worker records its own share.
    with open("%s.%d.json" % (_SPEC["out"], os.getpid()), "w") as handle:
        json.dump({recorder.module: recorder.state() for recorder in _RECORDERS}, handle)
"""#
}
