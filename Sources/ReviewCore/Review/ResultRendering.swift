import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit

/// The terminal and JSON forms of a review (the formats of the execution review; the
/// report module adds Markdown, SARIF and the rest).
public struct ResultRendering {
    public let result: ReviewResult
    public let failOn: FailLevel

    /// Creates a renderer.
    public init(result: ReviewResult, failOn: FailLevel) {
        self.result = result
        self.failOn = failOn
    }

    /// The exit status: 1 when a finding reaches `failOn`.
    public var exitStatus: ExitStatus {
        result.findings.contains { failOn.fails($0.severity) } ? .findings : .clean
    }

    /// The JSON document: the plan's members, then `tasks`, `skipped`, `findings`, `summary`.
    public func json() -> String {
        guard case .object(var members) = PlanReport(changeSet: result.changeSet).jsonValue else { return "{}\n" }
        members.append(("tasks", .array(result.tasks.map(Self.json(for:)))))
        members.append(
            ("skipped", .array(result.skipped.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })))
        members.append(("findings", .array(result.findings.map(Self.json(for:)))))
        members.append(
            (
                "summary",
                .object([
                    ("errors", .int(result.count(.error))), ("warnings", .int(result.count(.warning))),
                    ("infos", .int(result.count(.info))), ("tasks", .int(result.tasks.count)),
                    ("seconds", .double((result.seconds * 100).rounded() / 100)),
                    ("sandbox", .optional(result.sandbox)), ("python", .optional(result.python)),
                    ("testRunner", .optional(result.testRunner)),
                ])
            ))
        return JSONValue.object(members).rendered() + "\n"
    }

    static func json(for task: ReviewTask) -> JSONValue {
        .object([
            ("path", .string(task.path)),
            ("module", .optional(task.module)),
            ("tests", .array(task.tests.map { .object([("path", .string($0)), ("reason", .string(task.testReasons[$0] ?? ""))]) })),
            ("changedSymbols", .array(task.changedSymbols.map { .string($0.name) })),
        ])
    }

    /// One finding as JSON.
    public static func json(for finding: Finding) -> JSONValue {
        let evidence: JSONValue = finding.evidence.map {
            .object([
                ("command", .string($0.command)), ("revision", .string($0.revision)),
                ("exitCode", $0.exitCode.map { .int(Int($0)) } ?? .null), ("output", .string($0.output)),
            ])
        } ?? .null
        let suggestion: JSONValue = finding.suggestion.map {
            .object([
                ("patch", .string($0.patch)), ("startLine", .int($0.startLine)), ("endLine", .int($0.endLine)),
                ("replacement", .string($0.replacement)), ("verified", .bool($0.verified)),
                ("summary", .string($0.summary)),
            ])
        } ?? .null
        return .object([
            ("file", .string(finding.file)), ("line", .int(finding.line)), ("endLine", .int(finding.endLine)),
            ("severity", .string(finding.severity.rawValue)), ("kind", .string(finding.kind.rawValue)),
            ("message", .string(finding.message)), ("test", .optional(finding.test)), ("evidence", evidence),
            ("suggestion", suggestion), ("fingerprint", .string(finding.fingerprint)),
        ])
    }

    /// The terminal report.
    public func text(color: Bool = false) -> String {
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var out = ""
        let range = result.changeSet.range
        let errors = result.count(.error)
        let warnings = result.count(.warning)
        let infos = result.count(.info)
        let seconds = String(format: "%.1f", result.seconds)
        if result.tasks.isEmpty {
            out += "review \(range.spec): nothing to review (no changed Python files)\n"
            for skipped in result.skipped { out += "  skipped \(skipped.path): \(skipped.reason)\n" }
            return out
        }
        out += "review \(range.spec): \(result.tasks.count) file\(result.tasks.count == 1 ? "" : "s"), "
        out += paint("\(errors) error\(errors == 1 ? "" : "s")", errors > 0 ? "1;31" : "32")
        out += ", \(warnings) warning\(warnings == 1 ? "" : "s"), \(infos) info (\(seconds) s)\n"
        for finding in result.findings {
            out += "\n"
            let label: String
            switch finding.severity {
            case .error: label = paint("error  ", "1;31")
            case .warning: label = paint("warning", "1;33")
            case .info: label = paint("info   ", "36")
            }
            let location = finding.line == finding.endLine ? "\(finding.line)" : "\(finding.line)-\(finding.endLine)"
            out += "\(label) \(finding.kind.rawValue)  \(paint("\(finding.file):\(location)", "1"))\n"
            out += "  \(finding.message)\n"
            if let evidence = finding.evidence {
                let code = evidence.exitCode.map { "exit \($0)" } ?? "killed"
                out += "  evidence: \(evidence.command)  (\(evidence.revision), \(code))\n"
                for line in evidence.output.split(separator: "\n", omittingEmptySubsequences: false).prefix(20) {
                    out += "    \(line)\n"
                }
            }
            if let suggestion = finding.suggestion {
                out += "  suggestion\(suggestion.verified ? " (verified: the failing tests pass with it)" : ""): \(suggestion.summary)\n"
                for line in suggestion.patch.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                    out += "    \(line)\n"
                }
            }
        }
        out += "\nreviewed:\n"
        for task in result.tasks {
            let tests = task.tests.count
            var line = "  \(task.path): \(tests) related test file\(tests == 1 ? "" : "s")"
            if !task.changedSymbols.isEmpty {
                line += "; changed: \(task.changedSymbols.prefix(6).map(\.name).joined(separator: ", "))"
            }
            out += line + "\n"
        }
        for skipped in result.skipped { out += "  skipped \(skipped.path): \(skipped.reason)\n" }
        if let python = result.python, let sandbox = result.sandbox {
            out += "ran with \(python) (\(result.testRunner ?? "pytest")) in sandbox \(sandbox)\n"
        }
        return out
    }

    /// The transcript of every task, for `--trace`.
    public func transcript() -> String {
        var out = ""
        for task in result.results {
            out += "== \(task.task.path)\n"
            for (index, step) in task.steps.enumerated() {
                out += "[\(index + 1)] \(step.node.rawValue) (\(String(format: "%.2f", step.seconds)) s)\n"
                for line in step.content.split(separator: "\n", omittingEmptySubsequences: false) { out += "    \(line)\n" }
                if let result = step.result { out += "    -> \(result)\n" }
            }
        }
        return out
    }
}
