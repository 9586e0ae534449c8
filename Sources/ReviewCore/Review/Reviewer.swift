import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewSandbox

/// What to review and how.
public struct ReviewOptions: Sendable {
    /// A directory inside the repository.
    public var directory: String
    /// The range.
    public var request: RangeRequest
    /// The effective configuration (files, environment and flags merged).
    public var configuration: Configuration

    /// Creates options.
    public init(directory: String, request: RangeRequest, configuration: Configuration) {
        self.directory = directory
        self.request = request
        self.configuration = configuration
    }
}

/// Events during a review, for progress lines and traces.
public enum ReviewEvent: Sendable {
    /// Something the user should know (printed as `review: note`).
    case note(String)
    /// A task is starting.
    case taskStarted(index: Int, total: Int, path: String)
    /// A task recorded a step.
    case step(path: String, AgentStep)
}

/// Everything a review produced.
public struct ReviewResult: Sendable {
    public var changeSet: ChangeSet
    public var tasks: [ReviewTask]
    public var skipped: [SkippedFile]
    public var results: [TaskResult]
    /// All findings, deduplicated and in report order.
    public var findings: [Finding]
    public var seconds: Double
    /// `bubblewrap` or `none`; `nil` when nothing ran.
    public var sandbox: String?
    /// The interpreter used, when something ran.
    public var python: String?
    /// `pytest` or `unittest`.
    public var testRunner: String?
    public var notes: [String]

    /// Counts by severity.
    public func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity }.count }
}

/// The orchestration: range -> change set -> tasks -> agent loops -> findings.
public struct Reviewer {
    public var onEvent: @Sendable (ReviewEvent) -> Void

    /// Creates a reviewer that reports events to `onEvent`.
    public init(onEvent: @escaping @Sendable (ReviewEvent) -> Void = { _ in }) {
        self.onEvent = onEvent
    }

    /// Reviews a range.
    ///
    /// - Throws: ``ReviewFailure``: exit 2 for bad input, 3 when git or the sandbox fails.
    public func review(_ options: ReviewOptions) throws(ReviewFailure) -> ReviewResult {
        let started = Date()
        TemporaryDirectories.onInterrupt { ChildProcesses.killAll() }
        let configuration = options.configuration
        let repository: Repository
        let changeSet: ChangeSet
        do {
            repository = try Repository.discover(from: options.directory)
            let range = try repository.resolve(options.request)
            changeSet = range.isTriviallyEmpty ? ChangeSet(range: range, files: []) : try repository.changes(in: range)
        } catch {
            throw ReviewFailure(error)
        }
        let planner = Planner(configuration: configuration)
        var result = ReviewResult(
            changeSet: changeSet, tasks: [], skipped: [], results: [], findings: [], seconds: 0, sandbox: nil,
            python: nil, testRunner: nil, notes: [])

        // Fast path: nothing that could be Python, nothing materialized.
        let mayHaveScripts = changeSet.files.contains { file in
            guard let path = file.path.string, file.status != .deleted else { return false }
            return !(path as NSString).lastPathComponent.contains(".")
        }
        let quick = planner.candidates(changeSet, headRoot: nil)
        if quick.files.isEmpty && !mayHaveScripts {
            result.skipped = quick.skipped
            result.seconds = Date().timeIntervalSince(started)
            return result
        }

        let head: Snapshot
        do {
            head = try repository.materialize(changeSet.range.head)
        } catch {
            throw ReviewFailure(error)
        }
        let (files, skipped) = planner.candidates(changeSet, headRoot: head.root)
        var (tasks, budgetSkipped) = planner.tasks(for: files, changeSet: changeSet, headRoot: head.root)
        result.skipped = skipped + budgetSkipped
        guard !tasks.isEmpty else {
            result.seconds = Date().timeIntervalSince(started)
            return result
        }

        // The sandbox and the interpreter.
        let sandbox: any Sandbox
        let interpreter: Interpreter
        do {
            let dropping = configuration.sandbox == .bubblewrap && geteuid() == 0
            let (chosen, note) = try InterpreterChoice.choose(
                configured: configuration.python, worktree: repository.workingDirectory, droppingPrivileges: dropping)
            interpreter = chosen
            if let note { emit(.note(note), into: &result) }
            switch configuration.sandbox {
            case .bubblewrap:
                sandbox = try BubblewrapSandbox(interpreter: interpreter)
            case .none:
                emit(.note("warning: --sandbox none: the reviewed code runs without isolation, with your privileges"), into: &result)
                sandbox = UnsandboxedRunner()
            }
        } catch let error as SandboxError {
            throw ReviewFailure(error.description, status: .infrastructure)
        } catch let error as ReviewFailure {
            throw error
        } catch {
            throw ReviewFailure("\(error)", status: .infrastructure)
        }
        var limits = Limits.standard
        limits.wallSeconds = Double(configuration.timeout)
        limits.cpuSeconds = configuration.timeout
        let toolbox: PythonToolbox
        do {
            toolbox = try PythonToolbox(sandbox: sandbox, interpreter: interpreter, limits: limits)
        } catch {
            throw ReviewFailure(error.description, status: .infrastructure)
        }
        result.sandbox = sandbox.name
        result.python = interpreter.path
        result.testRunner = toolbox.hasPytest ? "pytest" : "unittest"
        if !toolbox.hasPytest {
            emit(.note("pytest is not installed for \(interpreter.path); running tests with unittest"), into: &result)
        }
        if let analyses = try? toolbox.analyze(tasks.map(\.path), root: head.root) {
            Planner.attachSymbols(&tasks, analyses: analyses)
        }
        result.tasks = tasks

        // The base snapshot, written only if some task needs it.
        let baseBox = BaseSnapshot(repository: repository, base: changeSet.range.base)
        let scratch: String
        do {
            scratch = try TemporaryDirectories.make(prefix: "review-scratch-")
            chmod(scratch, 0o711)
        } catch {
            throw ReviewFailure(error)
        }
        defer { TemporaryDirectories.remove(scratch) }
        let workspace = Workspace(toolbox: toolbox, headRoot: head.root, scratch: scratch) {
            try baseBox.root()
        }
        let onEvent = self.onEvent
        let loop = AgentLoop(onStep: { task, step in onEvent(.step(path: task.path, step)) })
        for (index, task) in tasks.enumerated() {
            onEvent(.taskStarted(index: index + 1, total: tasks.count, path: task.path))
            let reader: BuiltinPolicy.SourceReader = { side, path in
                let root = side == .head ? head.root : ((try? workspace.base()) ?? nil)
                guard let root else { return nil }
                return try? String(contentsOfFile: root + "/" + path, encoding: .utf8)
            }
            do {
                let taskResult = try loop.run(task, policy: BuiltinPolicy(task: task, read: reader), workspace: workspace)
                result.results.append(taskResult)
            } catch let error as SandboxError {
                throw ReviewFailure(error.description, status: .infrastructure)
            } catch let error as GitError {
                throw ReviewFailure(error)
            } catch {
                throw ReviewFailure("reviewing \(task.path) failed: \(error)", status: .infrastructure)
            }
        }
        var seen = Set<String>()
        result.findings = result.results.flatMap(\.findings).sorted(by: Finding.reportOrder).filter {
            seen.insert($0.fingerprint + "\($0.line)").inserted
        }
        withExtendedLifetime(head) {}
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    private func emit(_ event: ReviewEvent, into result: inout ReviewResult) {
        if case .note(let text) = event { result.notes.append(text) }
        onEvent(event)
    }
}

/// The base revision's snapshot, materialized on first use.
final class BaseSnapshot {
    private let repository: Repository
    private let base: ObjectID?
    private var snapshot: Snapshot?

    init(repository: Repository, base: ObjectID?) {
        self.repository = repository
        self.base = base
    }

    func root() throws -> String? {
        guard let base else { return nil }
        if let snapshot { return snapshot.root }
        let made = try repository.materialize(.commit(base))
        snapshot = made
        return made.root
    }
}
