import ReviewJSON

/// reviewdog's diagnostic format, one JSON object per line (rdjsonl), with `suggestions`
/// for verified fixes, so reviewdog can post the findings to any code host.
public struct RDJSONLFormatter: ReviewFormatter {
    /// Creates the formatter.
    public init() {}

    public func format(_ report: ReviewReport) -> String {
        var out = ""
        for finding in report.findings {
            let severity: String
            switch finding.severity {
            case .error: severity = "ERROR"
            case .warning: severity = "WARNING"
            case .info: severity = "INFO"
            }
            var members: [(String, JSONValue)] = [
                ("message", .string(finding.message)),
                (
                    "location",
                    .object([
                        ("path", .string(finding.file)),
                        (
                            "range",
                            .object([
                                ("start", .object([("line", .int(finding.line))])),
                                ("end", .object([("line", .int(finding.endLine))])),
                            ])
                        ),
                    ])
                ),
                ("severity", .string(severity)),
                ("source", .object([("name", .string("review"))])),
                ("code", .object([("value", .string(finding.kind.rawValue))])),
            ]
            // reviewdog suggests edits of the diagnostic's own file; a new test file is not one.
            if let suggestion = finding.suggestion, suggestion.verified, suggestion.newFile == nil {
                members.append(
                    (
                        "suggestions",
                        .array([
                            .object([
                                (
                                    "range",
                                    .object([
                                        ("start", .object([("line", .int(suggestion.startLine)), ("column", .int(1))])),
                                        ("end", .object([("line", .int(suggestion.endLine + 1)), ("column", .int(1))])),
                                    ])
                                ),
                                ("text", .string(suggestion.replacement)),
                            ])
                        ])
                    ))
            }
            out += JSONValue.object(members).rendered(pretty: false) + "\n"
        }
        return out
    }
}
