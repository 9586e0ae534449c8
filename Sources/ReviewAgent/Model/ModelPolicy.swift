import Foundation
import ReviewFindings
import ReviewModel
import ReviewSandbox
import Synchronization

/// How the model-driven agent runs.
public struct ModelSettings: Sendable {
    /// The OpenAI-compatible base URL, e.g. `http://127.0.0.1:8080/v1`.
    public var url: String
    /// The model name sent with each request.
    public var model: String
    /// Bounds per task.
    public var maxSteps = 12
    public var maxReflects = 4
    /// Tokens (prompt + completion) per task and per run.
    public var maxTokensPerTask = 24000
    public var maxTokensPerRun = 200_000
    /// Send a GBNF grammar that forces the reply shape (llama.cpp servers).
    public var constrained = false
    /// Characters of diff in the task text before it is cut.
    public var diffBudget = 6000
    /// Seconds for one model request, generation included.
    public var requestTimeout: Double = 120

    /// Creates settings.
    public init(url: String, model: String) {
        self.url = url
        self.model = model
    }
}

/// Tokens used by all tasks of a run, shared by concurrent tasks.
public final class TokenBudget: Sendable {
    private let used = Mutex(0)
    public let limit: Int

    /// Creates a budget.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Adds tokens; returns whether the run is still within its budget.
    @discardableResult
    public func spend(_ tokens: Int) -> Bool {
        used.withLock { used in
            used += tokens
            return used < limit
        }
    }

    /// Tokens used so far.
    public var spent: Int { used.withLock { $0 } }
}

/// The seed model as a ``Policy``: each reply is one step, every Execute really runs in the
/// sandbox and its result goes back as the next turn. The model adds to what execution
/// proved; it can never remove a finding: a failure it claims counts as an error only when
/// its code fails at head and passes at base, and its summary is a `model-note`.
public struct ModelPolicy: Policy {
    /// Reads a file of a revision (relative path); `nil` when it does not exist there.
    public typealias SourceReader = @Sendable (Side, String) -> String?

    private let client: any ChatClient
    private let settings: ModelSettings
    private let task: ReviewTask
    private let budget: TokenBudget
    private let failingTests: [String]
    private let read: SourceReader

    /// The whole conversation, for `--trace-dir`.
    public private(set) var messages: [ChatMessage]
    public private(set) var calls = 0
    public private(set) var tokens = 0
    /// Set when the model's replies could not be used and the task keeps only the built-in
    /// policy's findings.
    public private(set) var warning: String?
    private var findings: [Finding] = []
    private var formatErrors = 0
    /// Model code already rerun at base (the same failing code is shown once).
    private var demonstrated = Set<String>()
    private var awaiting: Awaiting = .nothing

    /// What the next observed outcome answers.
    private enum Awaiting {
        case nothing
        /// The model's own Execute.
        case execute(code: String)
        /// The model's code, which failed at head, rerun at base.
        case base(code: String, head: ExecutionResult)
        /// The model's code, which succeeded at head, compared with base.
        case witness(ModelWitness)
        /// The failing tests with the model's fix applied (`file`: the whole fixed file);
        /// then the task finishes.
        case fix(summary: String, note: Finding, suggestion: Suggestion, file: String)
        /// A verification was observed; this action comes next.
        case then(AgentAction)
    }

    /// Creates the policy for one task.
    ///
    /// - Parameters:
    ///   - taskText: the first turn's task (``ModelTurns/taskText(_:head:base:provenFindings:budget:)``).
    ///   - failingTests: tests proven to fail at head; a fix the model proposes (a ```diff
    ///     block in its Finish) becomes a suggestion only if they pass with it.
    public init(
        client: any ChatClient, settings: ModelSettings, task: ReviewTask, taskText: String, budget: TokenBudget,
        failingTests: [String], read: @escaping SourceReader
    ) {
        self.client = client
        self.settings = settings
        self.task = task
        self.budget = budget
        self.failingTests = failingTests
        self.read = read
        messages = [
            ChatMessage(role: "system", content: SeedPrompt.system),
            ChatMessage(role: "user", content: "任务:\(taskText)\n\n" + ModelTurns.state(ReActStateMachine.State.start.node)),
        ]
    }

    public var isStrict: Bool { true }

    public var provenFindings: [Finding] { findings }

    public mutating func observe(_ outcome: ExecutionOutcome) {
        switch awaiting {
        case .execute(let code):
            awaiting = .nothing
            let execution = outcome.execution
            messages.append(ChatMessage(role: "user", content: ModelTurns.resultTurn(execution)))
            guard let execution, task.basePath != nil, demonstrated.insert(code).inserted else { break }
            if !execution.succeeded {
                awaiting = .base(code: code, head: execution)
            } else if let witness = ModelWitness(code: code, head: execution, task: task, readHead: { [read] in read(.head, $0) }) {
                awaiting = .witness(witness)
            }
        case .base(let code, let head):
            awaiting = .nothing
            if outcome.execution?.succeeded == true { findings.append(Self.regression(code, head: head, task: task)) }
        case .witness(var witness):
            witness.observe(outcome)
            awaiting = .witness(witness)
        case .fix(let summary, var note, let suggestion, _):
            if case .tests(let run) = outcome, !run.runnerBroke, run.failures.isEmpty, run.collectionErrors.isEmpty,
                !run.outcomes.isEmpty
            {
                note.suggestion = suggestion
                note.line = suggestion.startLine
                note.endLine = max(suggestion.startLine, suggestion.endLine)
                note.message = "model: a fix with which the failing tests pass. " + note.message
            }
            findings.append(note)
            awaiting = .then(.finish(summary: summary, findings: findings))
        case .nothing, .then:
            break
        }
    }

    public mutating func next(_ state: LoopState) throws -> AgentAction {
        switch awaiting {
        case .base(let code, _):
            return .verify(.runCode(code, side: .base))
        case .witness(var witness):
            switch witness.next() {
            case .execute(let request):
                awaiting = .witness(witness)
                return .verify(request)
            case .done(let finding):
                awaiting = .nothing
                if let finding { findings.append(finding) }
            }
        case .fix(_, _, _, let file):
            return fixCheck(file)
        case .then(let action):
            awaiting = .nothing
            return action
        case .nothing, .execute:
            break
        }
        if tokens >= settings.maxTokensPerTask || budget.spent >= budget.limit {
            return .stop(reason: "model stopped: token budget reached")
        }
        if state.steps >= settings.maxSteps { return .stop(reason: "model stopped: step bound reached") }
        var request = ChatRequest(messages: messages, model: settings.model)
        if settings.constrained { request.grammar = ModelTurns.grammar(allowing: state.allowed) }
        let response = try client.complete(request)
        calls += 1
        tokens += response.promptTokens + response.completionTokens
        budget.spend(response.promptTokens + response.completionTokens)
        messages.append(ChatMessage(role: "assistant", content: response.content))

        let reply: AgentReply
        switch AgentReplyParser.parse(response.content) {
        case .success(let parsed) where state.allowed.contains(parsed.node):
            reply = parsed
        case .success(let parsed):
            return setback("\(parsed.node.rawValue) may not follow \(state.node)", state: state)
        case .failure(let error):
            return setback(error.description, state: state)
        }
        formatErrors = 0
        switch reply {
        case .plan(let text):
            messages.append(ChatMessage(role: "user", content: ModelTurns.state(AgentNode.plan.rawValue)))
            return .plan(text)
        case .reflect(let text):
            messages.append(ChatMessage(role: "user", content: ModelTurns.state(AgentNode.reflect.rawValue)))
            return .reflect(text)
        case .execute(let code):
            awaiting = .execute(code: code)
            return .execute(.runCode(code, side: .head), note: "")
        case .finish(let summary):
            return finish(summary)
        }
    }

    /// A reply that cannot be used: a correction turn, or after three in a row the end of
    /// the model's part (the built-in findings stay).
    private mutating func setback(_ problem: String, state: LoopState) -> AgentAction {
        formatErrors += 1
        let text = "model reply not usable: \(problem)"
        if formatErrors > 2 {
            warning = "the model's replies did not follow the protocol (\(problem)); kept the built-in review only"
            return .stop(reason: text)
        }
        messages.append(ChatMessage(role: "user", content: ModelTurns.correction(problem, state: state.node)))
        return .setback(text)
    }

    /// The Finish: the summary becomes a `model-note`; a fix in it is tried first.
    private mutating func finish(_ summary: String) -> AgentAction {
        let note = summary.count > 800 ? String(summary.prefix(800)) + "..." : summary
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .finish(summary: summary, findings: findings)
        }
        let finding = Finding(
            severity: .info, kind: .modelNote, file: task.path, line: task.firstChangedLine,
            endLine: task.firstChangedLine, message: "model (unverified): \(note)")
        guard let (suggestion, file) = proposedFix(in: summary) else {
            findings.append(finding)
            return .finish(summary: summary, findings: findings)
        }
        awaiting = .fix(summary: summary, note: finding, suggestion: suggestion, file: file)
        return fixCheck(file)
    }

    /// The failing tests run with the fixed file in place of the head one.
    private func fixCheck(_ file: String) -> AgentAction {
        .verify(.runTests(failingTests, side: .head, overrides: [FileOverride(path: task.path, content: file)]))
    }

    /// The model's proposed fix, if its Finish holds a ```diff block that applies to head: the
    /// suggestion, kept only if the failing tests pass with it, and the whole fixed file.
    private func proposedFix(in summary: String) -> (Suggestion, String)? {
        guard !failingTests.isEmpty, let diff = ModelTurns.diffBlock(summary), let head = read(.head, task.path) else {
            return nil
        }
        let original = SourceEdit.lines(head)
        guard let edited = SourceEdit.apply(diff: diff, to: original), edited != original else { return nil }
        let replacement = SourceEdit.replacement(from: original, to: edited)
        let start = replacement.start + 1
        let suggestion = Suggestion(
            patch: replacement.unifiedDiff(path: task.path), startLine: start,
            endLine: max(start, replacement.start + replacement.removed.count), replacement: replacement.inserted.joined(),
            verified: true, summary: "the model's fix; \(failingTests.count) failing test(s) pass with it")
        return (suggestion, replacement.text)
    }

    /// A failure the model's code shows at head, which the same code does not show at base.
    private static func regression(_ code: String, head: ExecutionResult, task: ReviewTask) -> Finding {
        let output = TracebackLocator.tail(head.stderr + head.stdout, limit: 30)
        let line =
            TracebackLocator.deepestLine(in: output, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        let lastLine = output.split(separator: "\n").last.map(String.init) ?? head.statusDescription
        return Finding(
            severity: .error, kind: .testRegression, file: task.path, line: line, endLine: line,
            message: "code written by the model fails at head and passes at base: \(lastLine)",
            evidence: Evidence(
                command: "python3 -c <model code>\n" + code, revision: "head", exitCode: head.exitCode, output: output))
    }
}
