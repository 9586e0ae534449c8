import Foundation
import ReviewAgent
import ReviewGit
import ReviewJSON
import ReviewSandbox

/// The prefetch stage: the head-side checks of every task at once, on two cores. One
/// sandboxed interpreter parses, byte-compiles and imports every changed file while one
/// pytest session runs every related test at head; each task's loop is then served its
/// share from the workspace, and only investigations run per task.
///
/// With behaviour review on, that session also records the calls of the changed functions
/// (``PythonScripts/callsPlugin``): their names come from the parse that digests each
/// changed file before the session starts, and the probe driver later derives its probes
/// from what was recorded instead of running the tests a second time.
struct Prefetch {
    /// Where the tasks' executions happen, holding the prefetched results.
    let workspace: Workspace
    /// `pytest`, or `unittest` when the interpreter has no pytest.
    let testRunner: String
    /// What the user should know (pytest missing).
    let notes: [String]
    /// A private directory for override files; the caller removes it.
    let scratch: String

    /// Runs the shared checks and hands each task its share; attaches the changed symbols
    /// the parse found to the tasks.
    ///
    /// - Throws: ``ReviewFailure`` (exit 3) when the sandbox cannot run at all.
    ///
    /// - Parameter probeSeconds: with behaviour review on, the seconds the session may spend
    ///   copying calls; `nil` when it is off.
    /// - Parameter known: failures found at base by earlier reviews (read, then added to).
    /// - Parameter spare: whether a core is free (nothing recorded beside the review), for
    ///   the checks of a stopped session; `nil` when the session runs to its end
    ///   (`on-regression = "run-all"`).
    static func run(
        _ tasks: inout [ReviewTask], toolbox: PythonToolbox, head: Snapshot, base: DeferredSnapshot,
        probeSeconds: Double?, spare: (@Sendable () -> Bool)?, known: KnownFailures?
    ) throws(ReviewFailure) -> Prefetch {
        let (same, symbols) = sameCode(tasks, toolbox: toolbox, head: head, base: base, symbols: probeSeconds != nil)
        for index in tasks.indices where same.contains(tasks[index].path) { tasks[index].sameCode = true }
        Planner.attachSymbols(&tasks, symbols: symbols)
        let recording = probeSeconds.map { seconds in (tasks.compactMap(\.callTargets), seconds) }
        let seed = known?.load() ?? SessionStop()
        let stopping = spare.map { spare in HeadSession.Stopping(base: { try? base.root() }, spare: spare, known: seed) }
        let session = startSession(
            toolbox: toolbox, tasks: tasks.filter { !$0.sameCode }, head: head.root, recording: recording,
            stopping: stopping)
        let checks: [String: PythonToolbox.FileCheck]
        do {
            checks = try toolbox.check(
                tasks.map { ($0.path, $0.isTestFile ? nil : $0.module) }, root: head.root,
                extraPaths: importPaths(of: tasks))
        } catch {
            _ = session.wait()
            throw ReviewFailure(error.description, status: .infrastructure)
        }
        Planner.attachSymbols(&tasks, symbols: checks.mapValues(\.symbols))
        let hasPytest = (try? toolbox.hasPytest()) ?? true
        let notes = hasPytest ? [] : ["pytest is not installed for \(toolbox.interpreter.path); running tests with unittest"]
        let scratch: String
        do {
            scratch = try TemporaryDirectories.make(prefix: "review-scratch-")
            chmod(scratch, 0o711)
        } catch {
            _ = session.wait()
            throw ReviewFailure(error)
        }
        let workspace = Workspace(toolbox: toolbox, headRoot: head.root, scratch: scratch) { try base.root() }
        let shared = session.wait()
        known?.remember(shared?.preExisting ?? [])
        for (module, state) in shared?.calls ?? [:] { workspace.recordedCalls(state, module: module) }
        serve(tasks, checks: checks, session: shared, workspace: workspace)
        return Prefetch(workspace: workspace, testRunner: hasPytest ? "pytest" : "unittest", notes: notes, scratch: scratch)
    }

    /// The tasks whose file has the same syntax tree at base and head (comments, blank
    /// lines, formatting: positions are not compared, docstrings are), by path: one
    /// interpreter per revision digests them all. A file that does not parse on either side
    /// is not among them. With `symbols`, the same parse at head also gives the functions
    /// and classes of those files.
    private static func sameCode(
        _ tasks: [ReviewTask], toolbox: PythonToolbox, head: Snapshot, base: DeferredSnapshot, symbols: Bool
    ) -> (same: Set<String>, symbols: [String: [PythonSymbol]]) {
        let moved = tasks.filter { $0.basePath != nil && !$0.hunks.isEmpty }
        guard !moved.isEmpty, let baseRoot = try? base.root(),
            let atHead = try? toolbox.treeDigests(moved.map(\.path), root: head.root, symbols: symbols),
            let atBase = try? toolbox.treeDigests(moved.compactMap(\.basePath), root: baseRoot)
        else { return ([], [:]) }
        let same = Set(
            moved.filter { task in
                guard let basePath = task.basePath, let digest = atHead.digests[task.path] else { return false }
                return atBase.digests[basePath] == digest
            }.map(\.path))
        return (same, atHead.symbols)
    }

    /// Every task's import roots, once each.
    static func importPaths(of tasks: [ReviewTask]) -> [String] {
        Array(Set(tasks.flatMap(\.importPaths))).sorted()
    }

    /// One pytest session over the related tests of every task at head, on another thread,
    /// recording the calls of `recording`'s targets for their seconds, and stopping at the
    /// first regression when `stopping` is given (``HeadSession``); `nil` when there is
    /// nothing to run or it could not run.
    private static func startSession(
        toolbox: PythonToolbox, tasks: [ReviewTask], head: String, recording: ([CallTargets], Double)?,
        stopping: HeadSession.Stopping?
    ) -> Background<HeadSession?> {
        let owners = tasks.map(\.testTargets).filter { !$0.isEmpty }
        let paths = importPaths(of: tasks)
        return Background {
            guard !owners.isEmpty else { return nil }
            return HeadSession.run(
                owners: owners, toolbox: toolbox, head: head, extraPaths: paths,
                recording: recording.map { (targets: $0.0, seconds: $0.1) }, stopping: stopping)
        }
    }

    /// Hands each task its share of the shared runs: the batch check's compile and import
    /// results, and the test session's outcomes for its test files. A task whose share is
    /// missing (a shared run crashed or timed out) runs its own. When the session stopped
    /// at a regression, only the tasks whose share holds a failure get their share (with
    /// the reruns that proved it, when they are the task's own next steps); the others run
    /// their tests themselves, whole.
    private static func serve(
        _ tasks: [ReviewTask], checks: [String: PythonToolbox.FileCheck], session shared: HeadSession?,
        workspace: Workspace
    ) {
        for task in tasks {
            guard let check = checks[task.path] else { continue }
            workspace.prefetch(
                .process(check.compile, command: PythonToolbox.compileCommand(task.path)),
                for: .compile(file: task.path, side: .head), task: task.path)
            if let module = task.module, !task.isTestFile, let imported = check.importResult {
                workspace.prefetch(
                    .process(imported, command: PythonToolbox.importCommand(module)),
                    for: .importModule(module, side: .head, overrides: []), task: task.path)
            }
        }
        guard let session = shared?.run, !session.runnerBroke else { return }
        for task in tasks where !task.testTargets.isEmpty {
            let targets = task.testTargets
            let wholeFiles = Set(targets.filter { !$0.contains("::") })
            let nodes = Set(targets.filter { $0.contains("::") })
            let files = Set(task.tests)
            var share = TestRun(
                execution: session.execution,
                command: PythonToolbox.testCommand(targets),
                outcomes: session.outcomes.filter {
                    wholeFiles.contains($0.file) || nodes.contains(ImpactMap.withoutParameters($0.nodeID))
                },
                collectionErrors: session.collectionErrors.filter { files.contains($0.key) }, runner: session.runner)
            share.recordedIn = session.recordedIn
            if let stop = session.stopReport {
                // Stopped at a regression: a task gets what did not run of its own tests.
                let cut = stop.notRun.filter { HeadSession.covers(targets, $0) }
                share.stopReport = cut.isEmpty ? nil : SessionStopReport(stopped: true, failed: [], ran: [], notRun: cut)
                let failing = HeadSession.failing(share)
                // Cut short without a failure of its own (the session could not go on): it runs its tests itself.
                guard !failing.isEmpty || cut.isEmpty else { continue }
                // The reruns ran with every task's import roots and this task's failures: its own
                // next steps only when both are the same.
                let served = shared?.served ?? []
                if Array(Set(task.importPaths)).sorted() == shared?.extraPaths,
                    served.first?.request == .runTests(failing, side: .base, overrides: [])
                {
                    for (request, run) in served { workspace.prefetch(.tests(run), for: request, task: task.path) }
                }
            }
            workspace.prefetch(.tests(share), for: .runTests(targets, side: .head, overrides: []), task: task.path)
        }
    }
}
