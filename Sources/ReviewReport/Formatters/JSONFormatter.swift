import ReviewFindings

/// The JSON report: the plan's members (`base`, `head`, `files`, `tasks`), then `skipped`,
/// `findings` and `summary`. Keys keep this documented order.
public struct JSONFormatter: ReviewFormatter {
    /// Creates the formatter.
    public init() {}

    public func format(_ report: ReviewReport) -> String {
        var members = report.planMembers
        members.append(
            ("skipped", .array(report.skipped.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })))
        members.append(("findings", .array(report.findings.map(JSONFormatter.json(for:)))))
        members.append(
            (
                "summary",
                .object([
                    ("errors", .int(report.count(.error))), ("warnings", .int(report.count(.warning))),
                    ("infos", .int(report.count(.info))), ("tasks", .int(report.reviewed.count)),
                    ("seconds", .double((report.seconds * 100).rounded() / 100)),
                    ("sandbox", .optional(report.sandbox)), ("python", .optional(report.python)),
                    ("testRunner", .optional(report.testRunner)), ("version", .string(report.version)),
                    ("modelCalls", .int(report.modelCalls)), ("modelTokens", .int(report.modelTokens)),
                    ("range", .string(report.range)), ("shard", .optional(report.shard)),
                ])
            ))
        return JSONValue.object(members).rendered() + "\n"
    }

    /// One finding as JSON (also the element of `findings` that `review merge` reads back).
    public static func json(for finding: Finding) -> JSONValue {
        let evidence: JSONValue =
            finding.evidence.map {
                .object([
                    ("command", .string($0.command)), ("revision", .string($0.revision)),
                    ("exitCode", $0.exitCode.map { .int(Int($0)) } ?? .null), ("output", .string($0.output)),
                ])
            } ?? .null
        let suggestion: JSONValue =
            finding.suggestion.map {
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
}

extension JSONFormatter {
    /// Reads back one element of `findings` (the inverse of ``json(for:)``); `nil` when a
    /// required member is missing or has the wrong type.
    public static func finding(from value: JSONValue) -> Finding? {
        guard let file = value["file"]?.stringValue, let line = value["line"]?.intValue,
            let severity = value["severity"]?.stringValue.flatMap(Severity.init(rawValue:)),
            let kind = value["kind"]?.stringValue.flatMap(FindingKind.init(rawValue:)),
            let message = value["message"]?.stringValue
        else { return nil }
        var evidence: Evidence?
        if let object = value["evidence"], case .object = object {
            guard let command = object["command"]?.stringValue, let revision = object["revision"]?.stringValue,
                let output = object["output"]?.stringValue
            else { return nil }
            evidence = Evidence(
                command: command, revision: revision, exitCode: object["exitCode"]?.intValue.map { Int32(clamping: $0) },
                output: output)
        }
        var suggestion: Suggestion?
        if let object = value["suggestion"], case .object = object {
            guard let patch = object["patch"]?.stringValue, let start = object["startLine"]?.intValue,
                let end = object["endLine"]?.intValue, let replacement = object["replacement"]?.stringValue,
                case .bool(let verified)? = object["verified"], let summary = object["summary"]?.stringValue
            else { return nil }
            suggestion = Suggestion(
                patch: patch, startLine: start, endLine: end, replacement: replacement, verified: verified, summary: summary)
        }
        return Finding(
            severity: severity, kind: kind, file: file, line: line, endLine: value["endLine"]?.intValue ?? line,
            message: message, test: value["test"]?.stringValue, evidence: evidence, suggestion: suggestion)
    }
}
