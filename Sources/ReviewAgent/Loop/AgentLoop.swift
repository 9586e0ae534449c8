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
    /// What behaviour review made of the file, in one line (`47 probe(s) of ..., no
    /// difference`, `not probed: ...`), when it was asked for.
    public var behaviour: String?

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
/// workspace and recording every step. The one driver of both policies, and the only
/// place a ``ReActStateMachine`` is made.
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

    /// Works one task to its end; `policy` is left as the loop ended it (a model policy
    /// keeps its conversation and token counts).
    ///
    /// - Throws: what the policy throws (a model server that failed), and infrastructure
    ///   errors (the sandbox could not run at all).
    public func run<P: Policy>(_ task: ReviewTask, policy: inout P, workspace: Workspace) throws -> TaskResult {
        var machine = ReActStateMachine(maxSteps: maxSteps, maxReflects: maxReflects, strict: policy.isStrict)
        var steps: [AgentStep] = []
        let started = Date()
        func record(_ step: AgentStep) {
            steps.append(step)
            onStep?(task, step)
        }
        func result(_ summary: String, _ findings: [Finding]) -> TaskResult {
            var made = TaskResult(task: task, findings: findings, steps: steps, summary: summary, seconds: Date().timeIntervalSince(started))
            made.behaviour = policy.behaviour
            return made
        }
        // Ends the task with what was proven so far: a budget ran out, or a bound was reached.
        func stop(_ summary: String, _ proven: [Finding]) -> TaskResult {
            record(AgentStep(node: .finish, content: summary))
            return result(summary, proven)
        }
        func bound(_ reason: String) -> String { "stopped early (\(reason)); reporting what was proven so far" }
        while true {
            let stepStart = Date()
            let state = LoopState(
                allowed: AgentNode.allCases.filter { machine.allows($0) }, steps: machine.steps, maxSteps: maxSteps,
                node: machine.state.node)
            switch try policy.next(state) {
            case .plan(let text):
                try machine.enter(.plan)
                record(AgentStep(node: .plan, content: text, seconds: Date().timeIntervalSince(stepStart)))
            case .execute(let request, let note):
                guard machine.allows(.execute) else {
                    return stop(bound("step bound reached"), policy.provenFindings)
                }
                try machine.enter(.execute)
                let outcome = try workspace.perform(request, task: task)
                machine.executionFinished(succeeded: outcome.succeeded)
                policy.observe(outcome)
                var shown = outcome.command
                if case .runCode(let code, _) = request { shown = code }
                record(
                    AgentStep(
                        node: .execute, content: shown,
                        result: "\(request.side.rawValue): \(AgentLoop.describe(outcome))" + (note.isEmpty ? "" : " — \(note)"),
                        seconds: Date().timeIntervalSince(stepStart)))
            case .verify(let request):
                policy.observe(try workspace.perform(request, task: task))
            case .reflect(let text):
                guard machine.allows(.reflect) else {
                    return stop(bound("reflect bound reached"), policy.provenFindings)
                }
                try machine.enter(.reflect)
                record(AgentStep(node: .reflect, content: text, seconds: Date().timeIntervalSince(stepStart)))
            case .setback(let text):
                record(AgentStep(node: .reflect, content: text, seconds: Date().timeIntervalSince(stepStart)))
            case .finish(let summary, let findings):
                try machine.enter(.finish)
                record(AgentStep(node: .finish, content: summary, seconds: Date().timeIntervalSince(stepStart)))
                return result(summary, findings)
            case .stop(let reason):
                return stop(reason, policy.provenFindings)
            }
        }
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
        case .probes(let set, let result):
            guard let set else { return "no probes (\(result.statusDescription))" }
            return "\(set.probes.count) probe(s) from \(set.recorded.values.reduce(0, +)) recorded call(s)"
        case .watched(let run):
            let calls = run.calls.values.flatMap(\.values).map(\.count).reduce(0, +)
            return "\(calls) call(s) watched in \(run.tests.outcomes.count) test(s)"
        case .probeRun(let run):
            if let failure = run.importError { return "the module does not import: \(failure)" }
            return "\(run.results.values.filter(\.comparable).count) of \(run.results.count) probe(s) ran"
        }
    }
}
