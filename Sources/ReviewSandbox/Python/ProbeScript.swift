/// The behaviour probe driver (`record` at head: load the calls the test session recorded,
/// or run the related tests with the changed functions wrapped to record them, then derive
/// probes; `run` at a revision: call every probe and describe what it returned, raised,
/// printed and changed). See ``PythonToolbox/recordProbes(_:root:extraPaths:recorded:)``.
extension PythonScripts {
    static let probe = callRecorder + #"""
import ast, base64, collections, contextlib, doctest, functools, hashlib, importlib, importlib.util, inspect, io, itertools, json, os, pickle, re, signal, string, sys, time, types
MODE, SPEC_PATH, OUT_PATH = sys.argv[1], sys.argv[2], sys.argv[3]
with open(SPEC_PATH) as handle:
    SPEC = json.load(handle)
MODULE = SPEC["module"]
ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")

def mask(text):
    return ADDRESS.sub("0x?", text)

def public_state(value):
    # The attributes a caller may read: not `_private` ones (a refactor may rename those),
    # but `__dunder__` ones (`__name__`, `__doc__`) are part of an object's face.
    names = list(vars(value)) if hasattr(value, "__dict__") else []
    names += [name for name in slots_of(value) if name not in names and hasattr(value, name)]
    shown = [name for name in names if not name.startswith("_") or (name.startswith("__") and name.endswith("__"))]
    return [(name, getattr(value, name)) for name in sorted(shown)[:40]]

def literal(value):
    # Python source for the value when it reads back equal, else None.
    try:
        text = repr(value)
        if len(text) > 2000:
            return None
        back = ast.literal_eval(text)
        return text if type(back) is type(value) and back == value else None
    except Exception:
        return None

UNDESCRIBED = "<its repr or str does not return>"

def bounded(seconds, work, otherwise):
    # What work() gives, with a timer (SIGALRM raises ProbeTimeout): the project's own code
    # (a doctest, a constructor, a `__repr__` or `__str__`) may loop or fail; then `otherwise`.
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return work()
    except BaseException:
        return otherwise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)

# ---------------------------------------------------------------- record
def record():
    targets = SPEC["targets"]
    recorder = CallRecorder(MODULE, targets, SPEC.get("head_ranges", []))
    status = None
    if SPEC.get("recorded") is not None:
        # The calls were recorded while the test session at head ran: no second run.
        recorder.load(SPEC["recorded"])
        recorder.install()
    else:
        import pytest
        recorder.install()
        started = time.monotonic()
        class Plugin:
            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtest_protocol(self, item, nextitem):
                CURRENT["test"] = item.nodeid
                yield
                CURRENT["test"] = None
                if recorder.full() or time.monotonic() - started > SPEC["budget"]:
                    item.session.shouldstop = "review: enough calls recorded"
        if SPEC["tests"]:
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    status = int(pytest.main(SPEC["pytest_options"] + ["-q", "-p", "no:cacheprovider"] + SPEC["tests"], plugins=[Plugin()]))
                except BaseException as error:
                    status = repr(error)
    if MODULE not in sys.modules:
        importlib.import_module(MODULE)
    module = sys.modules[MODULE]
    run_doctests(module, targets, CURRENT)
    chosen = {name: spread(calls) for name, calls in recorder.seen.items()}
    probes = Generator(module, targets, chosen, SPEC).generate()
    for probe in probes:
        probe["arguments"], probe["bound"], probe["instance"] = arguments_source(probe["payload"])
    traced = recorder.traced
    result = {"status": status, "probes": probes,
              "callers": {name: sorted(tests) for name, tests in recorder.callers.items()},
              "recorded": {name: len(calls) for name, calls in recorder.seen.items()},
              "reaching": {name: sum(1 for _, reached in chosen[name].values() if reached) for name in targets}
                          if traced["calls"] and not traced["untraced"] else None,
              "skipped": recorder.skipped}
    with open(OUT_PATH, "w") as handle:
        json.dump(result, handle)

def in_turn(lists):
    # The first item of each list, then the second of each, and so on.
    for rank in range(max([len(items) for items in lists] or [0])):
        for items in lists:
            if rank < len(items):
                yield items[rank]

def spread(calls):
    # MAX_SEEN of the calls kept: the ones that ran the changed lines first; each group
    # taken from each test file in turn (in the order they came), so that the late files'
    # calls (the ones reaching another branch) are replayed too.
    groups = []
    for wanted in (True, False):
        by_file = {}
        for payload, (test, reached) in calls.items():
            if reached == wanted:
                by_file.setdefault((test or "").split("::")[0], []).append((payload, (test, reached)))
        groups.append(in_turn(list(by_file.values())))
    return dict(itertools.islice(itertools.chain(*groups), MAX_SEEN))

def run_doctests(module, targets, current):
    # The examples in a changed function's docstring run once with the recorder on: their
    # calls become recorded calls like the tests' (what they print is not compared here).
    signal.signal(signal.SIGALRM, expire)
    for name in targets:
        try:
            _, function = resolve(module, name)
            text = getattr(function, "__doc__", None) or ""
            examples = doctest.DocTestParser().get_examples(text)
        except Exception:
            continue
        if not examples:
            continue
        current["test"] = "doctest:" + name
        namespace = dict(vars(module))
        def run_example(source):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                exec(compile(source, "<doctest>", "single"), namespace)
        for example in examples:
            bounded(2.0, lambda: run_example(example.source), None)
        current["test"] = None

def arguments_source(payload):
    # Python source of a probe's arguments when every one of them reads back equal.
    try:
        instance, args, kwargs = pickle.loads(base64.b64decode(payload))
    except BaseException:
        return None, False, None
    parts = [literal(a) for a in args] + [None if literal(v) is None else "%s=%s" % (k, literal(v)) for k, v in kwargs.items()]
    state = None
    if instance is not None:
        try:
            state = describe(instance)[:300]
        except BaseException:
            state = None
    return (None if None in parts else ", ".join(parts)), instance is not None, state

# ---------------------------------------------------------------- inputs
def neighbours(value, default_none=False):
    found = []
    kind = type(value)
    if kind is bool:
        found = [not value]
    elif kind is int:
        found = [0, 1, -1, value - 1, value + 1]
    elif kind is float:
        found = [0.0, 1.0, -1.0, value - 1, value + 1]
    elif kind is str:
        found = ["", " ", value.upper(), value.lower(), value.swapcase(), value + " ", "Aé" + value, value[::-1]]
    elif kind is bytes:
        found = [b"", value[::-1]]
    elif kind in (list, tuple):
        found = [kind(), kind(value[:1]), kind(reversed(value))]
    elif kind is dict:
        # Empty, and each of the first keys left out (what a default fills in).
        found = [{}] + [{k: v for k, v in value.items() if k != key} for key in list(value)[:6]]
    elif value is None:
        # An attribute or argument left unset: set to something (a build tag, a count).
        found = ["a", 1]
    elif kind.__module__ != "builtins":
        # An object of the project's: what the code does with something that is not one
        # (`__eq__` against a stranger, an optional collaborator left out).
        found = [None, 0]
    if default_none:
        found.append(None)
    return [item for item in found if not (type(item) is type(value) and item == value)]

SHAPE_PART = re.compile(r"[0-9]+|[A-Za-z]+|[^\w\s]+|.", re.S)

def shape(text):
    # A pattern for strings built like text: runs of digits, of letters and of punctuation
    # stand for any run of their class; other characters for themselves.
    parts = []
    for piece in SHAPE_PART.findall(text):
        if piece.isdigit():
            parts.append(r"[0-9]+")
        elif piece.isalpha() and piece.isascii():
            parts.append(r"[A-Za-z]+")
        elif not piece.isspace() and not any(c.isalnum() or c == "_" for c in piece):
            parts.append(r"[^\w\s]+")
        else:
            parts.append(re.escape(piece))
    return "".join(parts)

def put_in(value, other):
    # value with its first part shaped like other replaced by other ("<=1.0.0", "2.0.0"
    # -> "<=2.0.0"), or None.
    if not other or len(other) > 40:
        return None
    match = re.search(shape(other), value)
    if match is None or match.group(0) == other:
        return None
    return value[:match.start()] + other + value[match.end():]

def string_variants(value, constants, related):
    # Inputs a plain neighbour misses: a separator doubled or repeated; a part of the value
    # replaced by a constant of the change of the same shape, then by a related value
    # (another argument, a default, the instance as text), so that two values meet.
    found = []
    marks = [c for c in value if not c.isalnum() and not c.isspace()]
    if marks:
        index = value.index(marks[0])
        found.append(value[:index] + marks[0] + value[index:])
    firsts = [value]
    for constant in constants:
        if type(constant) is str:
            changed = put_in(value, constant)
            if changed is not None:
                firsts.append(changed)
    found += firsts[1:]
    for first in firsts:
        for other in related:
            if type(other) is not str or other == first:
                continue
            if 0 < len(other) <= 3 and not any(c.isalnum() for c in other):
                middle = len(first) // 2
                found += [first[:middle] + other * 2 + first[middle:], other + first + other]
            else:
                changed = put_in(first, other)
                if changed is not None:
                    found.append(changed)
    return [item for item in dict.fromkeys(found) if item != value]

def slots_of(instance):
    names = []
    for klass in type(instance).__mro__:
        slots = vars(klass).get("__slots__", ())
        names += [slots] if isinstance(slots, str) else [name for name in slots if name not in ("__dict__", "__weakref__")]
    return names

def state_of(instance):
    # The instance's simple attributes: its __dict__, else its slots.
    if hasattr(instance, "__dict__"):
        return list(vars(instance).items())[:12]
    return [(name, getattr(instance, name)) for name in slots_of(instance)[:12] if hasattr(instance, name)]

def as_text(instance):
    # The instance as a string, when its class says how (a version, a path, a name).
    if instance is None or type(instance).__str__ is object.__str__ and type(instance).__repr__ is object.__repr__:
        return None
    try:
        text = str(instance)
    except Exception:
        return None
    return text if 0 < len(text) <= 40 else None

STRING_ALPHABET = string.ascii_letters + string.digits + string.punctuation + " \t\n\u00e9\u00df\u03a9\u4e2d"

def drawn(function, signature, count=8):
    # With Hypothesis in the interpreter: values of each annotated parameter's type, drawn
    # from `from_type` with a fixed seed (derandomized), so both revisions get the same.
    # Hypothesis is imported (a quarter of a second) only for a function with annotations.
    if all(p.annotation is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
           for p in signature.parameters.values()):
        return {}
    try:
        import typing
        from hypothesis import HealthCheck, Phase, given, settings, strategies
    except Exception:
        return {}
    if not getattr(drawn, "registered", False):
        # Strings from a fixed alphabet: Hypothesis's own builds a table of every Unicode
        # character in its cache directory on first use, which in a fresh sandbox is every
        # time (1.5 s). The neighbours bring the other non-ASCII strings.
        try:
            strategies.register_type_strategy(str, strategies.text(alphabet=STRING_ALPHABET, max_size=24))
        except Exception:
            pass
        drawn.registered = True
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        hints = {name: p.annotation for name, p in signature.parameters.items() if isinstance(p.annotation, type)}
    found = {}
    for name, parameter in signature.parameters.items():
        hint = hints.get(name)
        if hint is None or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        values = []
        try:
            @settings(max_examples=count, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(strategies.from_type(hint))
            def draw(value):
                values.append(value)
            bounded(2.0, draw, None)
        except BaseException:
            pass
        if values:
            found[name] = values[:count]
    return found

def constants_of(source, ranges):
    found = []
    try:
        tree = ast.parse(source)
    except Exception:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and hasattr(node, "lineno") and any(a <= node.lineno <= b for a, b in ranges):
            value = node.value
            if type(value) in (int, float) and not isinstance(value, bool):
                found += [value - 1, value, value + 1]
            elif type(value) is str and len(value) <= 200:
                found += [value, value + value, value.upper()]
            elif type(value) is bytes and len(value) <= 200:
                found += [value]
    unique = []
    for value in found:
        if not any(type(value) is type(other) and value == other for other in unique):
            unique.append(value)
    return unique[:24]

try:
    from re import _parser as regex_parser
except ImportError:  # before Python 3.11
    import sre_parse as regex_parser

# A regular expression's categories: a member of each, and the class that tests for one
# (none for the line-break ones: a negated class holding one tries no candidate against it).
CATEGORIES = {"CATEGORY_DIGIT": ("0", r"\d"), "CATEGORY_NOT_DIGIT": ("a", r"\D"), "CATEGORY_SPACE": (" ", r"\s"),
              "CATEGORY_NOT_SPACE": ("a", r"\S"), "CATEGORY_WORD": ("a", r"\w"), "CATEGORY_NOT_WORD": ("-", r"\W"),
              "CATEGORY_LINEBREAK": ("\n", None), "CATEGORY_NOT_LINEBREAK": ("a", None)}

def regex_sample(pattern):
    # The shortest string a compiled pattern matches, built from its parse (literals, the
    # first member of a class, the fewest repeats, the first branch), or None when it has
    # parts this does not build or the string does not match after all.
    groups = {}
    def build(items):
        out = ""
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                out += chr(av)
            elif name in ("ANY", "NOT_LITERAL"):
                out += "a" if name == "ANY" or av != ord("a") else "b"
            elif name == "IN":
                out += member(av)
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, _, sub = av
                out += build(sub) * low
            elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
                sub = av[-1]
                text = build(sub)
                if name == "SUBPATTERN" and av[0] is not None:
                    groups[av[0]] = text
                out += text
            elif name == "BRANCH":
                out += build(av[1][0])
            elif name == "GROUPREF":
                out += groups.get(av, "")
            elif name in ("AT", "ASSERT", "ASSERT_NOT"):
                continue
            else:
                raise ValueError(name)
        return out
    def member(items):
        if items and str(items[0][0]) == "NEGATE":
            for candidate in "a0 -_é":
                if not any(inside_class(candidate, op, av) for op, av in items[1:]):
                    return candidate
            raise ValueError("NEGATE")
        op, av = items[0]
        name = str(op)
        if name == "LITERAL":
            return chr(av)
        if name == "RANGE":
            return chr(av[0])
        if name == "CATEGORY":
            return CATEGORIES[str(av)][0]
        raise ValueError(name)
    try:
        text = build(regex_parser.parse(pattern.pattern, pattern.flags))
        return text if pattern.search(text) else None
    except Exception:
        return None

def inside_class(candidate, op, av):
    name = str(op)
    if name == "LITERAL":
        return ord(candidate) == av
    if name == "RANGE":
        return av[0] <= ord(candidate) <= av[1]
    if name == "CATEGORY":
        test = CATEGORIES.get(str(av), (None, None))[1]
        return test is not None and re.fullmatch(test, candidate) is not None
    return True

def patterns_of(function, owner=None):
    # The compiled patterns a function (or a function nested in it) reads by name: module
    # globals, attributes of a module it names, attributes of its class.
    found, codes = [], [function.__code__]
    scope = getattr(function, "__globals__", {})
    modules = [value for value in list(scope.values()) if isinstance(value, types.ModuleType)
               and value.__name__.split(".")[0] == MODULE.split(".")[0]]
    while codes:
        code = codes.pop()
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        for name in code.co_names:
            candidates = [scope.get(name)]
            if isinstance(owner, type):
                candidates.append(getattr(owner, name, None))
            candidates += [getattr(module, name, None) for module in modules]
            found += [c for c in candidates if isinstance(c, re.Pattern) and c not in found]
    return found[:6]

def matching_strings(function, owner=None):
    # Strings that match the patterns a function reads, alone and inside words: inputs
    # that reach the branch a match takes (a placeholder, a tag, a version).
    found = []
    for pattern in patterns_of(function, owner):
        if pattern.groups and isinstance(pattern.pattern, str):
            sample = regex_sample(pattern)
            if sample:
                found += [sample, "a " + sample + " b"]
    return found

def project_class(annotation, function):
    # The class an annotation names, when the project defines it (a string annotation is
    # looked up in the function's module, then in its package).
    if isinstance(annotation, str):
        scope = getattr(function, "__globals__", {})
        top = sys.modules.get(MODULE.split(".")[0])
        annotation = scope.get(annotation) or getattr(top, annotation, None)
    if not isinstance(annotation, type) or annotation.__module__.split(".")[0] != MODULE.split(".")[0]:
        return None
    return annotation

def built_instance(klass):
    # An instance made with no arguments, when the class allows it and it can be copied.
    def build():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            instance = klass()
        pickle.dumps(instance, 4)
        return [instance]
    return bounded(2.0, build, [])

def nested_flags(instance, limit=8):
    # The booleans held by objects of the project's inside an instance (not its own
    # attributes, which are moved like arguments), as (path, attribute, flipped value).
    found, seen = [], set()
    def walk(item, path, depth):
        if len(found) >= limit or depth > 3 or id(item) in seen:
            return
        seen.add(id(item))
        if isinstance(item, (list, tuple)):
            for index, element in enumerate(item[:10]):
                walk(element, path + [index], depth + 1)
        elif isinstance(item, dict):
            for key in list(item)[:10]:
                walk(item[key], path + [("key", key)], depth + 1)
        elif ours(item):
            for name, value in state_of(item):
                if depth > 0 and type(value) is bool:
                    found.append((path, name, not value))
                elif type(value) not in (bool, int, float, str, bytes) and value is not None:
                    walk(value, path + [name], depth + 1)
    try:
        walk(instance, [], 0)
    except Exception:
        pass
    return found[:limit]

def shown_step(part):
    # One step of a path from nested_flags, as Python source.
    if isinstance(part, str):
        return "." + part
    return "[%r]" % (part[1] if isinstance(part, tuple) else part)

def step(value, part):
    # One step of a path from nested_flags: an attribute, an index or a key.
    if isinstance(part, str):
        return getattr(value, part)
    return value[part[1]] if isinstance(part, tuple) else value[part]

SIMPLE = {int: [0, 1, -1, 2, 10], float: [0.0, 1.5, -1.0], str: ["", "a", "Hello World", "a-b_c"], bytes: [b"", b"ab"],
          bool: [True, False], list: [[], [1, 2, 3]], tuple: [(), (1, 2)], dict: [{}, {"a": 1}], set: [set(), {1, 2}]}

class Generator:
    def __init__(self, module, targets, seen, spec):
        self.module, self.targets, self.seen, self.spec = module, targets, seen, spec
        self.by_parameter = {}
        self.constants = constants_of(spec.get("head_source", ""), spec.get("head_ranges", [])) + \
            constants_of(spec.get("base_source", ""), spec.get("base_ranges", []))
        self.probes = []
        self.keys = set()
        self.drawn = {}   # name -> parameter -> values Hypothesis drew
        self.matching = {}   # name -> strings that match the patterns it reads
        self.functions = {}   # name -> the function itself (unwrapped)
        self.moved = {}   # payload -> what was set inside the instance, in words

    def add(self, name, payload, origin, test=None):
        if (name, payload) in self.keys:
            return False
        self.keys.add((name, payload))
        self.probes.append({"id": "p%d" % len(self.probes), "target": name, "kind": "call",
                            "payload": base64.b64encode(payload).decode(), "origin": origin, "test": test,
                            "moved": self.moved.get(payload)})
        return True

    def generate(self):
        signatures = {}
        for name in self.targets:
            try:
                owner, function = resolve(self.module, name)
                function = inspect.unwrap(getattr(function, "__func__", function))
                self.functions[name] = function
                signatures[name] = inspect.signature(function)
                self.drawn[name] = drawn(function, signatures[name])
                self.matching[name] = matching_strings(function, owner)
            except Exception:
                signatures[name] = None
            for payload in self.seen.get(name, {}):
                try:
                    instance, args, kwargs = pickle.loads(payload)
                except Exception:
                    continue
                if signatures[name] is not None:
                    try:
                        lead = (instance,) if instance is not None or constructor(name) else ()
                        bound = signatures[name].bind(*lead, *args, **kwargs)
                        for parameter, value in bound.arguments.items():
                            self.by_parameter.setdefault(parameter, []).append(value)
                    except Exception:
                        pass
        for name in self.targets:
            # At most 150 probes per function and 600 per file.
            budget = min(self.spec.get("per_function", 150), max(0, 600 - len(self.probes)))
            start = len(self.probes)
            recorded = list(self.seen.get(name, {}).items())
            for payload, (test, _) in recorded:
                self.add(name, payload, "test", test)
            # The variants of all recorded calls taken in turn, so that the budget reaches
            # every call; those of the calls that ran the changed lines first.
            lists = [[(test, variant) for variant in self.variants(name, payload, signatures[name])]
                     for payload, (test, _) in recorded]
            reached = [reached for _, (_, reached) in recorded]
            ordered = itertools.chain(in_turn([l for l, r in zip(lists, reached) if r]),
                                      in_turn([l for l, r in zip(lists, reached) if not r]))
            for test, variant in ordered:
                if len(self.probes) - start >= budget:
                    break
                self.add(name, variant, "neighbour", test)
            if not recorded and signatures[name] is not None:
                for payload in self.synthesize(name, signatures[name]):
                    if len(self.probes) - start >= budget:
                        break
                    self.add(name, payload, "new")
        return self.probes

    def variants(self, name, payload, signature):
        # The recorded call with one thing moved. Each kind of move is a list of its own,
        # and the lists are taken in turn, so that a small budget still tries every kind:
        # the change's constants, plain neighbours, string variants, values that meet,
        # Hypothesis draws, the instance's state, the defaults left out.
        instance, args, kwargs = pickle.loads(payload)
        defaults_none = set()
        if signature is not None:
            defaults_none = {p.name for p in signature.parameters.values() if p.default is None}
        values = list(args) + list(kwargs.values())
        keys = list(range(len(args))) + list(kwargs)
        names = []
        if signature is not None:
            names = [p.name for p in signature.parameters.values()][(1 if instance is not None or constructor(name) else 0):]
        lists = []
        def call(new_args, new_kwargs, new_instance=instance):
            try:
                return pickle.dumps((new_instance, tuple(new_args), new_kwargs), 4)
            except Exception:
                return None
        def moved(key, candidates):
            found = []
            for candidate in candidates:
                new_args, new_kwargs = list(args), dict(kwargs)
                if isinstance(key, str):
                    new_kwargs[key] = candidate
                else:
                    new_args[key] = candidate
                found.append(call(new_args, new_kwargs))
            return found
        related = [v for v in values if type(v) is str]
        if signature is not None:
            related += [p.default for p in signature.parameters.values() if type(p.default) is str]
        related.append(as_text(instance))
        for index, key in enumerate(keys):
            value = values[index]
            parameter = key if isinstance(key, str) else (names[key] if key < len(names) else None)
            lists.append(moved(key, [c for c in self.constants
                                     if type(c) is type(value) or (type(value) in (int, float) and type(c) in (int, float))]))
            lists.append(moved(key, neighbours(value, parameter in defaults_none)))
            if type(value) is str:
                lists.append(moved(key, string_variants(value, self.constants, related)))
                middle = len(value) // 2
                lists.append(moved(key, [variant for sample in self.matching.get(name, [])[::2]
                                         for variant in (sample, value[:middle] + sample + value[middle:])]))
            # Two values meet: another argument of the same type, or the instance itself.
            meet = [other for other in values if other is not value and type(other) is type(value)][:2]
            if instance is not None and type(value) is type(instance):
                meet.append(instance)
            lists.append(moved(key, meet))
            lists.append(moved(key, self.drawn.get(name, {}).get(parameter, [])[:4]))
        # The state of the instance: each simple attribute varied like an argument.
        if instance is not None:
            for attribute, value in state_of(instance):
                found = []
                for candidate in [c for c in self.constants if type(c) is type(value)] + neighbours(value):
                    try:
                        copied = pickle.loads(pickle.dumps(instance, 4))
                        setattr(copied, attribute, candidate)
                        found.append(call(args, kwargs, copied))
                    except Exception:
                        pass
                lists.append(found)
            # Flags inside the objects it holds, each flipped on a copy (an entry of a
            # list marked removed): a state the recorded calls may never have reached.
            found = []
            for path, name, value in nested_flags(instance):
                try:
                    copied = pickle.loads(pickle.dumps(instance, 4))
                    setattr(functools.reduce(step, path, copied), name, value)
                    flipped = call(args, kwargs, copied)
                    self.moved[flipped] = "`%s.%s` set to %r" % ("instance" + "".join(map(shown_step, path)), name, value)
                    found.append(flipped)
                except Exception:
                    pass
            lists.append(found)
        # Defaults the call left out, set to the change's constants and to neighbours.
        if signature is not None:
            given = set(kwargs) | set(names[:len(args)])
            for p in signature.parameters.values():
                if p.name in given or p.default is inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    continue
                near = neighbours(p.default) if p.default is not None else []
                candidates = [c for c in self.constants if p.default is None or type(c) is type(p.default)] + near
                lists.append([call(args, dict(kwargs, **{p.name: candidate})) for candidate in candidates])
        return [payload for payload in in_turn(lists) if payload is not None]

    def synthesize(self, name, signature):
        # A function no test called: arguments from defaults, annotations, the change's
        # constants and values other functions received for a parameter of the same name.
        owner = name.rsplit(".", 1)[0] if "." in name else None
        parameters = [p for p in signature.parameters.values()]
        if constructor(name):
            parameters = parameters[1:]
        elif owner is not None:
            return []  # a method needs an instance the way a test built it
        choices = []
        for p in parameters:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            options = []
            options += self.by_parameter.get(p.name, [])[:4]
            options += self.drawn.get(name, {}).get(p.name, [])[:4]
            annotation = p.annotation
            if isinstance(annotation, str):
                annotation = {"int": int, "str": str, "float": float, "bool": bool, "bytes": bytes, "list": list,
                              "dict": dict, "tuple": tuple, "set": set}.get(annotation, annotation)
            if annotation is str or annotation is p.empty and type(p.default) is str:
                # Strings the function's patterns match come first: without them a built
                # call rarely takes the branch a match leads to.
                options = self.matching.get(name, [])[:4] + options
            klass = project_class(annotation, self.functions.get(name))
            if klass is not None:
                options += built_instance(klass)
            if annotation in SIMPLE:
                options += [c for c in self.constants if type(c) is annotation]
                options += SIMPLE[annotation]
            if p.default is not inspect.Parameter.empty:
                options = [p.default] + options + [c for c in self.constants if type(c) is type(p.default)]
                if p.default is not None and type(p.default) in SIMPLE:
                    options += SIMPLE[type(p.default)][:2]
            if not options:
                if p.default is inspect.Parameter.empty:
                    options = self.constants[:4] + [0, "a", [1, 2], None]
            choices.append((p, options[:8]))
        out = []
        combos = [[]]
        for p, options in choices:
            combos = [c + [(p, o)] for c in combos for o in options][:60]
        for combo in combos:
            args, kwargs = [], {}
            for p, value in combo:
                if p.kind == p.KEYWORD_ONLY:
                    kwargs[p.name] = value
                else:
                    args.append(value)
            try:
                out.append(pickle.dumps((None, tuple(args), kwargs), 4))
            except Exception:
                pass
        return out

# ---------------------------------------------------------------- run
class ProbeTimeout(BaseException):
    pass

def describe(value, depth=0, budget=None):
    if budget is None:
        budget = [400]
    budget[0] -= 1
    if budget[0] < 0 or depth > 6:
        return "…"
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes):
        return mask(repr(value)) if kind is not str or len(value) < 5000 else repr(value[:5000]) + "…"
    if kind in (list, tuple):
        return kind.__name__ + "[" + ", ".join(describe(item, depth + 1, budget) for item in value[:200]) + "]"
    if isinstance(value, dict):
        items = sorted((describe(k, depth + 1, budget), describe(v, depth + 1, budget)) for k, v in list(value.items())[:200])
        return kind.__name__ + "{" + ", ".join("%s: %s" % item for item in items) + "}"
    if isinstance(value, (set, frozenset)):
        return kind.__name__ + "{" + ", ".join(sorted(describe(item, depth + 1, budget) for item in list(value)[:200])) + "}"
    if isinstance(value, BaseException):
        return "%s%s" % (kind.__name__, describe(value.args, depth + 1, budget))
    if iterated(value):
        items = list(itertools.islice(value, 101))
        return "iter[" + ", ".join(describe(item, depth + 1, budget) for item in items[:100]) + (", …" if len(items) > 100 else "") + "]"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return "<%s>" % getattr(value, "__qualname__", repr(value))
    if kind.__repr__ is object.__repr__ and hasattr(value, "__dict__"):
        return kind.__qualname__ + "(" + ", ".join("%s=%s" % (k, describe(v, depth + 1, budget)) for k, v in sorted(vars(value).items())) + ")"
    return mask(repr(value))

LIBRARIES = tuple(sorted({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}))
PRIVATE = re.compile(r"\._(?!_\w*__\b)\w*")

def ours(value):
    # An object of a class defined in the project's tree (its package or its tests), not in
    # the standard library or an installed package.
    module = sys.modules.get(type(value).__module__)
    path = getattr(module, "__file__", None)
    return bool(path) and not os.path.realpath(path).startswith(LIBRARIES)

def inside(value, root, limit=200):
    # The state of an object of the project's, private attributes included, as leaves
    # [expression, literal or None, text]: the expression reads the leaf from `root` in
    # Python (`returned._Cache__order[2].removed`). A method's effect, or a copy's, may show
    # only there (which entries a copy of a cache marks removed).
    leaves, seen = [], set()
    def leaf(expression, item, text=None):
        leaves.append([expression, literal(item) if text is None else None,
                       (text if text is not None else describe(item, 4, [20]))[:200]])
    def walk(item, expression, depth):
        if len(leaves) >= limit:
            return
        kind = type(item)
        if item is None or kind in (bool, int, float, complex, str, bytes, set, frozenset) or depth > 4:
            return leaf(expression, item)
        if id(item) in seen:
            return leaf(expression, None, "<the same %s>" % kind.__qualname__)
        seen.add(id(item))
        if isinstance(item, (list, tuple, collections.deque)):
            leaf("len(%s)" % expression, len(item))
            for index, element in enumerate(list(item)[:30]):
                walk(element, "%s[%d]" % (expression, index), depth + 1)
        elif isinstance(item, dict):
            leaf("len(%s)" % expression, len(item))
            keys = [(key, literal(key)) for key in list(item)[:30]]
            for key, source in sorted(((k, s) for k, s in keys if s is not None), key=lambda pair: pair[1]):
                walk(item[key], "%s[%s]" % (expression, source), depth + 1)
            if any(source is None for _, source in keys):
                leaf("sorted(%s)" % expression, None, describe(sorted(map(repr, item)), 4, [20]))
        elif ours(item) and (hasattr(item, "__dict__") or slots_of(item)):
            leaf("type(%s).__qualname__" % expression, kind.__qualname__)
            names = sorted(vars(item)) if hasattr(item, "__dict__") else []
            names += [name for name in slots_of(item) if name not in names and hasattr(item, name)]
            for name in names:
                if name.isidentifier():
                    walk(getattr(item, name), "%s.%s" % (expression, name), depth + 1)
        else:
            leaf(expression, item, mask(describe(item, 4, [20])))
    try:
        walk(value, root, 0)
    except Exception:
        return None
    return leaves

def read_inside(value, instance, returned):
    # The state inside what a call returned (when `returned`) and inside its instance, when
    # they are objects of the project's.
    leaves = []
    if returned and ours(value):
        leaves += inside(value, "returned") or []
    if instance is not None and ours(instance):
        leaves += inside(instance, "instance") or []
    return leaves

def compared(leaves):
    # What is compared of an object's state: a digest of its leaves with the names of private
    # attributes left out (a private attribute renamed is not a difference), in order.
    text = json.dumps(sorted([PRIVATE.sub("._?", e), t] for e, _, t in leaves))
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]

def iterated(value):
    # An iterator: its items, not its repr, are what the call produced.
    return isinstance(value, (types.GeneratorType, map, filter, zip, enumerate, reversed, itertools.chain)) or \
        (hasattr(value, "__next__") and hasattr(value, "__iter__") and iter(value) is value)

def expire(signum, frame):
    raise ProbeTimeout()

def run():
    seconds = SPEC.get("probe_seconds", 2.0)
    only = set(SPEC.get("only") or [])
    signal.signal(signal.SIGALRM, expire)
    out = open(OUT_PATH, "w")
    def emit(entry):
        out.write(json.dumps(entry) + "\n")
        out.flush()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    try:
        module = importlib.import_module(MODULE)
    except BaseException as error:
        emit({"id": None, "import_error": "%s: %s" % (type(error).__name__, mask(str(error)))})
        return
    for probe in SPEC["probes"]:
        if only and probe["id"] not in only:
            continue
        entry = {"id": probe["id"]}
        try:
            instance, args, kwargs = pickle.loads(base64.b64decode(probe["payload"]))
        except BaseException as error:
            entry["status"] = "unloadable"
            emit(entry)
            continue
        try:
            if instance is not None:
                function = getattr(instance, probe["target"].rsplit(".", 1)[-1])
            else:
                owner, function = resolve(module, probe["target"])
                if constructor(probe["target"]):
                    function = owner
                elif isinstance(function, staticmethod):
                    function = function.__func__
            if not callable(function):
                raise TypeError("not callable")
        except BaseException:
            entry["status"] = "missing"
            emit(entry)
            continue
        captured = io.StringIO()
        leaves = None
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(io.StringIO()):
                value = function(*args, **kwargs)
                entry["iterator"] = iterated(value)
                if entry["iterator"]:
                    value = list(itertools.islice(value, 101))
                    entry["truncated"] = len(value) > 100
                    value = value[:100]
            signal.setitimer(signal.ITIMER_REAL, 0)
            entry["status"] = "returned"
            entry["type"] = type(value).__qualname__
            # The state inside, read before anything describes the objects (a repr may tidy
            # them up: a cache's drops the entries it had marked removed).
            returned = not constructor(probe["target"]) and not entry["iterator"]
            leaves = bounded(seconds, lambda: read_inside(value, instance, returned), [])
            if constructor(probe["target"]):
                # What was built, by its public attributes (each as source when it has one).
                state = public_state(value)
                entry["value"] = bounded(seconds, lambda: type(value).__qualname__ + "(" + ", ".join(
                    "%s=%s" % (k, describe(v, 1)) for k, v in state) + ")", UNDESCRIBED)
                entry["state"] = bounded(seconds, lambda: {k: literal(v) for k, v in state}, {})
                entry["fields"] = bounded(seconds, lambda: {k: describe(v, 1) for k, v in state}, {})
            else:
                entry["value"] = bounded(seconds, lambda: describe(value), UNDESCRIBED)
                entry["literal"] = None if entry["value"] == UNDESCRIBED else bounded(seconds, lambda: literal(value), None)
        except ProbeTimeout:
            entry["status"] = "timeout"
        except RecursionError:
            signal.setitimer(signal.ITIMER_REAL, 0)
            entry["status"] = "raised"
            entry["error"] = "RecursionError"
            entry["message"] = ""
        except BaseException as error:
            signal.setitimer(signal.ITIMER_REAL, 0)
            entry["status"] = "raised"
            kind = type(error)
            entry["error"] = kind.__name__ if kind.__module__ == "builtins" else kind.__module__ + "." + kind.__qualname__
            entry["message"] = bounded(seconds, lambda: mask(str(error))[:2000], UNDESCRIBED)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = real_stdout, real_stderr
        entry["stdout"] = captured.getvalue()[:4000]
        if entry["status"] != "timeout":
            if leaves is None:
                leaves = bounded(seconds, lambda: read_inside(None, instance, False), [])
            entry["after"] = bounded(seconds, lambda: describe((instance, args, kwargs)), "?")
            entry["after_literal"] = bounded(seconds, lambda: literal((args, kwargs)), None) if instance is None else None
            if leaves:
                # The leaves themselves only for the probes that differed (the second runs),
                # from which the pins are written; the first runs compare digests.
                entry["inside_compared"] = compared(leaves)
                if SPEC.get("list_inside"):
                    entry["inside"] = leaves
        emit(entry)
    out.close()

if MODE == "record":
    record()
elif MODE == "run":
    run()
os._exit(0)
"""#
}
