// The files of a review besides its findings, shared by the planner, the report and the
// merge of sharded reports.

/// A reviewed file: its related tests and changed symbols.
public struct ReviewedFile: Hashable, Sendable {
    public var path: String
    public var tests: Int
    public var changedSymbols: [String]
    /// How the tests were selected, when not by the plain import graph.
    public var testSelection: String?
    /// What behaviour review made of the file, when it ran or said why not.
    public var behaviour: String?

    /// Creates an entry.
    public init(path: String, tests: Int, changedSymbols: [String]) {
        self.path = path
        self.tests = tests
        self.changedSymbols = changedSymbols
    }
}

/// A changed file that was not reviewed, and why.
public struct SkippedFile: Hashable, Sendable, Codable {
    public var path: String
    public var reason: String

    /// Creates an entry.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// An entry for what a budget left out (`budget: <detail>`).
    public static func budget(_ path: String, _ detail: String) -> SkippedFile {
        SkippedFile(path: path, reason: "budget: " + detail)
    }

    /// Whether a budget left it out (rather than its kind: deleted, binary, excluded...).
    public var isBudget: Bool { reason.hasPrefix("budget: ") }
}

