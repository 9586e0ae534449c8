/// The result of one test, from pytest's junit XML (or the unittest fallback).
public struct TestOutcome: Hashable, Sendable {
    /// How a test ended.
    public enum Status: String, Hashable, Sendable {
        case passed, failed, error, skipped
    }

    /// The pytest node id, e.g. `tests/test_app.py::TestCart::test_total[2]`.
    public var nodeID: String
    /// The test file, relative to the project root.
    public var file: String
    /// The line of the test function (1-based), when known.
    public var line: Int?
    public var status: Status
    /// The failure message (the exception line).
    public var message: String
    /// The traceback and captured output.
    public var details: String
    /// Seconds.
    public var duration: Double

    /// Creates an outcome.
    public init(
        nodeID: String, file: String, line: Int?, status: Status, message: String = "", details: String = "",
        duration: Double = 0
    ) {
        self.nodeID = nodeID
        self.file = file
        self.line = line
        self.status = status
        self.message = message
        self.details = details
        self.duration = duration
    }

    /// Whether the test failed or errored.
    public var isFailure: Bool { status == .failed || status == .error }
}

/// One run of a set of tests.
public struct TestRun: Hashable, Sendable {
    /// The process result.
    public var execution: ExecutionResult
    /// The command as shown to users.
    public var command: String
    /// Per-test outcomes, in the order the runner reported them.
    public var outcomes: [TestOutcome]
    /// Files that could not be collected (import errors in the test module), with the error.
    public var collectionErrors: [String: String]
    /// Which runner produced the outcomes.
    public var runner: String
    /// The tests (node ids) in which review's call recorder copied a call of a changed
    /// function (``PythonScripts/callsPlugin``): pickling runs the objects' own code, so
    /// their outcome here is not the plain one.
    public var recordedIn: Set<String> = []
    /// What review's stop plugin said, when the session ran with a ``SessionStop``.
    public var stopReport: SessionStopReport?

    /// Creates a run.
    public init(
        execution: ExecutionResult, command: String, outcomes: [TestOutcome], collectionErrors: [String: String],
        runner: String
    ) {
        self.execution = execution
        self.command = command
        self.outcomes = outcomes
        self.collectionErrors = collectionErrors
        self.runner = runner
    }

    /// The outcomes of tests that failed or errored.
    public var failures: [TestOutcome] { outcomes.filter(\.isFailure) }

    /// Whether the runner itself died or never produced results (crash, timeout, resource limit).
    public var runnerBroke: Bool {
        if execution.timedOut || execution.signal != nil { return true }
        guard let code = execution.exitCode else { return true }
        // pytest: 0 ok, 1 failures, 2 interrupted, 3 internal error, 4 usage, 5 nothing collected.
        return outcomes.isEmpty && collectionErrors.isEmpty && code != 0 && code != 5
    }

    /// Whether no test at all ran.
    public var nothingCollected: Bool { outcomes.isEmpty && collectionErrors.isEmpty }

    /// Whether pytest ended before running anything with a usage, internal or collection
    /// error (exit 2, 3, 4) rather than a crash or a timeout.
    var sessionDidNotStart: Bool {
        guard runnerBroke, !execution.timedOut, execution.signal == nil, let code = execution.exitCode else { return false }
        return [2, 3, 4].contains(code)
    }

    /// This broken session as a collection error of each of `files`, with pytest's message.
    func brokenAsCollectionErrors(files: [String]) -> TestRun {
        let text = execution.stderr + "\n" + execution.stdout
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let cause = lines.last { $0.contains("Error") || $0.contains("error:") } ?? lines.last ?? execution.statusDescription
        let detail = "the test session could not start (exit \(execution.exitCode.map(String.init) ?? "?")): \(cause)\n"
            + lines.suffix(30).joined(separator: "\n")
        var run = self
        run.collectionErrors = Dictionary(uniqueKeysWithValues: files.sorted().map { ($0, detail) })
        return run
    }

    /// Runs of parts of one session, as one run: every outcome and collection error, the
    /// output of each part, and exit 1 when anything failed (else 0).
    public init(merging parts: [TestRun], command: String) {
        let outcomes = parts.flatMap(\.outcomes)
        var errors: [String: String] = [:]
        for part in parts { errors.merge(part.collectionErrors) { first, _ in first } }
        var execution = parts.first?.execution ?? ExecutionResult(
            exitCode: 0, signal: nil, timedOut: false, stdout: "", stderr: "", outputTruncated: false, duration: 0)
        execution.exitCode = outcomes.contains(where: \.isFailure) || !errors.isEmpty ? 1 : 0
        execution.stdout = parts.map(\.execution.stdout).joined(separator: "\n")
        execution.stderr = parts.map(\.execution.stderr).joined(separator: "\n")
        execution.duration = parts.map(\.execution.duration).reduce(0, +)
        self.init(
            execution: execution, command: command, outcomes: outcomes, collectionErrors: errors,
            runner: parts.first?.runner ?? "pytest")
    }
}
