import Foundation
import ReviewJSON

/// Asks a pytest session to stop after its first failing test that is not already known,
/// so that a failure can be checked at base before the rest of the tests run
/// (``PythonScripts/stopPlugin``). A session continued after such a stop leaves out the
/// tests that ran before.
public struct SessionStop: Hashable, Sendable {
    /// Node ids whose failure does not stop the session (already checked).
    public var known: Set<String>
    /// Node ids that ran in earlier parts of the session: deselected.
    public var done: Set<String>
    /// The error lines (pytest's crash message) of failures already checked: a failure with
    /// the same one does not stop the session either (a test suite's network tests fail
    /// alike).
    public var knownErrors: Set<String>

    /// Creates a stop request.
    public init(known: Set<String> = [], done: Set<String> = [], knownErrors: Set<String> = []) {
        self.known = known
        self.done = done
        self.knownErrors = knownErrors
    }
}

/// What the stop plugin says about a session run with a ``SessionStop``.
public struct SessionStopReport: Hashable, Sendable {
    /// Whether it stopped the session at a failure before every collected test ran.
    public var stopped: Bool
    /// The node ids (pytest's) that failed and were not known.
    public var failed: [String]
    /// The error line of each of ``failed`` (pytest's crash message; empty when it has none).
    public var errors: [String: String] = [:]
    /// The node ids that ran.
    public var ran: [String]
    /// Tests collected (after the deselection of ``SessionStop/done``) that did not run.
    public var notRun: [String]

    /// Creates a report.
    public init(stopped: Bool, failed: [String], ran: [String], notRun: [String]) {
        self.stopped = stopped
        self.failed = failed
        self.ran = ran
        self.notRun = notRun
    }
}

extension PythonScripts {
    /// The module name of ``stopPlugin`` (`-p review_stop`).
    public static let stopModule = "review_stop"

    /// A pytest plugin that ends the session after the first failing test whose node id is
    /// not among `known` and whose error line is not among `known_errors` (`$REVIEW_STOP`
    /// names a JSON file: `known`, `known_errors`, `done`, `out`),
    /// deselects the node ids of `done`, and writes at the end which tests ran, which
    /// failed, and whether it stopped the session. The stop goes through pytest's own
    /// `shouldfail` (as `--maxfail` does): fixtures are torn down and the junit report is
    /// written. Under pytest-xdist it only reports: stopping the workers is xdist's.
    static let stopPlugin = #"""
import json, os
import pytest

with open(os.environ["REVIEW_STOP"]) as _handle:
    _SPEC = json.load(_handle)
_KNOWN = set(_SPEC["known"])
_KNOWN_ERRORS = set(_SPEC.get("known_errors", []))
_DONE = set(_SPEC["done"])
_STATE = {"session": None, "failed": [], "errors": {}, "ran": [], "stop": None, "active": True}

def _error_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    return str(getattr(crash, "message", "") or "")

def pytest_configure(config):
    worker = hasattr(config, "workerinput")
    distributed = getattr(config.option, "dist", "no") not in ("no", None) or bool(getattr(config.option, "numprocesses", None))
    _STATE["active"] = not worker and not distributed
    _STATE["worker"] = worker

def pytest_sessionstart(session):
    _STATE["session"] = session

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    if not _DONE:
        return
    gone = [item for item in items if item.nodeid in _DONE]
    if gone:
        items[:] = [item for item in items if item.nodeid not in _DONE]
        config.hook.pytest_deselected(items=gone)

def pytest_runtest_logreport(report):
    if report.when == "teardown" and report.nodeid not in _STATE["ran"]:
        _STATE["ran"].append(report.nodeid)
    if report.failed and report.nodeid not in _KNOWN and report.nodeid not in _STATE["failed"]:
        error = _error_line(report)
        _STATE["failed"].append(report.nodeid)
        _STATE["errors"][report.nodeid] = error
        if _STATE["active"] and _STATE["stop"] is None and not (error and error in _KNOWN_ERRORS):
            _STATE["stop"] = report.nodeid

def pytest_runtest_logfinish(nodeid, location):
    session = _STATE["session"]
    if _STATE["stop"] is not None and session is not None and not session.shouldfail:
        session.shouldfail = "review: stopped after %s failed, to check it at base" % _STATE["stop"]

def pytest_sessionfinish(session, exitstatus):
    if _STATE.get("worker"):
        return
    ran = set(_STATE["ran"])
    not_run = [item.nodeid for item in getattr(session, "items", []) if item.nodeid not in ran]
    with open(_SPEC["out"], "w") as handle:
        json.dump({"stopped": _STATE["stop"] is not None and bool(not_run),
                   "failed": _STATE["failed"], "errors": _STATE["errors"], "ran": _STATE["ran"],
                   "not_run": not_run}, handle)
"""#
}

extension PythonToolbox {
    /// The environment variable that names the stop plugin's spec file.
    static let stopVariable = "REVIEW_STOP"

    /// Writes the stop plugin and its spec into `output` and returns the pytest arguments
    /// that load it (none without a stop request).
    static func installStop(_ stop: SessionStop?, output: String) -> [String] {
        guard let stop else { return [] }
        try? Data(PythonScripts.stopPlugin.utf8).write(
            to: URL(fileURLWithPath: output + "/\(PythonScripts.stopModule).py"))
        let spec: JSONValue = .object([
            ("known", .array(stop.known.sorted().map(JSONValue.string))),
            ("done", .array(stop.done.sorted().map(JSONValue.string))),
            ("known_errors", .array(stop.knownErrors.sorted().map(JSONValue.string))),
            ("out", .string(outputRoot + "/stop.json")),
        ])
        try? Data(spec.rendered(pretty: false).utf8).write(to: URL(fileURLWithPath: output + "/stop-spec.json"))
        return ["-p", PythonScripts.stopModule]
    }

    /// Points `command` at the stop plugin installed by ``installStop(_:output:)``.
    static func enableStop(_ stop: SessionStop?, in command: inout SandboxCommand) {
        guard stop != nil else { return }
        addPluginPath(&command)
        command.environment[stopVariable] = outputRoot + "/stop-spec.json"
    }

    /// Puts the output directory, where the plugins are written, on `PYTHONPATH` (once).
    static func addPluginPath(_ command: inout SandboxCommand) {
        if !(command.environment["PYTHONPATH"] ?? "").split(separator: ":").contains(Substring(outputRoot)) {
            command.environment["PYTHONPATH", default: ""] += ":" + outputRoot
        }
    }

    /// What the stop plugin wrote in `output`, if it ran.
    static func stopReport(output: String) -> SessionStopReport? {
        guard let data = FileManager.default.contents(atPath: output + "/stop.json"),
            let object = try? JSONValue.parse(String(decoding: data, as: UTF8.self))
        else { return nil }
        let strings = { (key: String) in (object[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        var report = SessionStopReport(
            stopped: object["stopped"]?.boolValue ?? false, failed: strings("failed"), ran: strings("ran"),
            notRun: strings("not_run"))
        for (test, error) in object["errors"]?.members ?? [] { report.errors[test] = error.stringValue ?? "" }
        return report
    }
}
