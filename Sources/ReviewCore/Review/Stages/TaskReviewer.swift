import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewModel
import ReviewSandbox
import Synchronization

/// What one task produced.
struct TaskOutcome: Sendable {
    var result: TaskResult
    var calls = 0
    var tokens = 0
    var messages: [ChatMessage] = []
    var notes: [String] = []
    /// Whether the result came from the cache.
    var cached = false
}

/// How a task ended in the pool.
enum TaskSlot: Sendable {
    case reviewed(TaskOutcome)
    /// Not started: the time budget ran out first.
    case skipped(SkippedFile)
    /// Not started: another task failed first.
    case abandoned
}

/// The model side of a run: its settings, client and token budget, shared by all tasks.
struct ModelRun: Sendable {
    let settings: ModelSettings
    let client: any ChatClient
    let budget: TokenBudget
    /// Keep reviewing with the built-in policy when the server fails.
    let fallback: Bool
}

/// The per-task stage: the cached outcome, or the built-in policy's loop and then, with a
/// model, the model's loop over the same task (its task text holds the proven findings, so
/// no reply can remove them). The first failure stops the tasks not yet started.
final class TaskReviewer: Sendable {
    private let workspace: Workspace
    private let environment: ProjectEnvironment
    private let dependencies: DependencyCheck
    private let cache: CachePolicy
    private let model: ModelRun?
    private let onEvent: @Sendable (ReviewEvent) -> Void
    /// When the time budget started, and its seconds (no new task starts after it).
    private let budget: (started: Date, seconds: Int)?
    private let total: Int
    private let probing: BuiltinPolicy.Probing?
    /// The first failure, and whether the model was dropped after a failure (fallback).
    private let state = Mutex<(failure: ReviewFailure?, modelDropped: Bool)>((nil, false))

    init(
        workspace: Workspace, environment: ProjectEnvironment, dependencies: DependencyCheck, cache: CachePolicy,
        model: ModelRun?, total: Int, probing: BuiltinPolicy.Probing?,
        budget: (started: Date, seconds: Int)?, onEvent: @escaping @Sendable (ReviewEvent) -> Void
    ) {
        self.workspace = workspace
        self.environment = environment
        self.dependencies = dependencies
        self.cache = cache
        self.model = model
        self.total = total
        self.probing = probing
        self.budget = budget
        self.onEvent = onEvent
    }

    /// The first failure of any task.
    var failure: ReviewFailure? { state.withLock { $0.failure } }

    /// Reviews task number `index` of the run.
    func review(_ task: ReviewTask, index: Int) -> TaskSlot {
        if failure != nil { return .abandoned }
        if let budget, Date().timeIntervalSince(budget.started) >= Double(budget.seconds) {
            return .skipped(
                SkippedFile.budget(task.path, "\(budget.seconds) s reached before this file was reviewed"))
        }
        onEvent(.taskStarted(index: index + 1, total: total, path: task.path))
        if let hit = cache.outcome(of: task) {
            return .reviewed(TaskOutcome(result: hit.result, calls: hit.calls, tokens: hit.tokens, cached: true))
        }
        do {
            var builtin = BuiltinPolicy(task: task, read: reader, environment: environment, probing: probing)
            let loop = AgentLoop(onStep: { [onEvent] task, step in onEvent(.step(path: task.path, step)) })
            var outcome = TaskOutcome(result: try loop.run(task, policy: &builtin, workspace: workspace))
            outcome.result.findings += dependencies.findings(
                for: task, head: reader(.head, task.path), base: { task.basePath.flatMap { reader(.base, $0) } })
            let active = activeModel
            if let active { try addModel(active, to: &outcome, task: task) }
            cache.keep(outcome, modelStillUsed: activeModel != nil, modelAsked: model != nil)
            return .reviewed(outcome)
        } catch let error as ReviewFailure {
            return fail(error)
        } catch let error as SandboxError {
            return fail(ReviewFailure(error.description, status: .infrastructure))
        } catch let error as GitError {
            return fail(ReviewFailure(error))
        } catch {
            return fail(ReviewFailure("reviewing \(task.path) failed: \(error)", status: .infrastructure))
        }
    }

    /// Reads a file of a revision for the policies (`nil` when it is not there).
    private var reader: @Sendable (Side, String) -> String? {
        { [workspace] side, path in
            let root = side == .head ? workspace.headRoot : ((try? workspace.base()) ?? nil)
            guard let root else { return nil }
            return try? String(contentsOfFile: root + "/" + path, encoding: .utf8)
        }
    }

    /// The model, unless a failure made the run drop it.
    private var activeModel: ModelRun? { state.withLock { $0.modelDropped } ? nil : model }

    /// The model's loop over a task the built-in policy has worked.
    private func addModel(_ model: ModelRun, to outcome: inout TaskOutcome, task: ReviewTask) throws(ReviewFailure) {
        let text = ModelTurns.taskText(
            task, head: reader(.head, task.path), base: task.basePath.flatMap { reader(.base, $0) },
            provenFindings: outcome.result.findings, budget: model.settings.diffBudget)
        var policy = ModelPolicy(
            client: model.client, settings: model.settings, task: task, taskText: text, budget: model.budget,
            failingTests: outcome.result.findings.filter { $0.severity == .error }.compactMap(\.test), read: reader)
        let loop = AgentLoop(
            maxSteps: model.settings.maxSteps, maxReflects: model.settings.maxReflects,
            onStep: { [onEvent] task, step in onEvent(.step(path: task.path, step)) })
        do {
            let added = try loop.run(task, policy: &policy, workspace: workspace)
            // A behaviour the built-in probes already showed for the same lines is reported once.
            let shown = outcome.result.findings.filter { $0.kind == .behaviourChange }.map { $0.line...max($0.line, $0.endLine) }
            outcome.result.findings += added.findings.filter { finding in
                finding.kind != .behaviourChange || !shown.contains { $0.overlaps(finding.line...max(finding.line, finding.endLine)) }
            }
            outcome.result.steps += added.steps.map {
                AgentStep(node: $0.node, content: "[model] " + $0.content, result: $0.result, seconds: $0.seconds)
            }
            outcome.calls = policy.calls
            outcome.tokens = policy.tokens
            outcome.messages = policy.messages
            if let warning = policy.warning { outcome.notes.append("warning: \(task.path): \(warning)") }
        } catch {
            let message = String(describing: error)
            guard model.fallback else { throw ReviewFailure(message, status: .infrastructure) }
            let first = state.withLock { state in
                defer { state.modelDropped = true }
                return !state.modelDropped
            }
            if first { outcome.notes.append("warning: \(message); continuing with the built-in review only") }
        }
    }

    private func fail(_ error: ReviewFailure) -> TaskSlot {
        state.withLock { if $0.failure == nil { $0.failure = error } }
        return .abandoned
    }
}
