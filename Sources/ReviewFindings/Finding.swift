/// How much a finding matters; the names are reviewdog's levels.
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Proven by execution to be broken by the change.
    case error
    /// Worth a look (a flaky test, an unverified model claim).
    case warning
    /// For information (a failure that already existed at base, a test the change fixed).
    case info

    private var rank: Int {
        switch self {
        case .error: return 2
        case .warning: return 1
        case .info: return 0
        }
    }

    /// `info < warning < error`.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// What kind of problem a finding reports.
public enum FindingKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A test that passes at base fails at head.
    case testRegression = "test-regression"
    /// A test added or changed in the range fails at head.
    case failingNewTest = "failing-new-test"
    /// The changed file does not compile at head.
    case syntaxError = "syntax-error"
    /// The changed module does not import at head.
    case importError = "import-error"
    /// The test process died (signal, interpreter crash, resource limit).
    case crash
    /// An execution exceeded its time limit.
    case timeout
    /// A test failed once and passed on a rerun at head.
    case flakyTest = "flaky-test"
    /// A test that already failed at base still fails at head.
    case preExistingFailure = "pre-existing-failure"
    /// A test that failed at base passes at head.
    case fixedTest = "fixed-test"
    /// A note from the model, not proven by execution.
    case modelNote = "model-note"
    /// Something the interpreter lacks (a package that is not installed), not the change:
    /// one per missing name for the whole run.
    case environment
    /// The change adds an import of a package the project's metadata does not declare.
    case undeclaredDependency = "undeclared-dependency"
    /// A changed file for which no test ran (none found, none collected, all skipped, the
    /// session could not start, a budget): the report says why and what would fix it.
    case notTested = "not-tested"
    /// A changed function returns, raises, prints or mutates differently at head than at
    /// base for the same input, shown by calling it at both (behaviour review).
    case behaviourChange = "behaviour-change"

    /// The severity a finding of this kind has when the change caused it.
    public var defaultSeverity: Severity {
        switch self {
        case .testRegression, .failingNewTest, .syntaxError, .importError, .crash, .timeout: return .error
        case .flakyTest, .environment, .undeclaredDependency, .notTested, .behaviourChange: return .warning
        case .preExistingFailure, .fixedTest, .modelNote: return .info
        }
    }

    /// A short title for reports and rule lists.
    public var title: String {
        switch self {
        case .testRegression: return "Test regression"
        case .failingNewTest: return "Failing new test"
        case .syntaxError: return "Syntax error"
        case .importError: return "Import error"
        case .crash: return "Crash"
        case .timeout: return "Timeout"
        case .flakyTest: return "Flaky test"
        case .preExistingFailure: return "Pre-existing failure"
        case .fixedTest: return "Fixed test"
        case .modelNote: return "Model note"
        case .environment: return "Environment"
        case .undeclaredDependency: return "Undeclared dependency"
        case .notTested: return "Not tested"
        case .behaviourChange: return "Behaviour change"
        }
    }
}

/// The execution that proves a finding.
public struct Evidence: Hashable, Sendable {
    /// The command as it ran, for a human to rerun (argv joined with shell quoting).
    public var command: String
    /// The revision it ran at (`head`, `base`, or a commit id).
    public var revision: String
    /// The exit code, or `nil` when the process was killed.
    public var exitCode: Int32?
    /// The relevant output, trimmed.
    public var output: String

    /// Creates evidence.
    public init(command: String, revision: String, exitCode: Int32?, output: String) {
        self.command = command
        self.revision = revision
        self.exitCode = exitCode
        self.output = output
    }
}

/// A proposed change: a unified diff against head.
public struct Suggestion: Hashable, Sendable {
    /// A unified diff (`--- a/...`, `+++ b/...`) that `git apply` accepts on head.
    public var patch: String
    /// The head-side lines (1-based, inclusive) that the suggestion replaces.
    public var startLine: Int
    public var endLine: Int
    /// The text that replaces those lines (for GitHub suggestion blocks).
    public var replacement: String
    /// Whether applying it was checked by rerunning the failing tests.
    public var verified: Bool
    /// What the suggestion does, in one line.
    public var summary: String
    /// The file the suggestion creates (a new test), when it is not an edit of the finding's
    /// file: `replacement` is then the whole new file and the lines are its lines.
    public var newFile: String?

    /// How it was checked, in a few words for reports.
    public var verification: String {
        guard verified else { return "not verified" }
        return newFile == nil ? "verified: the failing tests pass with it" : "verified: it passes at base and fails at head"
    }

    /// Creates a suggestion.
    public init(
        patch: String, startLine: Int, endLine: Int, replacement: String, verified: Bool, summary: String,
        newFile: String? = nil
    ) {
        self.newFile = newFile
        self.patch = patch
        self.startLine = startLine
        self.endLine = endLine
        self.replacement = replacement
        self.verified = verified
        self.summary = summary
    }
}

/// One thing `review` found, located on the head side of the change.
public struct Finding: Hashable, Sendable {
    /// How much it matters.
    public var severity: Severity
    /// What kind of problem it is.
    public var kind: FindingKind
    /// The file, relative to the repository root.
    public var file: String
    /// First line on the head side, 1-based.
    public var line: Int
    /// Last line on the head side, 1-based, inclusive.
    public var endLine: Int
    /// One or two sentences, lowercase start not required.
    public var message: String
    /// The test this finding is about, as a pytest node id, if any.
    public var test: String?
    /// Every test a finding about many tests stands for (one pre-existing failure per
    /// cause lists all the node ids that fail with it); empty otherwise.
    public var tests: [String] = []
    /// The execution that proves it.
    public var evidence: Evidence?
    /// A proposed fix, if any.
    public var suggestion: Suggestion?

    /// Creates a finding.
    public init(
        severity: Severity, kind: FindingKind, file: String, line: Int, endLine: Int, message: String,
        test: String? = nil, evidence: Evidence? = nil, suggestion: Suggestion? = nil
    ) {
        self.severity = severity
        self.kind = kind
        self.file = file
        self.line = max(1, line)
        self.endLine = max(max(1, line), endLine)
        self.message = message
        self.test = test
        self.evidence = evidence
        self.suggestion = suggestion
    }

    /// What makes two findings of one report the same: the fingerprint and line, or for a
    /// package missing from the interpreter its message (one per name for a whole run).
    public var reportKey: String {
        kind == .environment ? message : fingerprint + "\(line)"
    }

    /// A stable identifier across runs: kind, file, test and message, not line numbers
    /// (which move when unrelated lines change). 16 hex digits (FNV-1a, 64 bit).
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in [kind.rawValue, file, test ?? "", test == nil ? message : ""] {
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension Finding {
    /// The report order: file, then line, then severity (errors first), then kind and message.
    public static func reportOrder(_ lhs: Finding, _ rhs: Finding) -> Bool {
        if lhs.file != rhs.file { return lhs.file < rhs.file }
        if lhs.line != rhs.line { return lhs.line < rhs.line }
        if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
        if lhs.kind != rhs.kind { return lhs.kind.rawValue < rhs.kind.rawValue }
        return lhs.message < rhs.message
    }
}
