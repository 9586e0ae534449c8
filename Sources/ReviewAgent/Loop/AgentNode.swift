import ReviewSandbox

/// The nodes of the ReAct protocol the seed model was trained on.
public enum AgentNode: String, Hashable, Sendable, CaseIterable, Codable {
    case plan = "Plan"
    case execute = "Execute"
    case reflect = "Reflect"
    case finish = "Finish"
}

/// Which revision an execution runs against.
public enum Side: String, Hashable, Sendable {
    case head, base
}

/// A file replaced for one execution (e.g. head with one hunk reverted).
public struct FileOverride: Hashable, Sendable {
    /// Path relative to the project root.
    public var path: String
    /// The replacement content.
    public var content: String

    /// Creates an override.
    public init(path: String, content: String) {
        self.path = path
        self.content = content
    }
}

/// Something the agent wants to run in the sandbox.
public enum ExecutionRequest: Hashable, Sendable {
    /// Byte-compile one file.
    case compile(file: String, side: Side)
    /// Import a module by dotted name.
    case importModule(String, side: Side, overrides: [FileOverride])
    /// Run tests (files or node ids).
    case runTests([String], side: Side, overrides: [FileOverride])
    /// Run Python source (the model's tool call).
    case runCode(String, side: Side)
    /// Collect (not run) the tests of directories: whether the test setup itself works there.
    case collectTests([String], side: Side)
    /// Run the related tests at head recording the calls of the changed functions, and
    /// derive probes from them (behaviour review).
    case recordProbes(PythonToolbox.ProbeRecording)
    /// Call probes (all, or those in `only`) at a revision.
    case runProbes([Probe], module: String, only: Set<String>?, side: Side)
    /// Run a generated test file on its own at a revision (a pinned behaviour), within
    /// `seconds` (a default for one that calls functions, not one that runs tests).
    case runPinnedTests(String, side: Side, seconds: Double? = nil)
    /// Run tests at head with the calls of a module's changed functions recorded, as the
    /// head session does (do they fail only then?), copying for at most `seconds`.
    case runTestsRecordingCalls([String], CallTargets, seconds: Double)
    /// Run some of the project's tests with changed functions watched: what each call
    /// returned or raised (behaviour review, for calls that cannot be copied).
    case watchTests([String], module: String, targets: [String], side: Side)

    /// The revision it runs against.
    public var side: Side {
        switch self {
        case .compile(_, let side), .importModule(_, let side, _), .runTests(_, let side, _), .runCode(_, let side),
            .collectTests(_, let side), .runProbes(_, _, _, let side), .runPinnedTests(_, let side, _),
            .watchTests(_, _, _, let side):
            return side
        case .recordProbes, .runTestsRecordingCalls:
            return .head
        }
    }
}

/// What an execution produced.
public enum ExecutionOutcome: Hashable, Sendable {
    /// A plain process result.
    case process(ExecutionResult, command: String)
    /// A test run with per-test results.
    case tests(TestRun)
    /// The revision does not have what was asked for (e.g. the file is new, so base has none).
    case unavailable(String)
    /// The recording of calls: the probes (`nil` when the recorder wrote none) and its run.
    case probes(ProbeSet?, ExecutionResult)
    /// Probes called at one revision.
    case probeRun(ProbeRun)
    /// Tests run with functions watched.
    case watched(WatchRun)

    /// The test run, when it was one.
    public var testRun: TestRun? {
        if case .tests(let run) = self { run } else { nil }
    }

    /// The process result, when there is one.
    public var execution: ExecutionResult? {
        switch self {
        case .process(let result, _): return result
        case .tests(let run): return run.execution
        case .probes(_, let result): return result
        case .probeRun(let run): return run.execution
        case .watched(let run): return run.tests.execution
        case .unavailable: return nil
        }
    }

    /// The command as shown to users.
    public var command: String {
        switch self {
        case .process(_, let command): return command
        case .tests(let run): return run.command
        case .probes(let set, _) where set?.inSession == true:
            return "python3 -c <probe recorder> (the calls recorded while the related tests ran at head)"
        case .probes: return "python3 -c <probe recorder> (the related tests, recording calls)"
        case .probeRun(let run): return "python3 -c <probe runner> (\(run.results.count) probe(s))"
        case .watched(let run): return run.tests.command + " -p review_watch"
        case .unavailable(let reason): return "(not run: \(reason))"
        }
    }

    /// Whether it ran and succeeded (exit 0; for tests, no failures).
    public var succeeded: Bool {
        switch self {
        case .process(let result, _): return result.succeeded
        case .tests(let run): return !run.runnerBroke && run.failures.isEmpty && run.collectionErrors.isEmpty
        case .probes(let set, _): return set != nil
        case .probeRun(let run): return run.importError == nil
        case .watched(let run): return !run.calls.isEmpty
        case .unavailable: return false
        }
    }
}

/// One recorded step of a task's loop, for `--trace` and reports.
public struct AgentStep: Hashable, Sendable, Codable {
    /// The node of the step.
    public var node: AgentNode
    /// What the step said (plan, reflection, summary) or ran (the command).
    public var content: String
    /// For Execute: the revision and a one-line result.
    public var result: String?
    /// Seconds spent on the step.
    public var seconds: Double

    /// Creates a step.
    public init(node: AgentNode, content: String, result: String? = nil, seconds: Double = 0) {
        self.node = node
        self.content = content
        self.result = result
        self.seconds = seconds
    }
}
