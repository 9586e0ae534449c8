import Foundation
import ReviewFindings

/// The terminal report: a summary line, each finding with its evidence and suggestion, and
/// what was reviewed and skipped. Colour only when asked (a TTY without `NO_COLOR`).
public struct TextFormatter: ReviewFormatter {
    public var color: Bool

    /// Creates the formatter.
    public init(color: Bool) {
        self.color = color
    }

    public func format(_ report: ReviewReport) -> String {
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var out = ""
        let range = report.shard.map { "\(report.range) (shard \($0))" } ?? report.range
        if report.reviewed.isEmpty {
            out += report.skipped.isEmpty
                ? "review \(range): nothing to review (no changed Python files)\n"
                : "review \(range): no file was reviewed\n"
            for skipped in report.skipped { out += "  skipped \(skipped.path): \(skipped.reason)\n" }
            return out
        }
        let errors = report.count(.error)
        let warnings = report.count(.warning)
        let infos = report.count(.info)
        out += "review \(range): \(report.reviewed.count) file\(report.reviewed.count == 1 ? "" : "s"), "
        out += paint("\(errors) error\(errors == 1 ? "" : "s")", errors > 0 ? "1;31" : "32")
        out += ", \(warnings) warning\(warnings == 1 ? "" : "s"), \(infos) info; \(report.testedLine)"
        out += " (\(String(format: "%.1f", report.seconds)) s)\n"
        for finding in report.findings {
            out += "\n"
            let label: String
            switch finding.severity {
            case .error: label = paint("error  ", "1;31")
            case .warning: label = paint("warning", "1;33")
            case .info: label = paint("info   ", "36")
            }
            out += "\(label) \(finding.kind.rawValue)  \(paint("\(finding.file):\(finding.lineRange)", "1"))\n"
            out += "  \(finding.message)\n"
            if let evidence = finding.evidence {
                out += "  evidence: \(evidence.command)  (\(evidence.revision), \(evidence.status))\n"
                for line in evidence.output.split(separator: "\n", omittingEmptySubsequences: false).prefix(20) {
                    out += "    \(line)\n"
                }
            }
            if let suggestion = finding.suggestion {
                let verified = suggestion.verified ? " (\(suggestion.verification))" : ""
                out += "  suggestion\(verified): \(suggestion.summary)\n"
                for line in suggestion.patch.split(separator: "\n") { out += "    \(line)\n" }
            }
        }
        out += "\nreviewed:\n"
        for file in report.reviewed {
            var line = "  \(file.path): \(file.tests) related test file\(file.tests == 1 ? "" : "s")"
            if let selection = file.testSelection { line += " (\(selection))" }
            if !file.changedSymbols.isEmpty { line += "; changed: \(file.changedSymbols.prefix(6).joined(separator: ", "))" }
            out += line + "\n"
            if let behaviour = file.behaviour { out += "    behaviour: \(behaviour)\n" }
        }
        for skipped in report.skipped { out += "  skipped \(skipped.path): \(skipped.reason)\n" }
        if let python = report.python, let sandbox = report.sandbox {
            out += "ran with \(python) (\(report.testRunner ?? "pytest")) in sandbox \(sandbox)\n"
        }
        return out
    }
}

extension Finding {
    /// `6` or `6-9`.
    public var lineRange: String { line == endLine ? "\(line)" : "\(line)-\(endLine)" }
}

extension Evidence {
    /// `exit 1`, or `killed` when there was no exit code.
    public var status: String { exitCode.map { "exit \($0)" } ?? "killed" }
}
