import ReviewJSON
import ReviewFindings

/// Everything a formatter needs, as plain values: formatters are pure functions of it.
public struct ReviewReport: Sendable {
    /// The range as the user wrote it.
    public var range: String
    /// Base and head commit ids (`nil` base: the empty tree; head names the worktree when
    /// ``headIsWorktree``).
    public var base: String?
    public var head: String
    /// Whether the head side is the working tree (uncommitted changes), not a commit.
    public var headIsWorktree = false
    /// The members of the plan JSON (`base`, `head`, `files`, and `tasks` when planned).
    public var planMembers: [(String, JSONValue)]
    public var reviewed: [ReviewedFile]
    public var skipped: [SkippedFile]
    /// In report order.
    public var findings: [Finding]
    public var seconds: Double
    public var sandbox: String?
    public var python: String?
    public var testRunner: String?
    /// The version of review that wrote the report.
    public var version: String
    /// Model calls and tokens (0 without a model).
    public var modelCalls = 0
    public var modelTokens = 0
    /// The share of the tasks this report covers (`2/4`), when the review was sharded.
    public var shard: String?

    /// Creates a report.
    public init(
        range: String, base: String?, head: String, planMembers: [(String, JSONValue)], reviewed: [ReviewedFile],
        skipped: [SkippedFile], findings: [Finding], seconds: Double, sandbox: String?, python: String?,
        testRunner: String?, version: String
    ) {
        self.range = range
        self.base = base
        self.head = head
        self.planMembers = planMembers
        self.reviewed = reviewed
        self.skipped = skipped
        self.findings = findings
        self.seconds = seconds
        self.sandbox = sandbox
        self.python = python
        self.testRunner = testRunner
        self.version = version
    }

    /// Findings of one severity.
    public func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity }.count }

    /// The changed files a test could have run for: the reviewed ones and those a budget
    /// left out.
    public var changedFiles: [String] {
        let reviewedPaths = reviewed.map(\.path)
        let known = Set(reviewedPaths)
        return reviewedPaths + skipped.filter { $0.isBudget && !known.contains($0.path) }.map(\.path)
    }

    /// How many of ``changedFiles`` had a test run: those without a `not-tested` finding.
    public var testedCount: Int {
        let untested = Set(findings.filter { $0.kind == .notTested }.map(\.file))
        return changedFiles.filter { !untested.contains($0) }.count
    }

    /// `N of M changed files tested`.
    public var testedLine: String {
        let total = changedFiles.count
        return "\(testedCount) of \(total) changed file\(total == 1 ? "" : "s") tested"
    }

    /// The findings with a verified suggestion.
    public var verifiedSuggestions: [Finding] { findings.filter { $0.suggestion?.verified == true } }
}

/// Turns a report into text in one format.
public protocol ReviewFormatter {
    /// The formatted report.
    func format(_ report: ReviewReport) throws -> String
}
