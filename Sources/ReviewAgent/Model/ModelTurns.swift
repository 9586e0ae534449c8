import ReviewFindings
import ReviewSandbox

/// The seed model's turn format: the task text of the first turn, the turn that feeds an
/// execution back, the grammar of `--constrained`, and the fix block of a Finish.
public enum ModelTurns {
    /// The state line that ends every user turn.
    static func state(_ node: String) -> String { "当前状态:\(node)" }

    /// The correction turn after an unusable reply.
    static func correction(_ problem: String, state node: String) -> String {
        "格式错误:\(problem)。请只回复一个<agent_response>块,使用<node>、<next_node>和<content>标签。\n\n" + state(node)
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

    /// The body of the first ```diff (or ```patch) fence.
    static func diffBlock(_ text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let open = lines.firstIndex(where: { ["```diff", "```patch"].contains($0.trimmingCharacters(in: .whitespaces)) }),
            let close = lines[(open + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "```" })
        else { return nil }
        return lines[(open + 1)..<close].joined(separator: "\n")
    }

    /// The turn that feeds an execution back, with exit_code 0 or 1 as the protocol words it.
    static func resultTurn(_ execution: ExecutionResult?) -> String {
        guard let execution else {
            return "执行结果:exit_code=1\nstdout:\n\nstderr:\nthe code could not be run\n\n" + state(AgentNode.execute.rawValue)
        }
        let code = execution.succeeded ? 0 : 1
        var stderr = execution.stderr
        if !execution.succeeded && (execution.timedOut || execution.signal != nil) {
            stderr += "\n[\(execution.statusDescription)]"
        }
        return "执行结果:exit_code=\(code)\nstdout:\n\(cap(execution.stdout))\nstderr:\n\(cap(stderr))\n\n" + state(AgentNode.execute.rawValue)
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
