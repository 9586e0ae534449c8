import Foundation
import ReviewJSON
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewReport

/// Turns a review's result into the report every output format is written from, and
/// decides the exit status.
public struct ResultRendering {
    /// What every format is written from.
    public let report: ReviewReport
    public let failOn: FailLevel

    /// The rendering of a review's result.
    public init(result: ReviewResult, failOn: FailLevel) {
        self.init(report: Self.report(of: result), failOn: failOn)
    }

    /// The rendering of any report (also a merged one, which has no single result).
    public init(report: ReviewReport, failOn: FailLevel) {
        self.report = report
        self.failOn = failOn
    }

    /// The exit status: 1 when a finding reaches `failOn`.
    public var exitStatus: ExitStatus {
        report.findings.contains { failOn.fails($0.severity) } ? .findings : .clean
    }

    /// The report for the formatters.
    static func report(of result: ReviewResult) -> ReviewReport {
        let plan = PlanReport(
            changeSet: result.changeSet, tasks: result.tasks,
            skipped: [])
        var members: [(String, JSONValue)] = []
        if case .object(let planMembers) = plan.jsonValue { members = planMembers }
        let behaviour = Dictionary(result.results.compactMap { r in r.behaviour.map { (r.task.path, $0) } }) { first, _ in first }
        members.append(
            ("tasks", .array(result.tasks.map { ResultRendering.json(for: $0, behaviour: behaviour[$0.path]) })))
        var report = ReviewReport(
            range: result.changeSet.range.spec, base: result.changeSet.range.base?.hex,
            head: result.changeSet.range.head.description, planMembers: members,
            reviewed: result.tasks.map {
                var file = ReviewedFile(
                    path: $0.path, tests: $0.tests.count, changedSymbols: $0.changedSymbols.map(\.name))
                if $0.testSelection != TestSelection.importGraph { file.testSelection = $0.testSelection }
                file.behaviour = behaviour[$0.path]
                return file
            },
            skipped: result.skipped,
            findings: result.findings, seconds: result.seconds, sandbox: result.sandbox, python: result.python,
            testRunner: result.testRunner, version: ReviewVersion.current)
        report.modelCalls = result.modelCalls
        report.modelTokens = result.modelTokens
        report.shard = result.shard?.description
        report.headIsWorktree = result.changeSet.range.isWorktree
        return report
    }

    /// The report in one format.
    public func render(_ format: OutputFormat, color: Bool = false, templates: String? = nil) throws(ReviewFailure)
        -> String
    {
        do {
            return try format.formatter(color: color, templates: templates).format(report)
        } catch {
            throw ReviewFailure("cannot write the \(format.rawValue) report: \(error)", status: .infrastructure)
        }
    }

    /// One task as JSON (in the plan and in the review report).
    static func json(for task: ReviewTask, behaviour: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", .string(task.path)),
            ("module", .optional(task.module)),
            (
                "tests",
                .array(task.tests.map { .object([("path", .string($0)), ("reason", .string(task.testReasons[$0] ?? ""))]) })
            ),
            ("changedSymbols", .array(task.changedSymbols.map { .string($0.name) })),
            ("testSelection", .string(task.testSelection)),
            ("testNodes", task.testNodes.map { .array($0.map(JSONValue.string)) } ?? .null),
        ]
        if let behaviour { members.append(("behaviour", .string(behaviour))) }
        return .object(members)
    }
}
