import ReviewSandbox

/// A contiguous range of changed lines (the agent's copy of a git hunk, 1-based).
public struct ChangedRange: Hashable, Sendable, Codable {
    public var oldStart: Int
    public var oldLines: Int
    public var newStart: Int
    public var newLines: Int

    /// Creates a range from hunk header numbers.
    public init(oldStart: Int, oldLines: Int, newStart: Int, newLines: Int) {
        self.oldStart = oldStart
        self.oldLines = oldLines
        self.newStart = newStart
        self.newLines = newLines
    }

    /// The head-side lines to point at: the new lines, or for a pure deletion the line
    /// after which lines were removed (at least 1).
    public var headLines: ClosedRange<Int> {
        if newLines == 0 { return max(1, newStart)...max(1, newStart) }
        return newStart...(newStart + newLines - 1)
    }
}

/// How a task's tests were chosen, in the words of the report (``ReviewTask/testSelection``).
public enum TestSelection {
    /// The import graph chose the tests and there is nothing more to say (left out of reports).
    public static let importGraph = "import graph"
    /// The import graph, while the impact map is recorded at `side` (base or head) for later reviews.
    public static func recordingImpactMap(at side: String) -> String {
        "import graph (the impact map is being recorded at \(side) for later reviews)"
    }
    /// The import graph, because there is no cache to keep a map in.
    public static let noCacheForImpactMap = "import graph (no result cache to keep an impact map in)"

    /// The import graph, because the impact map cannot decide (`reason`).
    public static func impactMapFallback(_ reason: String) -> String { "import graph (impact map: \(reason))" }

    /// A test file changed in the range runs `count` of its tests: those it changes and those
    /// that run a helper it changes (the map at `commit`, `changedFiles` files before the base).
    public static func impactMapTestFile(commit: String, count: Int, changedFiles: Int = 0) -> String {
        "impact map (\(age(commit: commit, changedFiles: changedFiles))): \(count) test(s) of this file changed or run a helper it changes"
    }

    /// The impact map chose `count` tests and the import graph `reselected` more that it
    /// cannot vouch for; the map is at `commit`, `changedFiles` Python or configuration
    /// files before the base (0: at the base).
    public static func impactMap(commit: String, count: Int, reselected: Int = 0, changedFiles: Int = 0) -> String {
        let more = reselected == 0 ? "" : "; \(reselected) more by the import graph (not in the map or changed since)"
        return "impact map (\(age(commit: commit, changedFiles: changedFiles))): \(count) test(s) run the changed lines\(more)"
    }

    /// How old the map is: at the base, or `changedFiles` files before it.
    private static func age(commit: String, changedFiles: Int) -> String {
        changedFiles == 0
            ? "base \(commit.prefix(7))"
            : "recorded at \(commit.prefix(7)), \(changedFiles) file(s) changed since"
    }
}


/// One changed Python file to review, with everything the agent needs to check it.
public struct ReviewTask: Hashable, Sendable, Codable {
    /// The file's path at head, relative to the repository root.
    public var path: String
    /// The file's path at base (differs for renames), or `nil` when the file is new.
    public var basePath: String?
    /// The changed line ranges.
    public var hunks: [ChangedRange]
    /// The dotted module name when the file is importable (`shop.pricing`), else `nil`.
    public var module: String?
    /// The module name at base (differs for renames), else `nil`.
    public var baseModule: String?
    /// Extra `sys.path` entries relative to the root (e.g. `src` for a src layout): the
    /// revision's import roots, the same for every task of a run.
    public var importPaths: [String]
    /// Whether the file is itself a test file.
    public var isTestFile: Bool
    /// Functions and classes whose lines the change touches (from Python's `ast`).
    public var changedSymbols: [PythonSymbol]
    /// Related test files (relative paths), in the order they were selected.
    public var tests: [String]
    /// Why each test was selected (`changed in range`, `named after the module`, `imports the module`).
    public var testReasons: [String: String]
    /// Test files that were added or changed in the range (their failures are "new").
    public var changedTests: Set<String>
    /// The tests to run when the impact map chose them: pytest node ids (without
    /// parameters) of unchanged test files, and whole files for test files changed in the
    /// range; `nil` when whole related files run (import graph).
    public var testNodes: [String]?
    /// How the tests were selected, for the report (`impact map (...)`, `import graph (...)`).
    public var testSelection = TestSelection.importGraph
    /// Whether the file's syntax tree is the same at base and head (comments, blank lines or
    /// formatting changed, nothing else): no code changed, so nothing runs.
    public var sameCode = false
    /// Whether this file's edit is the range's whole change (the only file changed, in
    /// place, with the same mode): head with all of its hunks reverted is the base tree.
    public var onlyChange = false

    /// What the test runner is given: the impact map's node ids, else the related files.
    public var testTargets: [String] { testNodes ?? tests }

    /// Creates a task.
    public init(
        path: String, basePath: String?, hunks: [ChangedRange], module: String?, baseModule: String? = nil,
        importPaths: [String],
        isTestFile: Bool, changedSymbols: [PythonSymbol] = [], tests: [String] = [], testReasons: [String: String] = [:],
        changedTests: Set<String> = []
    ) {
        self.path = path
        self.basePath = basePath
        self.hunks = hunks
        self.module = module
        self.baseModule = baseModule
        self.importPaths = importPaths
        self.isTestFile = isTestFile
        self.changedSymbols = changedSymbols
        self.tests = tests
        self.testReasons = testReasons
        self.changedTests = changedTests
    }

    /// The head lines a finding at `line` (where a traceback points) covers: the line
    /// itself when the change touched it or lies elsewhere; when it lies in a function the
    /// change touched but below or above the changed lines, from those lines to it, since
    /// the error surfaces there but the edit that causes it is the change
    /// (`res = f()` -> `pass` fails one line later, where `res` is read).
    public func blame(_ line: Int) -> ClosedRange<Int> {
        let changed = hunks.map(\.headLines)
        if changed.contains(where: { $0.contains(line) }) { return line...line }
        let around = changedSymbols.filter { $0.kind == "function" && $0.line <= line && line <= $0.endLine }
        guard let function = around.max(by: { $0.line < $1.line }), let hunks = changedHunks(of: function) else {
            return line...line
        }
        return min(hunks.lowerBound, line)...max(hunks.upperBound, line)
    }

    /// The changed lines inside the function `name` (head side), or its first line; the
    /// first changed line when no changed symbol has that name.
    public func changedLines(in name: String) -> ClosedRange<Int> {
        guard let symbol = changedSymbols.first(where: { $0.name == name }) else {
            return firstChangedLine...firstChangedLine
        }
        guard let hunks = changedHunks(of: symbol) else { return symbol.line...symbol.line }
        return max(hunks.lowerBound, symbol.line)...min(hunks.upperBound, max(symbol.line, symbol.endLine))
    }

    /// From the first to the last head line of the hunks that overlap `symbol` (they may
    /// reach outside it), or `nil` when none does.
    private func changedHunks(of symbol: PythonSymbol) -> ClosedRange<Int>? {
        let inside = hunks.map(\.headLines).filter { $0.overlaps(symbol.line...max(symbol.line, symbol.endLine)) }
        guard let low = inside.map(\.lowerBound).min(), let high = inside.map(\.upperBound).max() else { return nil }
        return low...high
    }

    /// The first changed line on the head side.
    public var firstChangedLine: Int { hunks.first?.headLines.lowerBound ?? 1 }
}
