import Foundation
import ReviewJSON
import ReviewSandbox

/// Where a task's executions happen: the toolbox, the head snapshot, and the base snapshot
/// (materialized only when first needed).
public final class Workspace: @unchecked Sendable {
    private let lock = NSLock()
    private let baseLock = NSLock()
    public let toolbox: PythonToolbox
    public let headRoot: String
    private let baseProvider: () throws -> String?
    private var baseRoot: String??
    private let scratch: String
    /// Results computed ahead for many tasks at once (one interpreter for all compiles and
    /// imports, one pytest session for all tests at head), served instead of a new run.
    private var prefetched: [String: [ExecutionRequest: ExecutionOutcome]] = [:]
    /// What the test session at head recorded of the changed functions' calls, by module.
    private var calls: [String: JSONValue] = [:]
    /// Runs started ahead of their request, by task and request (see ``speculate(when:)``).
    private var speculative: [String: [ExecutionRequest: Background<Result<ExecutionOutcome, any Error>>]] = [:]
    /// Executions in progress, over all tasks.
    private var running = 0
    /// Whether a core is free for a run started ahead (nothing else recording beside).
    private var spareCore: @Sendable () -> Bool = { false }

    /// Creates a workspace.
    ///
    /// - Parameters:
    ///   - headRoot: host path of the head snapshot.
    ///   - scratch: a private host directory for override files.
    ///   - base: returns the base snapshot's host path (or `nil` when the range starts at
    ///     the empty tree); called at most once.
    public init(toolbox: PythonToolbox, headRoot: String, scratch: String, base: @escaping () throws -> String?) {
        self.toolbox = toolbox
        self.headRoot = headRoot
        self.scratch = scratch
        self.baseProvider = base
    }

    /// The base snapshot's host path, materializing it on first use.
    public func base() throws -> String? {
        // Concurrent tasks: the first materializes the base, the others wait for it.
        baseLock.lock()
        defer { baseLock.unlock() }
        if let baseRoot { return baseRoot }
        let root = try baseProvider()
        baseRoot = .some(root)
        return root
    }

    /// Host path of a revision's root.
    func root(_ side: Side) throws -> String? {
        side == .head ? headRoot : try base()
    }

    /// Records an outcome computed ahead for a task.
    public func prefetch(_ outcome: ExecutionOutcome, for request: ExecutionRequest, task: String) {
        lock.lock()
        prefetched[task, default: [:]][request] = outcome
        lock.unlock()
    }

    /// Keeps what the test session at head recorded of a module's calls: the recording of
    /// probes for that module derives them from it instead of running the tests again.
    public func recordedCalls(_ state: JSONValue, module: String) {
        lock.lock()
        calls[module] = state
        lock.unlock()
    }

    /// Lets the flaky rerun start beside the base rerun when `spare` says a core is free.
    ///
    /// After a failure at head the built-in policy reruns the failing tests at base, then,
    /// when they pass there, the same tests at head (flaky?). The two runs do not depend on
    /// each other, so when the base rerun is asked for the exact failing tests of the head
    /// session, nothing else runs, and `spare` holds, the head rerun starts beside it and
    /// its outcome is served when asked for (and dropped when the failures were there at
    /// base). The head rerun is the same request either way; only its start moves.
    public func speculate(when spare: @escaping @Sendable () -> Bool) {
        lock.lock()
        spareCore = spare
        lock.unlock()
    }

    /// Waits for the runs started ahead that nobody asked for (before the scratch goes).
    public func settle() {
        lock.lock()
        let pending = speculative.values.flatMap(\.values)
        speculative = [:]
        lock.unlock()
        for run in pending { _ = run.wait() }
    }

    /// The requests started ahead for a task and not yet asked for.
    func startedAhead(for task: String) -> [ExecutionRequest] {
        lock.lock()
        defer { lock.unlock() }
        return speculative[task].map { Array($0.keys) } ?? []
    }

    /// Runs a request for a task.
    public func perform(_ request: ExecutionRequest, task: ReviewTask) throws -> ExecutionOutcome {
        lock.lock()
        let cached = prefetched[task.path]?[request]
        let pending = speculative[task.path]?.removeValue(forKey: request)
        running += 1
        lock.unlock()
        defer {
            lock.lock()
            running -= 1
            lock.unlock()
        }
        if let cached { return cached }
        if let pending { return try pending.wait().get() }
        if let rerun = rerunAhead(of: request, task: task) {
            let started = Background { [self] in Result { try execute(rerun, task: task) } }
            lock.lock()
            speculative[task.path, default: [:]][rerun] = started
            lock.unlock()
        }
        return try execute(request, task: task)
    }

    /// The run at head to start beside `request` at base when a core is free and the
    /// built-in policy always asks for it next: the rerun of the head session's failing
    /// tests, and behaviour review's probes and pinned tests (each run at base, then at head).
    private func rerunAhead(of request: ExecutionRequest, task: ReviewTask) -> ExecutionRequest? {
        let ahead: ExecutionRequest
        switch request {
        case .runProbes(let probes, let module, let only, .base):
            ahead = .runProbes(probes, module: module, only: only, side: .head)
        case .runPinnedTests(let file, .base, let seconds):
            ahead = .runPinnedTests(file, side: .head, seconds: seconds)
        case .runTests(let tests, .base, let overrides) where overrides.isEmpty:
            ahead = .runTests(tests, side: .head, overrides: [])
        default:
            return nil
        }
        lock.lock()
        defer { lock.unlock() }
        guard running == 1, spareCore(), speculative[task.path]?[ahead] == nil else { return nil }
        if case .runTests(let tests, _, _) = ahead {
            guard case .tests(let run)? = prefetched[task.path]?[.runTests(task.testTargets, side: .head, overrides: [])],
                TestInvestigation(headRun: run).failing.map(\.nodeID) == tests
            else { return nil }
        }
        return ahead
    }

    /// Runs a request (no prefetched outcome).
    private func execute(_ request: ExecutionRequest, task: ReviewTask) throws -> ExecutionOutcome {
        guard let root = try root(request.side) else {
            return .unavailable("the range starts at the empty tree, there is no base revision")
        }
        let paths = task.importPaths
        switch request {
        case .compile(let file, let side):
            guard FileManager.default.fileExists(atPath: root + "/" + file) else {
                return .unavailable("\(file) does not exist at \(side.rawValue)")
            }
            let result = try toolbox.compile(file, root: root, extraPaths: paths)
            return .process(result, command: PythonToolbox.compileCommand(file))
        case .importModule(let module, _, let overrides):
            let files = try write(overrides)
            let result = try toolbox.importModule(module, root: root, extraPaths: paths, overrides: files)
            return .process(result, command: PythonToolbox.importCommand(module))
        case .runTests(let tests, let side, let overrides):
            // A file an override brings (a new test run against base's code) is there too.
            let present = tests.filter { test in
                let file = String(test.split(separator: ":").first ?? "")
                return FileManager.default.fileExists(atPath: root + "/" + file) || overrides.contains { $0.path == file }
            }
            guard !present.isEmpty else { return .unavailable("none of the tests exist at \(side.rawValue)") }
            let files = try write(overrides)
            return .tests(try toolbox.runTests(present, root: root, overrides: files, extraPaths: paths))
        case .runTestsRecordingCalls(let tests, let targets, let seconds):
            return .tests(try toolbox.runTests(tests, root: root, extraPaths: paths, recording: [targets], seconds: seconds).run)
        case .collectTests(let directories, let side):
            let present = directories.filter { FileManager.default.fileExists(atPath: root + "/" + $0) }
            guard !present.isEmpty else { return .unavailable("none of \(directories.joined(separator: ", ")) exists at \(side.rawValue)") }
            let result = try toolbox.collect(present, root: root, extraPaths: paths)
            return .process(result, command: PythonToolbox.collectCommand(present))
        case .runCode(let source, _):
            let result = try toolbox.runCode(source, root: root, extraPaths: paths)
            return .process(result, command: "python3 -c <code>")
        case .recordProbes(let recording):
            lock.lock()
            let recorded = calls[recording.module]
            lock.unlock()
            // Recorded for these very functions, or not at all.
            let seen = Set((recorded?["seen"]?.members ?? []).map(\.0))
            let (probes, execution) = try toolbox.recordProbes(
                recording, root: root, extraPaths: paths,
                recorded: recording.targets.allSatisfy(seen.contains) ? recorded : nil)
            return .probes(probes, execution)
        case .runProbes(let probes, let module, let only, _):
            return .probeRun(
                try toolbox.runProbes(
                    probes, module: module, only: only, probeSeconds: BehaviourReview.probeSeconds, root: root,
                    extraPaths: paths))
        case .watchTests(let tests, let module, let targets, _):
            return .watched(
                try toolbox.watchTests(
                    tests, module: module, targets: targets, root: root, extraPaths: paths,
                    wallSeconds: BehaviourReview.watchSeconds))
        case .runPinnedTests(let content, _, let seconds):
            return .tests(
                try toolbox.runPinnedTests(
                    content, root: root, extraPaths: paths, wallSeconds: seconds ?? BehaviourReview.probeSeconds * 3 + 10))
        }
    }

    private var overrideCounter = 0

    /// Writes override contents to fresh host files (world-readable, for the sandbox's uid).
    private func write(_ overrides: [FileOverride]) throws -> [PythonToolbox.Override] {
        try overrides.map { override in
            lock.lock()
            overrideCounter += 1
            let path = scratch + "/override-\(overrideCounter).py"
            lock.unlock()
            try Data(override.content.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o644)
            return PythonToolbox.Override(relativePath: override.path, hostFile: path)
        }
    }
}
