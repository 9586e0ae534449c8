import Foundation
import ReviewAgent
import ReviewGit
import ReviewSandbox

/// The orchestration: the review as a sequence of stages, each a type of its own.
///
/// ```
/// ChangeStage        range -> change set (libgit2)
/// InterpreterChoice  the interpreter, found without running anything
/// CachePolicy        a complete earlier run answers here, without a snapshot
/// Planner            head -> one task per changed Python file (+ shard)
/// TestSelectionStage impact map or import graph; may record a map beside the review
/// Prefetch           one batch check and one test session at head for all tasks
/// TaskPool           --jobs workers, each task through TaskReviewer (built-in, then model)
/// ```
public struct Reviewer {
    public var onEvent: @Sendable (ReviewEvent) -> Void

    /// Creates a reviewer that reports events to `onEvent`.
    public init(onEvent: @escaping @Sendable (ReviewEvent) -> Void = { _ in }) {
        self.onEvent = onEvent
    }

    /// Reviews a range of the project.
    ///
    /// - Throws: ``ReviewFailure``: exit 2 for bad input, 3 when git or the sandbox fails.
    public func review(_ options: ReviewOptions, in project: Project) throws(ReviewFailure) -> ReviewResult {
        let started = Date()
        TemporaryDirectories.onInterrupt { ChildProcesses.killAll() }
        let configuration = options.configuration
        var clock = PhaseClock(onEvent)
        let changeSet = try ChangeStage.changes(options.request, in: project)
        let range = changeSet.range
        clock.end("resolve range and diff")
        var result = ReviewResult(changeSet: changeSet, shard: options.shard)
        let planner = Planner(configuration: configuration)
        if let skipped = ChangeStage.clearlyNotPython(changeSet, planner: planner) {
            result.skipped = skipped
            return finished(result, started)
        }

        let (interpreter, interpreterNote) = try InterpreterChoice.choose(
            configured: configuration.python, worktree: project.repository.workingDirectory,
            droppingPrivileges: configuration.sandbox == .bubblewrap && geteuid() == 0)
        if let interpreterNote { note(interpreterNote, &result) }
        let cache = CachePolicy(project: project, range: range, options: options, interpreter: interpreter)
        let complete = cache.completeRun()
        for warning in cache.warnings() { note(warning, &result) }
        if let (run, entries) = complete {
            result.tasks = run.tasks
            result.skipped = run.skipped
            result.sandbox = run.sandbox
            result.python = interpreter.path
            result.testRunner = run.testRunner
            result.add(entries.map { TaskOutcome(result: $0.result, calls: $0.calls, tokens: $0.tokens, cached: true) })
            note("all \(entries.count) result(s) from the cache in \(cache.directory) (--no-cache reruns them)", &result)
            clock.end("results from the cache")
            return finished(result, started)
        }

        let head: Snapshot
        do {
            head = try project.repository.materialize(range.head)
        } catch {
            throw ReviewFailure(error)
        }
        let base = project.repository.deferredSnapshot(of: range.base, sharingWith: head)
        clock.end("materialize head")
        let headFiles = DirectoryFiles(root: head.root)
        let (files, skipped) = planner.candidates(changeSet, head: headFiles)
        var (tasks, overBudget) = planner.tasks(for: files, changeSet: changeSet, head: headFiles)
        if let shard = options.shard {
            let all = tasks.count
            tasks = shard.select(tasks) { Shard.cost(of: $0, head: head.root) }
            note("shard \(shard): \(tasks.count) of \(all) task(s)", &result)
        }
        clock.end("plan tasks")
        result.skipped = skipped + overBudget
        guard !tasks.isEmpty else { return finished(result, started) }

        if configuration.sandbox == .none {
            note("warning: --sandbox none: the reviewed code runs without isolation, with your privileges", &result)
        }
        let sandbox = try options.sandbox(configuration.sandbox, interpreter)
        let toolbox = PythonToolbox(sandbox: sandbox, interpreter: interpreter, limits: configuration.limits)
        result.sandbox = sandbox.name
        result.python = interpreter.path
        // The planner gave every task the revision's import roots.
        let importRoots = Prefetch.importPaths(of: tasks)
        let selection = TestSelectionStage.select(
            &tasks, range: range, repository: project.repository, store: cache.store, configuration: configuration,
            toolbox: toolbox, base: base, head: head.root, importPaths: importRoots)
        for text in selection.notes { note(text, &result) }
        // A map's selection replaces the import graph's, and with it the planner's bound.
        let mapped = Set(tasks.filter { $0.testNodes != nil }.map(\.path))
        result.skipped.removeAll { mapped.contains($0.path) && $0.isBudget }
        // Runs beside another (a flaky rerun beside its base rerun, the checks of a session
        // stopped at a failure) when a core is free: two or more, and no map recorded beside.
        let beside = selection.recording
        let spare: @Sendable () -> Bool = {
            ProcessInfo.processInfo.activeProcessorCount >= 2 && beside?.isDone != false
        }
        let prefetch: Prefetch
        do {
            prefetch = try Prefetch.run(
                &tasks, toolbox: toolbox, head: head, base: base,
                probeSeconds: configuration.probe == .off ? nil : Double(configuration.probeSeconds),
                spare: configuration.onRegression == .stop ? spare : nil,
                known: options.useCache && configuration.cacheSizeMB > 0
                    ? KnownFailures(gitDirectory: project.commonDirectory) : nil)
        } catch {
            selection.abandon()
            throw error
        }
        defer {
            prefetch.workspace.settle()
            TemporaryDirectories.remove(prefetch.scratch)
        }
        prefetch.workspace.speculate(when: spare)
        result.tasks = tasks
        result.testRunner = prefetch.testRunner
        for text in prefetch.notes { note(text, &result) }
        clock.end("one test session at head")

        let model = options.model.map { settings in
            ModelRun(
                settings: settings, client: (options.chatClient ?? ReviewOptions.standardChatClient(apiKey: nil))(settings),
                budget: TokenBudget(limit: settings.maxTokensPerRun), fallback: options.modelFallback)
        }
        let environment = ProjectEnvironment(
            projectNames: ImportRoots.topLevelNames(roots: importRoots, files: headFiles), python: interpreter.path)
        let dependencies = DependencyCheck(
            declared: DeclaredDependencies(files: headFiles), standardLibrary: toolbox.standardLibrary,
            projectNames: environment.projectNames)
        let reviewer = TaskReviewer(
            workspace: prefetch.workspace, environment: environment, dependencies: dependencies, cache: cache,
            model: model, total: tasks.count,
            probing: configuration.probe == .off ? nil : BuiltinPolicy.Probing(seconds: Double(configuration.probeSeconds)),
            budget: configuration.budgetSeconds > 0 ? (started, configuration.budgetSeconds) : nil, onEvent: onEvent)
        let planned = tasks
        let slots = TaskPool.run(count: tasks.count, jobs: configuration.jobs) { reviewer.review(planned[$0], index: $0) }
        if let failure = reviewer.failure { throw failure }
        var outcomes: [TaskOutcome] = []
        result.tasks = []
        for (task, slot) in zip(tasks, slots) {
            switch slot {
            case .reviewed(let outcome):
                result.tasks.append(task)
                outcomes.append(outcome)
            case .skipped(let file):
                result.skipped.append(file)
            case .abandoned:
                break
            }
        }
        result.add(outcomes)
        result.addUntestedBudgetFiles()
        for text in outcomes.flatMap(\.notes) { note(text, &result) }
        clock.end("investigate tasks")
        let recorded = selection.finish()
        if !recorded.isEmpty {
            for text in recorded { note(text, &result) }
            clock.end("bring the impact map up to date (beside the review)")
        }
        cache.keepPlan(
            CachedRun(tasks: tasks, skipped: result.skipped, sandbox: result.sandbox, testRunner: result.testRunner),
            complete: result.skipped.count == skipped.count + overBudget.count && result.results.count == tasks.count)
        if result.cachedTasks > 0 {
            note("\(result.cachedTasks) of \(tasks.count) result(s) from the cache in \(cache.directory)", &result)
        }
        for warning in cache.finish() { note(warning, &result) }
        withExtendedLifetime(head) {}
        return finished(result, started)
    }

    private func finished(_ result: ReviewResult, _ started: Date) -> ReviewResult {
        var result = result
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    private func note(_ text: String, _ result: inout ReviewResult) {
        result.notes.append(text)
        onEvent(.note(text))
    }
}

/// The wall time of each stage, reported as a ``ReviewEvent/phase(_:seconds:)`` event.
struct PhaseClock {
    private let onEvent: @Sendable (ReviewEvent) -> Void
    private var last = Date()

    init(_ onEvent: @escaping @Sendable (ReviewEvent) -> Void) {
        self.onEvent = onEvent
    }

    /// Ends the stage that ran since the last call.
    mutating func end(_ name: String) {
        let now = Date()
        onEvent(.phase(name, seconds: now.timeIntervalSince(last)))
        last = now
    }
}
