import Foundation
import Mustache
import ReviewFindings

/// Markdown for pull requests and CI step summaries, from the Mustache templates in
/// `Templates/` (`report.mustache`, with the partial `finding.mustache`). A directory given
/// with `--template DIR` overrides any of them file by file. The templates hold no logic:
/// every value is prepared here, already escaped for where it goes.
public struct MarkdownFormatter: ReviewFormatter {
    /// A directory whose `*.mustache` files replace the shipped ones.
    public var overrides: String?
    /// The directories of the shipped templates, in the order they are looked in.
    public var shipped: [String]

    /// Creates the formatter.
    public init(overrides: String? = nil, shipped: [String]) {
        self.overrides = overrides
        self.shipped = shipped
    }

    /// Why the Markdown could not be produced.
    public struct TemplateError: Error, CustomStringConvertible {
        public var description: String
    }

    public func format(_ report: ReviewReport) throws -> String {
        var library = MustacheLibrary()
        for name in ["report", "finding"] {
            let text = try template(named: name)
            do {
                try library.register(text, named: name)
            } catch {
                throw TemplateError(description: "template \(name).mustache does not parse: \(error)")
            }
        }
        guard let output = library.render(context(report), withTemplate: "report") else {
            throw TemplateError(description: "template report.mustache did not render")
        }
        return output
    }

    func template(named name: String) throws -> String {
        let file = name + ".mustache"
        for directory in (overrides.map { [$0] } ?? []) + shipped {
            if let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) { return text }
        }
        throw TemplateError(
            description: "template \(file) not found (looked in \(shipped.joined(separator: ", "))); "
                + "install review with 'make install' or set REVIEW_TEMPLATES")
    }

    private func context(_ report: ReviewReport) -> [String: Any] {
        let errors = report.count(.error)
        let warnings = report.count(.warning)
        let infos = report.count(.info)
        let headline =
            "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"), \(infos) info; "
            + report.testedLine
        let base = report.base.map { "`\($0.prefix(7))`" } ?? "the empty tree"
        let head = report.headIsWorktree ? "the worktree" : "`\(report.head.prefix(7))`"
        return [
            "headline": headline,
            "range": Self.code(report.range),
            "sides": "\(base)..\(head)",
            "fileCount": "\(report.reviewed.count) file\(report.reviewed.count == 1 ? "" : "s")",
            "seconds": String(format: "%.1f", report.seconds),
            "sandbox": report.sandbox as Any,
            "hasFindings": !report.findings.isEmpty,
            "findings": report.findings.map(findingContext),
            "reviewed": report.reviewed.map { file -> [String: Any] in
                var detail = "\(file.tests) related test file\(file.tests == 1 ? "" : "s")"
                if let selection = file.testSelection { detail += " (\(Self.text(selection)))" }
                if !file.changedSymbols.isEmpty {
                    detail += "; changed " + file.changedSymbols.prefix(8).map { "`\(Self.code($0))`" }.joined(separator: ", ")
                }
                if let behaviour = file.behaviour { detail += "; behaviour: " + Self.text(behaviour) }
                return ["path": Self.code(file.path), "detail": detail]
            },
            "skipped": report.skipped.map { ["path": Self.code($0.path), "reason": Self.text($0.reason)] },
            "version": report.version,
        ]
    }

    private func findingContext(_ finding: Finding) -> [String: Any] {
        var context: [String: Any] = [
            "severity": finding.severity.rawValue,
            "kind": finding.kind.rawValue,
            "location": Self.code("\(finding.file):\(finding.lineRange)"),
            "message": Self.text(finding.message),
            "tableMessage": Self.text(finding.message).replacingOccurrences(of: "|", with: "\\|")
                .replacingOccurrences(of: "\n", with: " "),
        ]
        if let evidence = finding.evidence {
            // Inside a code fence nothing is interpreted, so the output goes in as it is.
            let output = evidence.output.trimmingCharacters(in: .newlines)
            context["evidence"] = [
                "command": Self.html(evidence.command), "revision": evidence.revision, "status": evidence.status,
                "output": output, "fence": Self.fence(for: evidence.output),
            ]
        }
        if let suggestion = finding.suggestion {
            var entry: [String: Any] = [
                "verification": suggestion.verification,
                "summary": Self.text(suggestion.summary), "replacement": suggestion.replacement,
                "fence": Self.fence(for: suggestion.replacement),
            ]
            if let path = suggestion.newFile { entry["newFile"] = Self.html(path) }
            context["suggestion"] = entry
        }
        return context
    }

    /// A code fence longer than any run of backticks in `text`.
    static func fence(for text: String) -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return String(repeating: "`", count: max(3, longest + 1))
    }

    /// Text for inline code spans: no backticks can close the span early.
    static func code(_ text: String) -> String {
        text.replacingOccurrences(of: "`", with: "'")
    }

    /// Text outside code: HTML tags neutralised.
    static func text(_ text: String) -> String {
        html(text)
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
