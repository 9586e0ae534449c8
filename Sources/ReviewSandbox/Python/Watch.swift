import Foundation
import ReviewJSON

/// What the watched functions came to while some of the project's tests ran at one
/// revision: per function, per test (node id), each call's result in order (`returns ...`,
/// `raises ...`).
public struct WatchRun: Hashable, Sendable {
    public var calls: [String: [String: [String]]]
    /// The test session (its per-test outcomes included).
    public var tests: TestRun

    /// Creates a run.
    public init(calls: [String: [String: [String]]], tests: TestRun) {
        self.calls = calls
        self.tests = tests
    }
}

extension PythonToolbox {
    /// The environment variable that tells the watcher what to watch.
    public static let watchVariable = "REVIEW_WATCH"

    /// Runs `tests` (node ids) of the revision at `root` with the project's own pytest
    /// set-up and the functions `targets` of `module` watched by ``PythonScripts/watcher``.
    public func watchTests(
        _ tests: [String], module: String, targets: [String], root: String, extraPaths: [String], wallSeconds: Double
    ) throws(SandboxError) -> WatchRun {
        try withOutputDirectory { output throws(SandboxError) in
            try? Data(PythonScripts.watcher.utf8).write(
                to: URL(fileURLWithPath: output + "/\(PythonScripts.watcherModule).py"))
            let spec: JSONValue = .object([
                ("module", .string(module)), ("targets", .array(targets.map(JSONValue.string))),
                ("out", .string(Self.outputRoot + "/watched.json")),
            ])
            let arguments =
                [interpreter.path, "-m", "pytest", "-p", PythonScripts.watcherModule] + Self.pytestOptions
                + Self.junitOptions + tests
            var command = command(arguments, root: root, output: output, extraPaths: extraPaths)
            command.environment["PYTHONPATH", default: ""] += ":" + Self.outputRoot
            command.environment[Self.watchVariable] = spec.rendered(pretty: false)
            command.environment["PYTHONHASHSEED"] = "0"
            command.limits.wallSeconds = min(command.limits.wallSeconds, wallSeconds)
            let run = try junitSession(command, output: output, shown: Self.testCommand(tests))
            var calls: [String: [String: [String]]] = [:]
            let text = String(decoding: FileManager.default.contents(atPath: output + "/watched.json") ?? Data(), as: UTF8.self)
            for (target, byTest) in (try? JSONValue.parse(text))?.members ?? [] {
                for (test, list) in byTest.members ?? [] {
                    calls[target, default: [:]][test] = list.arrayValue?.compactMap(\.stringValue) ?? []
                }
            }
            return WatchRun(calls: calls, tests: run)
        }
    }
}
