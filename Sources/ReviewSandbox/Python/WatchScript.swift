/// The pytest plugin that watches changed functions while a project's own tests run: what
/// each call returned or raised, in order, per test. Behaviour review loads it (`-p
/// review_watch`) for functions whose calls cannot be copied and replayed (an instance
/// that does not pickle); a pinned test embeds it and runs the watched test again. See
/// ``PythonToolbox/watchTests(_:module:targets:root:extraPaths:wallSeconds:)``.
extension PythonScripts {
    /// The module name the plugin is written under.
    public static let watcherModule = "review_watch"

    public static let watcher = #"""
"""Watches functions while pytest runs (written by review): each call's result, per test.

REVIEW_WATCH holds {"module": ..., "targets": [qualified names], "out": a JSON file}.
"""
import functools
import importlib
import json
import os
import re
import sys

import pytest

SPEC = json.loads(os.environ["REVIEW_WATCH"])
CALLS_PER_TEST = 20
ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
seen = {name: {} for name in SPEC["targets"]}
current = [None]


def describe(value, depth=0):
    # A stable text for a value: addresses masked, sets and dicts sorted.
    if depth > 4:
        return "..."
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "[" + ", ".join(describe(item, depth + 1) for item in value[:50]) + "]"
    if isinstance(value, dict):
        items = sorted("%s: %s" % (describe(k, depth + 1), describe(v, depth + 1)) for k, v in list(value.items())[:50])
        return type(value).__name__ + "{" + ", ".join(items) + "}"
    if isinstance(value, (set, frozenset)):
        return type(value).__name__ + "{" + ", ".join(sorted(describe(item, depth + 1) for item in list(value)[:50])) + "}"
    try:
        text = repr(value)
    except Exception as error:
        text = "<unrepresentable %s: %s>" % (type(value).__qualname__, type(error).__name__)
    return ADDRESS.sub("0x?", text)[:500]


def watching(name, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        calls = seen[name].setdefault(current[0] or "", [])
        try:
            value = function(*args, **kwargs)
        except BaseException as error:
            if len(calls) < CALLS_PER_TEST:
                calls.append("raises %s: %s" % (type(error).__qualname__, ADDRESS.sub("0x?", str(error))[:300]))
            raise
        if len(calls) < CALLS_PER_TEST:
            calls.append("returns " + describe(value))
        return value
    return wrapper


def pytest_configure(config):
    module = importlib.import_module(SPEC["module"])
    top = module.__name__.split(".")[0]
    for name in SPEC["targets"]:
        owner = module
        *path, last = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = vars(owner).get(last) if isinstance(owner, type) else getattr(owner, last, None)
        if isinstance(original, (staticmethod, classmethod)):
            replacement = type(original)(watching(name, original.__func__))
        elif callable(original):
            replacement = watching(name, original)
        else:
            continue
        setattr(owner, last, replacement)
        # Modules of the package that took the function by name before it was wrapped.
        for key, loaded in list(sys.modules.items()):
            if owner is module and loaded is not None and (key == top or key.startswith(top + ".")):
                for attribute, value in list(vars(loaded).items()):
                    if value is original:
                        setattr(loaded, attribute, replacement)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    current[0] = item.nodeid
    yield
    current[0] = None


def pytest_sessionfinish(session):
    with open(SPEC["out"], "w") as handle:
        json.dump(seen, handle)
"""#
}
