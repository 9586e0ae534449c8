import ReviewFindings

/// What a policy decides to do next.
public enum AgentAction: Hashable, Sendable {
    /// State the plan (Markdown).
    case plan(String)
    /// Run something in the sandbox; `note` says why, for the transcript.
    case execute(ExecutionRequest, note: String)
    /// Analyse the last results.
    case reflect(String)
    /// End the task with a summary and the findings.
    case finish(summary: String, findings: [Finding])
    /// Run something that is not a step of the protocol: a check of what the policy was
    /// told (a model's failing code rerun at base, a proposed fix tried against the failing
    /// tests). Its outcome comes back through ``Policy/observe(_:)`` like an Execute's.
    case verify(ExecutionRequest)
    /// A reply that could not be used (a model broke the format or the protocol); it is
    /// recorded as a step and the policy is asked again, with no transition.
    case setback(String)
    /// End the task now with what was proven so far (a budget ran out); `reason` is the
    /// last step's text.
    case stop(reason: String)
}

/// Where the loop stands, for a policy that must know which nodes may come next.
public struct LoopState: Hashable, Sendable {
    /// The nodes the protocol allows next, in protocol order.
    public var allowed: [AgentNode]
    /// Protocol steps taken so far.
    public var steps: Int
    /// The step bound.
    public var maxSteps: Int
    /// The node the loop is at (`Start` before the first step), as the seed model names it.
    public var node: String

    /// Creates a state.
    public init(allowed: [AgentNode], steps: Int, maxSteps: Int, node: String) {
        self.allowed = allowed
        self.steps = steps
        self.maxSteps = maxSteps
        self.node = node
    }
}

/// Decides each step of a task's ReAct loop. ``BuiltinPolicy`` needs no model;
/// ``ModelPolicy`` asks an LLM. Both are driven by ``AgentLoop``, the only owner of a
/// ``ReActStateMachine``. Policies see results only through ``observe(_:)``.
public protocol Policy {
    /// The next action for the task.
    mutating func next(_ state: LoopState) throws -> AgentAction

    /// The outcome of the last `execute` or `verify` action.
    mutating func observe(_ outcome: ExecutionOutcome)

    /// Findings proven so far, used when the loop must stop early (a bound was reached).
    var provenFindings: [Finding] { get }

    /// Whether the policy follows the strict protocol (a model) or the investigation form.
    var isStrict: Bool { get }

    /// What behaviour review made of the task, for the report (``TaskResult/behaviour``).
    var behaviour: String? { get }
}

extension Policy {
    public var behaviour: String? { nil }
}
