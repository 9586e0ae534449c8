import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewModel
import ReviewSandbox

/// What to review and how.
public struct ReviewOptions: Sendable {
    /// A directory inside the repository.
    public var directory: String
    /// The range.
    public var request: RangeRequest
    /// The effective configuration (files, environment and flags merged).
    public var configuration: Configuration
    /// The model server, when the model-driven agent should work the tasks too.
    public var model: ModelSettings?
    /// When the model server fails: keep reviewing with the built-in policy (with a
    /// warning) instead of exiting 3.
    public var modelFallback = false
    /// Reuse and keep results in the result cache (`--no-cache` turns it off).
    public var useCache = true
    /// Review only this share of the tasks (`review ci --shard I/N`).
    public var shard: Shard?

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
    /// A phase of the run ended, with its wall time (for `--trace`).
    case phase(String, seconds: Double)
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
    /// Model calls and tokens, when a model worked the tasks.
    public var modelCalls = 0
    public var modelTokens = 0
    /// The model conversation of each task, by path (for `--trace-dir`).
    public var conversations: [String: [ChatMessage]] = [:]
    /// How many task results came from the result cache.
    public var cachedTasks = 0
    /// The share of the tasks this run reviewed, when sharded.
    public var shard: Shard?

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
        var clock = Date()
        let report = self.onEvent
        func phase(_ name: String) {
            let now = Date()
            report(.phase(name, seconds: now.timeIntervalSince(clock)))
            clock = now
        }
        phase("resolve range and diff")
        let planner = Planner(configuration: configuration)
        var result = ReviewResult(
            changeSet: changeSet, tasks: [], skipped: [], results: [], findings: [], seconds: 0, sandbox: nil,
            python: nil, testRunner: nil, notes: [])
        result.shard = options.shard

        // Fast path: nothing that could be Python, nothing materialized.
        let mayHaveScripts = changeSet.files.contains { file in
            guard let path = file.path.string, file.status != .deleted else { return false }
            return !(path as NSString).lastPathComponent.contains(".")
        }
        let quick = planner.candidates(changeSet, head: nil)
        if quick.files.isEmpty && !mayHaveScripts {
            result.skipped = quick.skipped
            result.seconds = Date().timeIntervalSince(started)
            return result
        }

        // The interpreter (found without running anything), then the cache: a range reviewed
        // before returns here, without a snapshot.
        let interpreter: Interpreter
        let dropping = configuration.sandbox == .bubblewrap && geteuid() == 0
        let (chosen, interpreterNote) = try InterpreterChoice.choose(
            configured: configuration.python, worktree: repository.workingDirectory, droppingPrivileges: dropping)
        interpreter = chosen
        if let interpreterNote { emit(.note(interpreterNote), into: &result) }
        // The cache directory also keeps impact maps, which --no-cache does not bypass: they
        // choose tests, they are not results.
        let store = configuration.cacheSizeMB > 0
            ? ResultCache(gitDirectory: repository.commonDirectory, maxBytes: configuration.cacheSizeMB * 1_048_576) : nil
        let trees = RangeTrees(of: changeSet.range, in: repository)
        let runKey = options.useCache && store != nil
            ? CacheKeys.run(trees: trees, configuration: configuration, interpreter: interpreter, model: options.model)
            : nil
        let cache = runKey == nil ? nil : store
        if let cache, let runKey, let cached = cache.load(CachedRun.self, key: CacheKeys.plan(run: runKey, shard: options.shard)) {
            let entries = cached.tasks.map { cache.load(CachedTask.self, key: CacheKeys.task($0, run: runKey)) }
            for warning in cache.takeWarnings() { emit(.note(warning), into: &result) }
            if entries.allSatisfy({ $0 != nil }) {
                let entries = entries.compactMap { $0 }
                result.tasks = cached.tasks
                result.skipped = cached.skipped
                result.sandbox = cached.sandbox
                result.python = interpreter.path
                result.testRunner = cached.testRunner
                result.results = entries.map(\.result)
                result.modelCalls = entries.map(\.calls).reduce(0, +)
                result.modelTokens = entries.map(\.tokens).reduce(0, +)
                result.cachedTasks = entries.count
                result.findings = Self.reportFindings(result.results)
                emit(.note("all \(entries.count) result(s) from the cache in \(cache.directory) (--no-cache reruns them)"), into: &result)
                phase("results from the cache")
                result.seconds = Date().timeIntervalSince(started)
                return result
            }
        }

        let head: Snapshot
        do {
            head = try repository.materialize(changeSet.range.head)
        } catch {
            throw ReviewFailure(error)
        }
        phase("materialize head")
        let headFiles = DirectoryFiles(root: head.root)
        let (files, skipped) = planner.candidates(changeSet, head: headFiles)
        var (tasks, budgetSkipped) = planner.tasks(for: files, changeSet: changeSet, head: headFiles)
        if let shard = options.shard {
            let all = tasks.count
            tasks = shard.select(tasks) { Self.shardCost($0, head: head.root) }
            emit(.note("shard \(shard): \(tasks.count) of \(all) task(s)"), into: &result)
        }
        phase("plan tasks")
        result.skipped = skipped + budgetSkipped
        guard !tasks.isEmpty else {
            result.seconds = Date().timeIntervalSince(started)
            return result
        }

        // The sandbox.
        let sandbox: any Sandbox
        do {
            switch configuration.sandbox {
            case .bubblewrap:
                sandbox = try BubblewrapSandbox(interpreter: interpreter)
            case .none:
                emit(.note("warning: --sandbox none: the reviewed code runs without isolation, with your privileges"), into: &result)
                sandbox = UnsandboxedRunner()
            }
        } catch {
            throw ReviewFailure(error.description, status: .infrastructure)
        }
        var limits = Limits.standard
        limits.wallSeconds = Double(configuration.timeout)
        limits.cpuSeconds = configuration.timeout
        let toolbox = PythonToolbox(sandbox: sandbox, interpreter: interpreter, limits: limits)
        result.sandbox = sandbox.name
        result.python = interpreter.path
        let importPaths = Array(Set(tasks.flatMap(\.importPaths))).sorted()
        // The base snapshot, written only if some task (or the impact map) needs it.
        let baseBox = BaseSnapshot(repository: repository, base: changeSet.range.base, sharingWith: head)

        // Test selection by the impact map of the base tree, from the cache. When there is
        // none, it is recorded now for later reviews: one run of the suite at base on one
        // core while this review runs the import graph's selection on the other, so a first
        // review takes about as long as the slower of the two.
        let impactKey = store == nil
            ? nil
            : trees.base.map {
                CacheKeys.impactMap(
                    baseTree: $0, configuration: configuration, interpreter: interpreter, importPaths: importPaths)
            }
        var recording: Background<ImpactOutcome>?
        if configuration.impactMap != .off, let store, let impactKey {
            if let map = store.load(ImpactMap.self, key: impactKey) {
                applyImpact(map, to: &tasks, baseTree: trees.base?.hex ?? "")
            } else if configuration.impactMap == .auto, changeSet.range.base != nil,
                tasks.contains(where: { !$0.isTestFile && $0.basePath != nil })
            {
                recording = ImpactOutcome.record(
                    toolbox: toolbox, base: baseBox, configuration: configuration, importPaths: importPaths,
                    wallSeconds: Double(max(600, configuration.timeout * 5)))
                for index in tasks.indices where tasks[index].testSelection == ReviewTask.importGraph {
                    tasks[index].testSelection = "import graph (the impact map is being recorded at base for later reviews)"
                }
            }
        } else if configuration.impactMap != .off && store == nil {
            // Without a cache (cache-size-mb = 0) a recorded map could not be kept.
            for index in tasks.indices { tasks[index].testSelection = "import graph (no result cache to keep an impact map in)" }
        }

        // Two things at once, on two cores: one interpreter compiles and imports every changed
        // file while one pytest session runs every related test at head.
        let session = speculativeSession(toolbox: toolbox, tasks: tasks, head: head.root)
        let checks: [String: PythonToolbox.FileCheck]
        do {
            checks = try toolbox.check(
                tasks.map { ($0.path, $0.isTestFile ? nil : $0.module) }, root: head.root, extraPaths: importPaths)
        } catch {
            _ = session.wait()
            _ = recording?.wait()
            throw ReviewFailure(error.description, status: .infrastructure)
        }
        phase("compile and import all changed files")
        Planner.attachSymbols(&tasks, symbols: checks.mapValues(\.symbols))
        result.tasks = tasks
        let hasPytest = (try? toolbox.hasPytest()) ?? true
        result.testRunner = hasPytest ? "pytest" : "unittest"
        if !hasPytest {
            emit(.note("pytest is not installed for \(interpreter.path); running tests with unittest"), into: &result)
        }

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
        prefetch(tasks, checks: checks, session: session.wait(), workspace: workspace)
        phase("one test session at head")
        let modelAgent: ModelAgent? = options.model.map { settings in
            var client = OpenAICompatibleClient(
                baseURL: settings.url, apiKey: OpenAICompatibleClient.apiKey(from: ProcessInfo.processInfo.environment))
            client.requestTimeout = settings.requestTimeout
            return ModelAgent(client: client, settings: settings)
        }
        let tokenBudget = TokenBudget(limit: options.model?.maxTokensPerRun ?? 0)
        let onEvent = self.onEvent
        let loop = AgentLoop(onStep: { task, step in onEvent(.step(path: task.path, step)) })
        // Tasks run concurrently, at most `jobs` at a time; results keep the task order.
        let shared = TaskRunState(model: modelAgent)
        let taskList = tasks
        let jobs = max(1, min(configuration.jobs, tasks.count))
        let slots = TaskSlots(count: tasks.count)
        let modelSettings = options.model
        let fallback = options.modelFallback
        // Own threads, not concurrentPerform (which caps at the core count): tasks mostly
        // wait on sandboxes and model servers, so `jobs` may exceed the cores.
        let queue = TaskQueue(count: tasks.count)
        let group = DispatchGroup()
        let budget = Double(configuration.budgetSeconds)
        let work: @Sendable (Int) -> Void = { index in
            let task = taskList[index]
            if shared.failed { return }
            if budget > 0 && Date().timeIntervalSince(started) >= budget {
                slots.skip(index, SkippedFile(
                    path: task.path, reason: "budget: \(Int(budget)) s reached before this file was reviewed"))
                return
            }
            onEvent(.taskStarted(index: index + 1, total: taskList.count, path: task.path))
            let taskKey = runKey.map { CacheKeys.task(task, run: $0) }
            if let cache, let taskKey, let hit = cache.load(CachedTask.self, key: taskKey) {
                var slot = TaskSlot(result: hit.result)
                slot.calls = hit.calls
                slot.tokens = hit.tokens
                slot.cached = true
                slots.set(index, slot)
                return
            }
            let reader: BuiltinPolicy.SourceReader = { side, path in
                let root = side == .head ? head.root : ((try? workspace.base()) ?? nil)
                guard let root else { return nil }
                return try? String(contentsOfFile: root + "/" + path, encoding: .utf8)
            }
            do {
                var taskResult = try loop.run(task, policy: BuiltinPolicy(task: task, read: reader), workspace: workspace)
                var slot = TaskSlot(result: taskResult)
                if let agent = shared.model {
                    let text = ModelAgent.taskText(
                        task, head: reader(.head, task.path), base: task.basePath.flatMap { reader(.base, $0) },
                        provenFindings: taskResult.findings, budget: modelSettings?.diffBudget ?? 6000)
                    do {
                        let failing = taskResult.findings.filter { $0.severity == .error }.compactMap(\.test)
                        let outcome = try agent.run(
                            task, taskText: text, workspace: workspace, budget: tokenBudget, failingTests: failing)
                        taskResult.findings += outcome.findings
                        taskResult.steps += outcome.steps.map {
                            AgentStep(node: $0.node, content: "[model] " + $0.content, result: $0.result, seconds: $0.seconds)
                        }
                        for step in outcome.steps { onEvent(.step(path: task.path, step)) }
                        slot.calls = outcome.calls
                        slot.tokens = outcome.tokens
                        slot.messages = outcome.messages
                        if let warning = outcome.warning { slot.notes.append("warning: \(task.path): \(warning)") }
                    } catch {
                        let message = String(describing: error)
                        guard fallback else {
                            shared.fail(ReviewFailure(message, status: .infrastructure))
                            return
                        }
                        if shared.dropModel() {
                            slot.notes.append("warning: \(message); continuing with the built-in review only")
                        }
                    }
                }
                slot.result = taskResult
                slots.set(index, slot)
                // Only outcomes that depend on the code alone are kept: not those where the
                // model server failed or a run-wide budget cut the model short.
                if let cache, let taskKey, slot.notes.isEmpty, shared.model != nil || modelSettings == nil {
                    cache.store(CachedTask(result: taskResult, calls: slot.calls, tokens: slot.tokens), key: taskKey)
                }
            } catch let error as ReviewFailure {
                shared.fail(error)
            } catch let error as SandboxError {
                shared.fail(ReviewFailure(error.description, status: .infrastructure))
            } catch let error as GitError {
                shared.fail(ReviewFailure(error))
            } catch {
                shared.fail(ReviewFailure("reviewing \(task.path) failed: \(error)", status: .infrastructure))
            }
        }
        for _ in 0..<jobs {
            group.enter()
            Thread.detachNewThread {
                while let index = queue.next() { work(index) }
                group.leave()
            }
        }
        group.wait()
        if let failure = shared.failure { throw failure }
        for skip in slots.skipped { result.skipped.append(skip) }
        result.tasks = zip(tasks, slots.all).compactMap { $1 == nil ? nil : $0 }
        for slot in slots.all {
            guard let slot else { continue }
            result.results.append(slot.result)
            result.modelCalls += slot.calls
            result.modelTokens += slot.tokens
            if !slot.messages.isEmpty { result.conversations[slot.result.task.path] = slot.messages }
            if slot.cached { result.cachedTasks += 1 }
            for note in slot.notes { emit(.note(note), into: &result) }
        }
        phase("investigate tasks")
        result.findings = Self.reportFindings(result.results)
        if let recording, let store, let impactKey {
            switch recording.wait() {
            case .recorded(let map, let seconds):
                store.store(map, key: impactKey)
                emit(.note("impact map: recorded which of \(map.tests.count) test(s) run which functions, at base in \(String(format: "%.1f", seconds)) s; later reviews of this base tree select tests with it"), into: &result)
            case .failed(let reason):
                emit(.note("impact map not recorded (\(reason)); tests are selected by the import graph"), into: &result)
            }
            phase("record the impact map at base (beside the review)")
        }
        if let cache, let runKey {
            // The plan is kept only for a complete review, so a re-run that hits it is complete too.
            if result.skipped.count == skipped.count + budgetSkipped.count && result.results.count == tasks.count {
                cache.store(
                    CachedRun(tasks: tasks, skipped: result.skipped, sandbox: result.sandbox, testRunner: result.testRunner),
                    key: CacheKeys.plan(run: runKey, shard: options.shard))
            }
            if result.cachedTasks > 0 {
                emit(.note("\(result.cachedTasks) of \(tasks.count) result(s) from the cache in \(cache.directory)"), into: &result)
            }
        }
        if let store {
            store.evict()
            for warning in store.takeWarnings() { emit(.note(warning), into: &result) }
        }
        withExtendedLifetime(head) {}
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Hands each task its share of the shared runs: the batch check's compile and import
    /// results, and the test session's outcomes for its test files. A task whose share is
    /// missing (a shared run crashed or timed out) runs its own.
    private func prefetch(
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

    /// Selects each task's tests with the impact map.
    private func applyImpact(_ map: ImpactMap, to tasks: inout [ReviewTask], baseTree: String) {
        for index in tasks.indices {
            ImpactMap.apply(map.select(for: tasks[index]), to: &tasks[index], baseTree: baseTree)
        }
    }

    /// A task's expected cost for sharding, from the revision alone: one for its own checks
    /// and, per related test file, one plus one per 4 KiB.
    static func shardCost(_ task: ReviewTask, head: String) -> Int {
        var cost = 1
        for test in task.tests {
            var info = stat()
            let size = stat(head + "/" + test, &info) == 0 ? Int(info.st_size) : 0
            cost += 1 + size / 4096
        }
        return cost
    }

    /// All findings of the tasks, deduplicated and in report order.
    static func reportFindings(_ results: [TaskResult]) -> [Finding] {
        var seen = Set<String>()
        return results.flatMap(\.findings).sorted(by: Finding.reportOrder).filter {
            seen.insert($0.fingerprint + "\($0.line)").inserted
        }
    }

    private func emit(_ event: ReviewEvent, into result: inout ReviewResult) {
        if case .note(let text) = event { result.notes.append(text) }
        onEvent(event)
    }
}

/// What one task produced, gathered after the concurrent loop.
struct TaskSlot {
    var result: TaskResult
    var calls = 0
    var tokens = 0
    var messages: [ChatMessage] = []
    var notes: [String] = []
    /// Whether the result came from the cache.
    var cached = false
}

/// Hands out task indexes to worker threads.
final class TaskQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }
}

/// The results of concurrent tasks, by index.
final class TaskSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [TaskSlot?]
    private var skips: [(Int, SkippedFile)] = []

    /// Records a task that was not started (a budget ran out).
    func skip(_ index: Int, _ file: SkippedFile) {
        lock.lock()
        skips.append((index, file))
        lock.unlock()
    }

    /// The skipped tasks in task order.
    var skipped: [SkippedFile] {
        lock.lock()
        defer { lock.unlock() }
        return skips.sorted { $0.0 < $1.0 }.map(\.1)
    }

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ slot: TaskSlot) {
        lock.lock()
        slots[index] = slot
        lock.unlock()
    }

    var all: [TaskSlot?] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}

/// State shared by concurrent tasks: the first failure, and whether the model is still used.
final class TaskRunState: @unchecked Sendable {
    private let lock = NSLock()
    private var agent: ModelAgent?
    private(set) var failure: ReviewFailure?

    init(model: ModelAgent?) {
        agent = model
    }

    var model: ModelAgent? {
        lock.lock()
        defer { lock.unlock() }
        return agent
    }

    var failed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    func fail(_ error: ReviewFailure) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    /// Stops using the model; true for the first caller (who reports it).
    func dropModel() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let had = agent != nil
        agent = nil
        return had
    }
}

/// A value computed on a thread of its own; `wait()` blocks until it is there.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    init(_ work: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            value = work()
            done.signal()
        }
    }

    func wait() -> Value {
        done.wait()
        done.signal()
        return value!
    }
}

/// One pytest session over the related tests of every task at head, run on another
/// thread; `nil` when there is nothing to run or it could not run.
func speculativeSession(toolbox: PythonToolbox, tasks: [ReviewTask], head: String) -> Background<TestRun?> {
    // Every task's targets once; a node id is dropped when its whole file runs anyway.
    var tests: [String] = []
    for task in tasks { for test in task.testTargets where !tests.contains(test) { tests.append(test) } }
    let wholeFiles = Set(tests.filter { !$0.contains("::") })
    tests = tests.filter { !$0.contains("::") || !wholeFiles.contains(String($0.prefix { $0 != ":" })) }
    let paths = Array(Set(tasks.flatMap(\.importPaths))).sorted()
    return Background { [tests] in
        tests.isEmpty ? nil : try? toolbox.runTests(tests, root: head, extraPaths: paths)
    }
}

/// The base revision's snapshot, materialized on first use.
final class BaseSnapshot: @unchecked Sendable {
    private let lock = NSLock()
    private let repository: Repository
    private let base: ObjectID?
    private let head: Snapshot
    private var snapshot: Snapshot?

    /// - Parameter head: the head snapshot, whose unchanged files the base hard-links.
    init(repository: Repository, base: ObjectID?, sharingWith head: Snapshot) {
        self.repository = repository
        self.base = base
        self.head = head
    }

    func root() throws -> String? {
        guard let base else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let snapshot { return snapshot.root }
        let made = try repository.materialize(.commit(base), sharingWith: head)
        snapshot = made
        return made.root
    }
}

/// What recording the impact map at base gave.
enum ImpactOutcome: Sendable {
    case recorded(ImpactMap, seconds: Double)
    case failed(String)

    /// Records the map on another thread: one run of the whole suite at base.
    static func record(
        toolbox: PythonToolbox, base: BaseSnapshot, configuration: Configuration, importPaths: [String],
        wallSeconds: Double
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            guard let root = try? base.root() else { return .failed("the base revision could not be written") }
            let tests = TestIndex(files: DirectoryFiles(root: root), configuration: configuration).files
            guard !tests.isEmpty else { return .failed("no test files at base") }
            guard (try? toolbox.hasPytest()) == true else { return .failed("it needs pytest") }
            do {
                let (data, execution) = try toolbox.recordImpact(
                    tests, root: root, extraPaths: importPaths, wallSeconds: wallSeconds)
                guard let data, let map = ImpactMap.decode(data) else {
                    return .failed("the suite at base \(execution.statusDescription)")
                }
                // pytest: 0 passed, 1 some failed, 5 none collected; others mean it did not run.
                guard [0, 1, 5].contains(map.status) else { return .failed("pytest at base exited \(map.status)") }
                return .recorded(map, seconds: Date().timeIntervalSince(started))
            } catch {
                return .failed("\(error)")
            }
        }
    }
}
