import Foundation
import ReviewAgent
import ReviewGit
import ReviewSandbox

/// The prefetch stage: the head-side checks of every task at once, on two cores. One
/// sandboxed interpreter parses, byte-compiles and imports every changed file while one
/// pytest session runs every related test at head; each task's loop is then served its
/// share from the workspace, and only investigations run per task.
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
    static func run(
        _ tasks: inout [ReviewTask], toolbox: PythonToolbox, head: Snapshot, base: DeferredSnapshot
    ) throws(ReviewFailure) -> Prefetch {
        let same = sameCode(tasks, toolbox: toolbox, head: head, base: base)
        for index in tasks.indices where same.contains(tasks[index].path) { tasks[index].sameCode = true }
        let session = startSession(toolbox: toolbox, tasks: tasks.filter { !$0.sameCode }, head: head.root)
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
        serve(tasks, checks: checks, session: session.wait(), workspace: workspace)
        return Prefetch(workspace: workspace, testRunner: hasPytest ? "pytest" : "unittest", notes: notes, scratch: scratch)
    }

    /// The tasks whose file has the same syntax tree at base and head (comments, blank
    /// lines, formatting: positions are not compared, docstrings are), by path: one
    /// interpreter per revision digests them all. A file that does not parse on either side
    /// is not among them.
    private static func sameCode(
        _ tasks: [ReviewTask], toolbox: PythonToolbox, head: Snapshot, base: DeferredSnapshot
    ) -> Set<String> {
        let moved = tasks.filter { $0.basePath != nil && !$0.hunks.isEmpty }
        guard !moved.isEmpty, let baseRoot = try? base.root(),
            let atHead = try? toolbox.treeDigests(moved.map(\.path), root: head.root),
            let atBase = try? toolbox.treeDigests(moved.compactMap(\.basePath), root: baseRoot)
        else { return [] }
        return Set(
            moved.filter { task in
                guard let basePath = task.basePath, let digest = atHead[task.path] else { return false }
                return atBase[basePath] == digest
            }.map(\.path))
    }

    /// Every task's import roots, once each.
    static func importPaths(of tasks: [ReviewTask]) -> [String] {
        Array(Set(tasks.flatMap(\.importPaths))).sorted()
    }

    /// One pytest session over the related tests of every task at head, on another thread;
    /// `nil` when there is nothing to run or it could not run.
    private static func startSession(toolbox: PythonToolbox, tasks: [ReviewTask], head: String) -> Background<TestRun?> {
        // Every task's targets once; a node id is dropped when its whole file runs anyway.
        var tests: [String] = []
        for task in tasks { for test in task.testTargets where !tests.contains(test) { tests.append(test) } }
        let wholeFiles = Set(tests.filter { !$0.contains("::") })
        tests = tests.filter { !$0.contains("::") || !wholeFiles.contains(PythonToolbox.file(of: $0)) }
        let paths = importPaths(of: tasks)
        return Background { [tests] in
            tests.isEmpty ? nil : try? toolbox.runTests(tests, root: head, extraPaths: paths)
        }
    }

    /// Hands each task its share of the shared runs: the batch check's compile and import
    /// results, and the test session's outcomes for its test files. A task whose share is
    /// missing (a shared run crashed or timed out) runs its own.
    private static func serve(
        _ tasks: [ReviewTask], checks: [String: PythonToolbox.FileCheck], session: TestRun?, workspace: Workspace
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
        guard let session, !session.runnerBroke else { return }
        for task in tasks where !task.testTargets.isEmpty {
            let targets = task.testTargets
            let wholeFiles = Set(targets.filter { !$0.contains("::") })
            let nodes = Set(targets.filter { $0.contains("::") })
            let files = Set(task.tests)
            let share = TestRun(
                execution: session.execution,
                command: PythonToolbox.testCommand(targets),
                outcomes: session.outcomes.filter {
                    wholeFiles.contains($0.file) || nodes.contains(ImpactMap.withoutParameters($0.nodeID))
                },
                collectionErrors: session.collectionErrors.filter { files.contains($0.key) }, runner: session.runner)
            workspace.prefetch(.tests(share), for: .runTests(targets, side: .head, overrides: []), task: task.path)
        }
    }
}
