import Foundation

/// GitHub Actions workflow commands: one `::error file=...,line=...::message` per finding.
///
/// Properties escape `%`, CR, LF, `:` and `,`; the message escapes `%`, CR and LF, as the
/// runner requires.
public struct GitHubAnnotationsFormatter: ReviewFormatter {
    /// Creates the formatter.
    public init() {}

    public func format(_ report: ReviewReport) -> String {
        var out = ""
        for finding in report.findings {
            let command: String
            switch finding.severity {
            case .error: command = "error"
            case .warning: command = "warning"
            case .info: command = "notice"
            }
            let properties = [
                "file=\(Self.property(finding.file))", "line=\(finding.line)", "endLine=\(finding.endLine)",
                "title=\(Self.property("review: \(finding.kind.title)"))",
            ].joined(separator: ",")
            var message = finding.message
            if let evidence = finding.evidence { message += "\n\n$ \(evidence.command)  (\(evidence.revision), \(evidence.status))" }
            out += "::\(command) \(properties)::\(Self.data(message))\n"
        }
        return out
    }

    static func data(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    static func property(_ text: String) -> String {
        data(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
