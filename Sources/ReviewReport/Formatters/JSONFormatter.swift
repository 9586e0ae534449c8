import ReviewJSON
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
        members.append(("findings", .array(report.findings.map(\.json))))
        members.append(
            (
                "summary",
                .object([
                    ("errors", .int(report.count(.error))), ("warnings", .int(report.count(.warning))),
                    ("infos", .int(report.count(.info))), ("tasks", .int(report.reviewed.count)),
                    ("changedFiles", .int(report.changedFiles.count)), ("tested", .int(report.testedCount)),
                    ("seconds", .double((report.seconds * 100).rounded() / 100)),
                    ("sandbox", .optional(report.sandbox)), ("python", .optional(report.python)),
                    ("testRunner", .optional(report.testRunner)), ("version", .string(report.version)),
                    ("modelCalls", .int(report.modelCalls)), ("modelTokens", .int(report.modelTokens)),
                    ("range", .string(report.range)), ("shard", .optional(report.shard)),
                ])
            ))
        return JSONValue.object(members).rendered() + "\n"
    }
}
