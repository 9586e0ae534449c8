import Foundation
import ReviewFindings
import ReviewModel
import ReviewSandbox

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
public final class TokenBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var used = 0
    public let limit: Int

    /// Creates a budget.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Adds tokens; returns whether the run is still within its budget.
    @discardableResult
    public func spend(_ tokens: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        used += tokens
        return used < limit
    }

    /// Tokens used so far.
    public var spent: Int {
        lock.lock()
        defer { lock.unlock() }
        return used
    }
}

/// What the model added to a task.
public struct ModelOutcome: Sendable {
    public var findings: [Finding] = []
    public var steps: [AgentStep] = []
    /// The whole conversation, for `--trace-dir`.
    public var messages: [ChatMessage] = []
    public var calls = 0
    public var tokens = 0
    /// Set when the model's replies could not be used and the task keeps only the built-in
    /// policy's findings.
    public var warning: String?
}

/// The seed model's ReAct loop for one task: every Execute really runs in the sandbox and
/// the result goes back as the next turn. The model adds to what execution proved; it can
/// never remove a finding: a failure it claims counts as an error only when its code fails
/// at head and passes at base, and its summary is a `model-note`.
public struct ModelAgent {
    public let client: any ChatClient
    public let settings: ModelSettings

    /// Creates an agent.
    public init(client: any ChatClient, settings: ModelSettings) {
        self.client = client
        self.settings = settings
    }

    /// The grammar sent with `--constrained` (GBNF, for llama.cpp servers): one
    /// `<agent_response>` block for one of the `allowed` nodes, with the `next_node` the
    /// protocol gives it; an Execute's content is the `python_sandbox` JSON call. Content
    /// never contains `</`, so the block cannot be closed early. Built only from fixed
    /// pieces, since an invalid grammar crashes the server.
    public static func grammar(allowing allowed: [AgentNode]) -> String {
        let nodes = allowed.isEmpty ? AgentNode.allCases : allowed
        func block(_ node: String, _ next: String, _ content: String) -> String {
            "\"<agent_response>\\n<node>\(node)</node>\\n<next_node>\(next)</next_node>\\n<content>\" \(content) \"</content>\\n</agent_response>\""
        }
        var rules: [String] = []
        var alternatives: [String] = []
        for node in nodes {
            let name = node.rawValue.lowercased()
            alternatives.append(name)
            switch node {
            case .plan: rules.append("plan ::= " + block("Plan", "Execute", "text"))
            case .reflect: rules.append("reflect ::= " + block("Reflect", "Execute", "text"))
            case .finish: rules.append("finish ::= " + block("Finish", "Finish", "text"))
            case .execute:
                rules.append(
                    "execute ::= " + block(
                        "Execute", "Execute",
                        "\"{\\\"tool_name\\\": \\\"python_sandbox\\\", \\\"arguments\\\": {\\\"code\\\": \\\"\" code \"\\\"}}\""))
            }
        }
        rules.insert("root ::= " + alternatives.joined(separator: " | "), at: 0)
        rules.append("text ::= ( [^<] | \"<\" [^/] )*")
        rules.append("code ::= ( [^\"\\\\<] | \"\\\\\" [\"\\\\/bfnrt] | \"<\" [^/\"\\\\] )*")
        return rules.joined(separator: "\n") + "\n"
    }

    /// Works one task with the model.
    ///
    /// - Throws: ``ModelError`` when the server fails (after the client's retries).
    ///
    /// - Parameter failingTests: tests proven to fail at head; a fix the model proposes (a
    ///   ```diff block in its Finish) becomes a suggestion only if they pass with it.
    public func run(
        _ task: ReviewTask, taskText: String, workspace: Workspace, budget: TokenBudget, failingTests: [String] = []
    ) throws(ModelError) -> ModelOutcome {
        var outcome = ModelOutcome()
        var messages = [
            ChatMessage(role: "system", content: SeedPrompt.system),
            ChatMessage(role: "user", content: "任务:\(taskText)\n\n当前状态:Start"),
        ]
        var machine = ReActStateMachine(maxSteps: settings.maxSteps, maxReflects: settings.maxReflects, strict: true)
        var formatErrors = 0
        var state = "Start"
        var demonstrated = Set<String>()
        // The conversation goes out with every result (a defer would run after the copy).
        func done() -> ModelOutcome {
            var result = outcome
            result.messages = messages
            return result
        }
        while true {
            if outcome.tokens >= settings.maxTokensPerTask || budget.spent >= budget.limit {
                outcome.steps.append(AgentStep(node: .finish, content: "model stopped: token budget reached"))
                return done()
            }
            if machine.steps >= settings.maxSteps {
                outcome.steps.append(AgentStep(node: .finish, content: "model stopped: step bound reached"))
                return done()
            }
            let started = Date()
            var request = ChatRequest(messages: messages, model: settings.model)
            if settings.constrained {
                request.grammar = Self.grammar(allowing: AgentNode.allCases.filter { machine.allows($0) })
            }
            let response = try client.complete(request)
            outcome.calls += 1
            outcome.tokens += response.promptTokens + response.completionTokens
            budget.spend(response.promptTokens + response.completionTokens)
            messages.append(ChatMessage(role: "assistant", content: response.content))

            var problem: String?
            var parsed: AgentReply?
            switch AgentReplyParser.parse(response.content) {
            case .success(let reply):
                if machine.allows(reply.node) { parsed = reply } else {
                    problem = "\(reply.node.rawValue) may not follow \(state)"
                }
            case .failure(let error):
                problem = error.description
            }
            guard let reply = parsed else {
                formatErrors += 1
                outcome.steps.append(AgentStep(node: .reflect, content: "model reply not usable: \(problem ?? "")"))
                if formatErrors > 2 {
                    outcome.warning = "the model's replies did not follow the protocol (\(problem ?? "")); kept the built-in review only"
                    return done()
                }
                messages.append(
                    ChatMessage(
                        role: "user",
                        content: "格式错误:\(problem ?? "")。请只回复一个<agent_response>块,使用<node>、<next_node>和<content>标签。\n\n当前状态:\(state)"))
                continue
            }
            formatErrors = 0
            // allows() was checked above, so entering cannot fail.
            try? machine.enter(reply.node)
            switch reply {
            case .plan(let text):
                outcome.steps.append(AgentStep(node: .plan, content: text, seconds: Date().timeIntervalSince(started)))
                state = "Plan"
                messages.append(ChatMessage(role: "user", content: "当前状态:Plan"))
            case .reflect(let text):
                outcome.steps.append(AgentStep(node: .reflect, content: text, seconds: Date().timeIntervalSince(started)))
                state = "Reflect"
                messages.append(ChatMessage(role: "user", content: "当前状态:Reflect"))
            case .finish(let summary):
                outcome.steps.append(AgentStep(node: .finish, content: summary, seconds: Date().timeIntervalSince(started)))
                let note = summary.count > 800 ? String(summary.prefix(800)) + "..." : summary
                if !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    var finding = Finding(
                        severity: .info, kind: .modelNote, file: task.path, line: task.firstChangedLine,
                        endLine: task.firstChangedLine, message: "model (unverified): \(note)")
                    if let fix = verifiedFix(in: summary, task: task, workspace: workspace, failingTests: failingTests) {
                        finding.suggestion = fix
                        finding.line = fix.startLine
                        finding.endLine = max(fix.startLine, fix.endLine)
                        finding.message = "model: a fix with which the failing tests pass. " + finding.message
                    }
                    outcome.findings.append(finding)
                }
                return done()
            case .execute(let code):
                let result: ExecutionOutcome
                do {
                    result = try workspace.perform(.runCode(code, side: .head), task: task)
                } catch {
                    throw .invalidResponse("the sandbox could not run the model's code: \(error)")
                }
                let execution = result.execution
                let succeeded = execution?.succeeded ?? false
                machine.executionFinished(succeeded: succeeded)
                outcome.steps.append(
                    AgentStep(
                        node: .execute, content: code,
                        result: "head: \(execution?.statusDescription ?? "not run")", seconds: Date().timeIntervalSince(started)))
                if !succeeded, let execution, !demonstrated.contains(code) {
                    demonstrated.insert(code)
                    if let finding = verifyAtBase(code, head: execution, task: task, workspace: workspace) {
                        outcome.findings.append(finding)
                    }
                }
                state = "Execute"
                messages.append(ChatMessage(role: "user", content: Self.resultTurn(execution)))
            }
        }
    }

    /// The model's proposed fix, if its Finish holds a ```diff block that applies to head and
    /// with which every failing test passes; otherwise `nil` (an unverified fix is dropped).
    private func verifiedFix(in summary: String, task: ReviewTask, workspace: Workspace, failingTests: [String])
        -> Suggestion?
    {
        guard !failingTests.isEmpty, let diff = Self.diffBlock(summary),
            let head = try? String(contentsOfFile: workspace.headRoot + "/" + task.path, encoding: .utf8)
        else { return nil }
        let original = SourceEdit.lines(head)
        guard let edited = SourceEdit.apply(diff: diff, to: original), edited != original else { return nil }
        let replacement = SourceEdit.replacement(from: original, to: edited)
        guard case .tests(let run)? = try? workspace.perform(
            .runTests(failingTests, side: .head, overrides: [FileOverride(path: task.path, content: replacement.text)]),
            task: task),
            !run.runnerBroke, run.failures.isEmpty, run.collectionErrors.isEmpty, !run.outcomes.isEmpty
        else { return nil }
        let start = replacement.start + 1
        return Suggestion(
            patch: replacement.unifiedDiff(path: task.path), startLine: start,
            endLine: max(start, replacement.start + replacement.removed.count), replacement: replacement.inserted.joined(),
            verified: true, summary: "the model's fix; \(failingTests.count) failing test(s) pass with it")
    }

    /// The body of the first ```diff (or ```patch) fence.
    static func diffBlock(_ text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let open = lines.firstIndex(where: { ["```diff", "```patch"].contains($0.trimmingCharacters(in: .whitespaces)) }),
            let close = lines[(open + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "```" })
        else { return nil }
        return lines[(open + 1)..<close].joined(separator: "\n")
    }

    /// A failure the model's code shows at head counts only if the same code passes at base.
    private func verifyAtBase(_ code: String, head: ExecutionResult, task: ReviewTask, workspace: Workspace)
        -> Finding?
    {
        guard task.basePath != nil, let base = try? workspace.perform(.runCode(code, side: .base), task: task),
            base.execution?.succeeded == true
        else { return nil }
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

    /// The turn that feeds an execution back, with exit_code 0 or 1 as the protocol words it.
    static func resultTurn(_ execution: ExecutionResult?) -> String {
        guard let execution else {
            return "执行结果:exit_code=1\nstdout:\n\nstderr:\nthe code could not be run\n\n当前状态:Execute"
        }
        let code = execution.succeeded ? 0 : 1
        var stderr = execution.stderr
        if !execution.succeeded && (execution.timedOut || execution.signal != nil) {
            stderr += "\n[\(execution.statusDescription)]"
        }
        return "执行结果:exit_code=\(code)\nstdout:\n\(cap(execution.stdout))\nstderr:\n\(cap(stderr))\n\n当前状态:Execute"
    }

    static func cap(_ text: String, limit: Int = 3000) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit / 2)) + "\n[... \(text.count - limit) characters cut ...]\n"
            + String(text.suffix(limit / 2))
    }

    /// The task text of the first turn: the file, its diff, changed functions, related tests
    /// and what to check, within the diff budget.
    public static func taskText(
        _ task: ReviewTask, head: String?, base: String?, provenFindings: [Finding], budget: Int
    ) -> String {
        var diff = ""
        let headLines = head.map(SourceEdit.lines) ?? []
        let baseLines = base.map(SourceEdit.lines) ?? []
        for hunk in task.hunks {
            diff += "@@ -\(hunk.oldStart),\(hunk.oldLines) +\(hunk.newStart),\(hunk.newLines) @@\n"
            let oldStart = max(0, hunk.oldStart - 1)
            for line in baseLines.dropFirst(oldStart).prefix(hunk.oldLines) { diff += "-" + line }
            let newStart = max(0, hunk.newStart - 1)
            for line in headLines.dropFirst(newStart).prefix(hunk.newLines) { diff += "+" + line }
            if !diff.hasSuffix("\n") { diff += "\n" }
        }
        if diff.count > budget {
            let cut = diff.count - budget
            diff = String(diff.prefix(budget)) + "\n[... diff cut: \(cut) more characters ...]\n"
        }
        var text = "Review the change to the Python file `\(task.path)`"
        if let module = task.module { text += " (module `\(module)`, importable: the project root is on sys.path)" }
        text += ".\n\nDiff (base -> head):\n```diff\n\(diff)```\n"
        if !task.changedSymbols.isEmpty {
            text += "\nChanged functions and classes: \(task.changedSymbols.map(\.name).joined(separator: ", "))\n"
        }
        if !task.tests.isEmpty { text += "\nRelated tests: \(task.tests.joined(separator: ", "))\n" }
        if !provenFindings.isEmpty {
            text += "\nAlready proven by running the tests:\n"
            for finding in provenFindings.prefix(5) { text += "- \(finding.kind.rawValue): \(finding.message)\n" }
        }
        text += """

            What to check: write Python that exercises the changed code at head and fails \
            (exit_code=1) if its behaviour is wrong; reflect on failures; finish with a short \
            summary of what you verified.
            """
        return text
    }
}
