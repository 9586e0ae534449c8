import Foundation
import ReviewJSON

/// The changed functions of one module whose calls the test session at head records for
/// behaviour review.
public struct CallTargets: Hashable, Sendable {
    public var module: String
    /// Qualified names.
    public var targets: [String]
    /// The changed lines at head (a call that runs one is replayed first).
    public var headLines: [ClosedRange<Int>]

    /// Creates targets.
    public init(module: String, targets: [String], headLines: [ClosedRange<Int>]) {
        self.module = module
        self.targets = targets
        self.headLines = headLines
    }
}

extension PythonToolbox {
    /// The environment variable that names the call recorder's spec file.
    public static let callsVariable = "REVIEW_CALLS"

    /// Runs tests like ``runTests(_:root:overrides:extraPaths:)`` with the calls of
    /// `recording` recorded meanwhile by ``PythonScripts/callsPlugin`` (copying for at most
    /// `seconds`; the session itself runs to its end), so that behaviour review needs no
    /// second run of the tests.
    ///
    /// - Returns: the run (``TestRun/recordedIn`` says where calls were copied) and, by
    ///   module, what the recorder holds; none when the session could not record (no
    ///   pytest, or it did not start, and was run again without the recorder).
    public func runTests(
        _ nodeIDs: [String], root: String, extraPaths: [String], recording: [CallTargets], seconds: Double
    ) throws(SandboxError) -> (run: TestRun, calls: [String: JSONValue]) {
        guard !recording.isEmpty, try hasPytest() else {
            return (try runTests(nodeIDs, root: root, extraPaths: extraPaths), [:])
        }
        let (run, calls) = try withOutputDirectory { output throws(SandboxError) in
            try? Data(PythonScripts.callsPlugin.utf8).write(
                to: URL(fileURLWithPath: output + "/\(PythonScripts.callsModule).py"))
            let spec: JSONValue = .object([
                (
                    "modules",
                    .array(
                        recording.map { entry in
                            .object([
                                ("module", .string(entry.module)),
                                ("targets", .array(entry.targets.map(JSONValue.string))),
                                (
                                    "head_ranges",
                                    .array(entry.headLines.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })
                                ),
                            ])
                        })
                ),
                ("budget", .double(seconds)), ("out", .string(Self.outputRoot + "/calls.json")),
            ])
            try? Data(spec.rendered(pretty: false).utf8).write(to: URL(fileURLWithPath: output + "/calls-spec.json"))
            let arguments =
                [interpreter.path, "-m", "pytest", "-p", PythonScripts.callsModule] + Self.pytestOptions
                + Self.junitOptions + nodeIDs
            var command = command(arguments, root: root, output: output, extraPaths: extraPaths)
            command.environment["PYTHONPATH", default: ""] += ":" + Self.outputRoot
            command.environment[Self.callsVariable] = Self.outputRoot + "/calls-spec.json"
            let run = try junitSession(command, output: output, shown: Self.testCommand(nodeIDs))
            let text = String(decoding: FileManager.default.contents(atPath: output + "/calls.json") ?? Data(), as: UTF8.self)
            return (run, (try? JSONValue.parse(text))?.members ?? [])
        }
        // A session that did not start says nothing about the recorder: the plain runs decide.
        guard !run.sessionDidNotStart else { return (try runTests(nodeIDs, root: root, extraPaths: extraPaths), [:]) }
        var recorded = run
        var byModule: [String: JSONValue] = [:]
        for (module, state) in calls {
            byModule[module] = state
            for test in state["copied"]?.arrayValue ?? [] { if let test = test.stringValue { recorded.recordedIn.insert(test) } }
        }
        return (recorded, byModule)
    }
}
