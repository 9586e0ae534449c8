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
}

/// Decides each step of a task's ReAct loop. ``BuiltinPolicy`` needs no model;
/// a model-driven policy asks an LLM. Policies see results only through ``observe(_:)``.
public protocol Policy {
    /// The next action for the task.
    mutating func next() throws -> AgentAction

    /// The outcome of the last `execute` action.
    mutating func observe(_ outcome: ExecutionOutcome)

    /// Findings proven so far, used when the loop must stop early (a bound was reached).
    var provenFindings: [Finding] { get }

    /// Whether the policy follows the strict protocol (a model) or the investigation form.
    var isStrict: Bool { get }
}
