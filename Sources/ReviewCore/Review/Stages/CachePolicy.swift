import ReviewAgent
import ReviewGit
import ReviewSandbox

/// The result cache's rules for one run: its keys, the answer of a complete earlier run,
/// which task outcomes may be kept, and when the plan is kept.
///
/// The cache directory also keeps impact maps, which `--no-cache` does not bypass: they
/// choose tests, they are not results.
struct CachePolicy: Sendable {
    /// The cache directory; `nil` when `cache-size-mb` is 0 or it cannot be created.
    let store: ResultCache?
    /// The key of this run's results; `nil` with `--no-cache`, for the worktree, or
    /// without a store.
    let runKey: CacheKey?
    private let shard: Shard?

    init(
        project: Project, range: ResolvedRange, options: ReviewOptions, interpreter: Interpreter
    ) {
        let configuration = options.configuration
        store = configuration.cacheSizeMB > 0
            ? ResultCache(gitDirectory: project.commonDirectory, maxBytes: configuration.cacheSizeMB * 1_048_576) : nil
        runKey = options.useCache && store != nil
            ? CacheKeys.run(range: range, configuration: configuration, interpreter: interpreter, model: options.model)
            : nil
        shard = options.shard
    }

    /// The results cache: the store, when this run's results may be read and kept.
    private var results: ResultCache? { runKey == nil ? nil : store }

    /// A run whose plan and every task outcome are cached.
    func completeRun() -> (run: CachedRun, tasks: [CachedTask])? {
        guard let results, let runKey, let run = results.load(CachedRun.self, key: CacheKeys.plan(run: runKey, shard: shard))
        else { return nil }
        let tasks = run.tasks.map { results.load(CachedTask.self, key: CacheKeys.task($0, run: runKey)) }
        guard tasks.allSatisfy({ $0 != nil }) else { return nil }
        return (run, tasks.compactMap { $0 })
    }

    /// A task's cached outcome.
    func outcome(of task: ReviewTask) -> CachedTask? {
        guard let results, let runKey else { return nil }
        return results.load(CachedTask.self, key: CacheKeys.task(task, run: runKey))
    }

    /// Keeps a task's outcome. Only outcomes that depend on the code alone are kept: not
    /// those where the model server failed or a run-wide budget cut the model short.
    func keep(_ outcome: TaskOutcome, modelStillUsed: Bool, modelAsked: Bool) {
        guard let results, let runKey, outcome.notes.isEmpty, modelStillUsed || !modelAsked else { return }
        results.store(
            CachedTask(result: outcome.result, calls: outcome.calls, tokens: outcome.tokens),
            key: CacheKeys.task(outcome.result.task, run: runKey))
    }

    /// Keeps the plan of a complete review, so that a re-run that finds it is complete too.
    func keepPlan(_ plan: CachedRun, complete: Bool) {
        guard let results, let runKey, complete else { return }
        results.store(plan, key: CacheKeys.plan(run: runKey, shard: shard))
    }

    /// The directory, for notes.
    var directory: String { store?.directory ?? "" }

    /// Warnings the cache gathered (damaged entries, failed writes).
    func warnings() -> [String] { store?.takeWarnings() ?? [] }

    /// Evicts down to the bound; returns the cache's warnings.
    func finish() -> [String] {
        store?.evict()
        return warnings()
    }
}
