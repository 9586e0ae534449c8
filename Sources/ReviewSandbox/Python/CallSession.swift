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
    ///
    /// With `stop`, the session ends after its first failing test not already known, as in
    /// ``runTests(_:root:overrides:extraPaths:stop:)``.
    public func runTests(
        _ nodeIDs: [String], root: String, extraPaths: [String], recording: [CallTargets], seconds: Double,
        stop: SessionStop? = nil
    ) throws(SandboxError) -> (run: TestRun, calls: [String: JSONValue]) {
        guard !recording.isEmpty, try hasPytest() else {
            return (try runTests(nodeIDs, root: root, extraPaths: extraPaths, stop: stop), [:])
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
                ("budget", .double(seconds)), ("out", .string(Self.outputRoot + "/calls")),
            ])
            try? Data(spec.rendered(pretty: false).utf8).write(to: URL(fileURLWithPath: output + "/calls-spec.json"))
            let arguments =
                [interpreter.path, "-m", "pytest", "-p", PythonScripts.callsModule]
                + Self.installStop(stop, output: output) + Self.pytestOptions + Self.junitOptions + nodeIDs
            var command = command(arguments, root: root, output: output, extraPaths: extraPaths)
            command.environment["PYTHONPATH", default: ""] += ":" + Self.outputRoot
            command.environment[Self.callsVariable] = Self.outputRoot + "/calls-spec.json"
            Self.enableStop(stop, in: &command)
            var run = try junitSession(command, output: output, shown: Self.testCommand(nodeIDs))
            run.stopReport = stop == nil ? nil : Self.stopReport(output: output)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? [])
                .filter { $0.hasPrefix("calls.") && $0.hasSuffix(".json") }.sorted()
            var states: [String: [JSONValue]] = [:]
            for file in files {
                let text = String(decoding: FileManager.default.contents(atPath: output + "/" + file) ?? Data(), as: UTF8.self)
                for (module, state) in (try? JSONValue.parse(text))?.members ?? [] { states[module, default: []].append(state) }
            }
            return (run, states.map { ($0.key, Self.merged($0.value)) })
        }
        // A session that did not start says nothing about the recorder: the plain runs decide.
        guard !run.sessionDidNotStart else {
            return (try runTests(nodeIDs, root: root, extraPaths: extraPaths, stop: stop), [:])
        }
        var recorded = run
        var byModule: [String: JSONValue] = [:]
        for (module, state) in calls {
            byModule[module] = state
            for test in state["copied"]?.arrayValue ?? [] { if let test = test.stringValue { recorded.recordedIn.insert(test) } }
        }
        return (recorded, byModule)
    }

    /// One recorder state from those of several processes (pytest-xdist workers): their
    /// calls side by side, callers and copies together, counts added.
    public static func merged(_ states: [JSONValue]) -> JSONValue {
        guard states.count > 1 else { return states.first ?? .null }
        var seen: [(String, [JSONValue])] = []
        var callers: [(String, Set<String>)] = []
        var skipped: [String: Int] = [:]
        var traced: [String: Int] = [:]
        var copied = Set<String>()
        func append<T>(_ list: inout [(String, T)], _ key: String, _ update: (inout T) -> Void, _ empty: T) {
            if let index = list.firstIndex(where: { $0.0 == key }) {
                update(&list[index].1)
            } else {
                var value = empty
                update(&value)
                list.append((key, value))
            }
        }
        for state in states {
            for (name, calls) in state["seen"]?.members ?? [] {
                append(&seen, name, { $0 += calls.arrayValue ?? [] }, [])
            }
            for (name, tests) in state["callers"]?.members ?? [] {
                append(&callers, name, { $0.formUnion((tests.arrayValue ?? []).compactMap(\.stringValue)) }, [])
            }
            for (name, count) in state["skipped"]?.members ?? [] { skipped[name, default: 0] += count.intValue ?? 0 }
            for (name, count) in state["traced"]?.members ?? [] { traced[name, default: 0] += count.intValue ?? 0 }
            copied.formUnion((state["copied"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        return .object([
            ("seen", .object(seen.map { ($0.0, .array($0.1)) })),
            ("callers", .object(callers.map { ($0.0, .array($0.1.sorted().map(JSONValue.string))) })),
            ("skipped", .object(skipped.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("traced", .object(traced.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("copied", .array(copied.sorted().map(JSONValue.string))),
        ])
    }
}
