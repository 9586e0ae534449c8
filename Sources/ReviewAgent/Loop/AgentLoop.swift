import Foundation
import ReviewFindings
import ReviewSandbox

/// The result of one task's loop.
public struct TaskResult: Sendable, Codable {
    public var task: ReviewTask
    public var findings: [Finding]
    public var steps: [AgentStep]
    public var summary: String
    public var seconds: Double

    /// Creates a result.
    public init(task: ReviewTask, findings: [Finding], steps: [AgentStep], summary: String, seconds: Double) {
        self.task = task
        self.findings = findings
        self.steps = steps
        self.summary = summary
        self.seconds = seconds
    }
}

/// Drives a ``Policy`` through the ReAct state machine, performing its executions in the
/// workspace and recording every step.
public struct AgentLoop: Sendable {
    public var maxSteps: Int
    public var maxReflects: Int
    /// Called after each step (for progress lines and live traces).
    public var onStep: (@Sendable (ReviewTask, AgentStep) -> Void)?

    /// Creates a loop with its bounds.
    public init(maxSteps: Int = 60, maxReflects: Int = 12, onStep: (@Sendable (ReviewTask, AgentStep) -> Void)? = nil) {
        self.maxSteps = maxSteps
        self.maxReflects = maxReflects
        self.onStep = onStep
    }

    /// Works one task to its end.
    ///
    /// - Throws: only infrastructure errors (the sandbox could not run at all).
    public func run<P: Policy>(_ task: ReviewTask, policy initial: P, workspace: Workspace) throws -> TaskResult {
        var policy = initial
        var machine = ReActStateMachine(maxSteps: maxSteps, maxReflects: maxReflects, strict: policy.isStrict)
        var steps: [AgentStep] = []
        let started = Date()
        func record(_ step: AgentStep) {
            steps.append(step)
            onStep?(task, step)
        }
        while true {
            let stepStart = Date()
            let action = try policy.next()
            switch action {
            case .plan(let text):
                try machine.enter(.plan)
                record(AgentStep(node: .plan, content: text, seconds: Date().timeIntervalSince(stepStart)))
            case .execute(let request, let note):
                if !machine.allows(.execute) {
                    return finishEarly(task, policy, steps, started, reason: "step bound reached")
                }
                try machine.enter(.execute)
                let outcome = try workspace.perform(request, task: task)
                machine.executionFinished(succeeded: outcome.succeeded)
                policy.observe(outcome)
                record(
                    AgentStep(
                        node: .execute, content: outcome.command,
                        result: "\(request.side.rawValue): \(AgentLoop.describe(outcome))" + (note.isEmpty ? "" : " — \(note)"),
                        seconds: Date().timeIntervalSince(stepStart)))
            case .reflect(let text):
                if !machine.allows(.reflect) {
                    return finishEarly(task, policy, steps, started, reason: "reflect bound reached")
                }
                try machine.enter(.reflect)
                record(AgentStep(node: .reflect, content: text, seconds: Date().timeIntervalSince(stepStart)))
            case .finish(let summary, let findings):
                try machine.enter(.finish)
                record(AgentStep(node: .finish, content: summary, seconds: Date().timeIntervalSince(stepStart)))
                return TaskResult(
                    task: task, findings: findings, steps: steps, summary: summary,
                    seconds: Date().timeIntervalSince(started))
            }
        }
    }

    private func finishEarly<P: Policy>(
        _ task: ReviewTask, _ policy: P, _ steps: [AgentStep], _ started: Date, reason: String
    ) -> TaskResult {
        var steps = steps
        let summary = "stopped early (\(reason)); reporting what was proven so far"
        steps.append(AgentStep(node: .finish, content: summary))
        onStep?(task, steps[steps.count - 1])
        return TaskResult(
            task: task, findings: policy.provenFindings, steps: steps, summary: summary,
            seconds: Date().timeIntervalSince(started))
    }

    /// A one-line account of an outcome.
    static func describe(_ outcome: ExecutionOutcome) -> String {
        switch outcome {
        case .process(let result, _):
            return result.statusDescription
        case .tests(let run):
            let failed = run.failures.count
            let passed = run.outcomes.filter { $0.status == .passed }.count
            var text = "\(passed) passed, \(failed) failed"
            if !run.collectionErrors.isEmpty { text += ", \(run.collectionErrors.count) not collected" }
            if run.runnerBroke { text += " (\(run.execution.statusDescription))" }
            return text
        case .unavailable(let reason):
            return "not run: \(reason)"
        }
    }
}
