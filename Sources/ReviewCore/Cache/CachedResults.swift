import Foundation
import ReviewAgent
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
    static func run(
        range: ResolvedRange, repository: Repository, configuration: Configuration, interpreter: Interpreter,
        model: ModelSettings?
    ) -> CacheKey? {
        guard let headCommit = range.head.commitID, let headTree = try? repository.treeID(of: headCommit) else {
            return nil
        }
        var baseTree = "empty"
        if let base = range.base {
            guard let tree = try? repository.treeID(of: base) else { return nil }
            baseTree = tree.hex
        }
        var modelLine = "model none"
        if let model {
            let prompt = ObjectID.blob(hashing: Array(SeedPrompt.system.utf8)).hex
            modelLine = "model \(model.url) \(model.model) prompt=\(prompt) constrained=\(model.constrained) "
                + "steps=\(model.maxSteps) reflects=\(model.maxReflects) task-tokens=\(model.maxTokensPerTask) "
                + "diff=\(model.diffBudget)"
        }
        return CacheKey([
            "review \(ReviewVersion.current)",
            "policy builtin-\(BuiltinPolicy.version)",
            modelLine,
            "config " + configuration.resultFingerprint,
            "python \(interpreter.path)",
            interpreter.packageFingerprint,
            "head-tree \(headTree.hex)",
            "base-tree \(baseTree)",
        ])
    }

    /// The key of the impact map of a range's base tree: the base tree, the interpreter and
    /// its packages, the settings, the import paths and review's version. A changed test
    /// suite or code changes the tree; a changed dependency changes the package fingerprint.
    static func impactMap(
        range: ResolvedRange, repository: Repository, configuration: Configuration, interpreter: Interpreter,
        importPaths: [String]
    ) -> CacheKey? {
        guard let base = range.base, let tree = try? repository.treeID(of: base) else { return nil }
        return CacheKey([
            "impact-map 2", "review \(ReviewVersion.current)", "config " + configuration.resultFingerprint,
            "python \(interpreter.path)", interpreter.packageFingerprint, "base-tree \(tree.hex)",
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
