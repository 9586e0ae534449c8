import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewSandbox

/// A cached run: the plan of a range, so that a re-run needs neither the snapshot nor the
/// planner, and the task results are then looked up one by one.
struct CachedRun: Codable {
    var tasks: [ReviewTask]
    var skipped: [SkippedFile]
    var sandbox: String?
    var testRunner: String?
}

/// A cached task outcome.
struct CachedTask: Codable {
    var result: TaskResult
    var calls: Int
    var tokens: Int
}

/// The keys of the result cache.
enum CacheKeys {
    /// The key of a run: everything that can change a result, except the task itself.
    ///
    /// - Returns: `nil` when the head is the worktree (it has no tree id to key on).
    /// - Parameter range: the range, with its tree ids.
    static func run(
        range: ResolvedRange, configuration: Configuration, interpreter: Interpreter, model: ModelSettings?
    ) -> CacheKey? {
        guard let headTree = range.headTree, let baseTree = baseLine(range) else { return nil }
        var modelLine = "model none"
        if let model {
            let prompt = ObjectID.blob(hashing: Array(SeedPrompt.system.utf8)).hex
            modelLine = "model \(model.url) \(model.model) prompt=\(prompt) constrained=\(model.constrained) "
                + "steps=\(model.maxSteps) reflects=\(model.maxReflects) task-tokens=\(model.maxTokensPerTask) "
                + "diff=\(model.diffBudget)"
        }
        return CacheKey(
            environment(configuration: configuration, interpreter: interpreter) + [
                "policy builtin-\(BuiltinPolicy.version)", modelLine, "head-tree \(headTree.hex)", baseTree,
            ])
    }

    /// The `base-tree` key line (`empty` for a root commit's range); `nil` when a base
    /// commit's tree could not be read.
    private static func baseLine(_ range: ResolvedRange) -> String? {
        guard range.base != nil else { return "base-tree empty" }
        return range.baseTree.map { "base-tree \($0.hex)" }
    }

    /// What every key holds: review's version, the settings that can change a finding, and
    /// the interpreter with its packages.
    private static func environment(configuration: Configuration, interpreter: Interpreter) -> [String] {
        [
            "review \(ReviewVersion.current)", "config " + configuration.resultFingerprint,
            "python \(interpreter.path)", interpreter.packageFingerprint,
        ]
    }

    /// The key of the impact map of a project: the interpreter and its distributions (by
    /// name and version, not by path or file time, so that the same virtualenv made in
    /// another CI job finds the map), the settings and the import paths. Not the base (a
    /// map follows the branch, see ``MapDrift``) and not review's version (the map's own
    /// format number says whether this review can read it).
    static func impactMap(configuration: Configuration, interpreter: Interpreter, importPaths: [String]) -> CacheKey {
        CacheKey([
            "impact-map", "config " + configuration.resultFingerprint, interpreter.distributionFingerprint,
            "import-paths " + importPaths.joined(separator: ":"),
        ])
    }

    /// The key of a run's plan (its tasks), which depends on the shard too.
    static func plan(run: CacheKey, shard: Shard?) -> CacheKey {
        run.adding(["plan", "shard \(shard?.description ?? "all")"])
    }

    /// The key of one task of a run: its file (both sides) and its selected tests.
    static func task(_ task: ReviewTask, run: CacheKey) -> CacheKey {
        run.adding([
            "file \(task.path)", "base-file \(task.basePath ?? "")", "module \(task.module ?? "")",
            "tests " + task.tests.joined(separator: "\u{0}"),
        ])
    }
}
