import Foundation
import ReviewAgent

/// Which tests execute which functions of the project, recorded at the base revision by
/// running the whole suite once with a profiler (see `PythonScripts.impactRecorder`).
///
/// Selection maps each hunk's base-side lines to the functions that contain them and takes
/// the tests that executed those functions. A hunk with a line outside every function
/// (module or class level: imports, constants, decorators of a class) can change what any
/// importer sees, so such a task keeps the import-graph selection.
public struct ImpactMap: Codable, Sendable {
    /// A function (or method, lambda, comprehension) of a file.
    public struct Function: Codable, Sendable {
        public var start: Int
        public var end: Int
        public var name: String
        /// Indexes into ``ImpactMap/tests``.
        public var tests: [Int]
        /// Whether it also ran outside any test (at import or collection), so a change to
        /// it can affect every test that imports its module.
        public var outside: Bool
    }

    /// Node ids of every test that ran.
    public var tests: [String]
    /// Repository-relative file -> its functions (files where some test ran some code).
    public var files: [String: [Function]]
    /// pytest's exit status for the recording run.
    public var status: Int

    /// Reads the recorder's JSON.
    public static func decode(_ data: Data) -> ImpactMap? {
        try? JSONDecoder().decode(ImpactMap.self, from: data)
    }

    /// What the map selects for a task.
    public enum Selection: Equatable {
        /// These node ids (without parameters), possibly none.
        case tests([String])
        /// The map cannot decide; use the import graph, for this reason.
        case fallback(String)
    }

    /// The tests that executed the functions the task's change touches, at base.
    public func select(for task: ReviewTask) -> Selection {
        if task.isTestFile { return .fallback("a test file") }
        guard let basePath = task.basePath else { return .fallback("a new file") }
        guard let functions = files[basePath] else { return .fallback("no test ran code of this file at base") }
        var chosen = Set<Int>()
        for hunk in task.hunks {
            // The base lines the hunk replaces, or for a pure insertion the two lines around it.
            let lines = hunk.oldLines > 0
                ? Array(hunk.oldStart...(hunk.oldStart + hunk.oldLines - 1)) : [hunk.oldStart, hunk.oldStart + 1]
            for line in lines {
                let containing = functions.filter { $0.start <= line && line <= $0.end }
                guard !containing.isEmpty else {
                    return .fallback("line \(line) at base is outside every function")
                }
                if let early = containing.first(where: \.outside) {
                    return .fallback("`\(early.name)` runs when the module is imported")
                }
                for function in containing { chosen.formUnion(function.tests) }
            }
        }
        var nodes: [String] = []
        var seen = Set<String>()
        for index in chosen.sorted() where index < tests.count {
            let node = ImpactMap.withoutParameters(tests[index])
            if seen.insert(node).inserted { nodes.append(node) }
        }
        return .tests(nodes)
    }

    /// `tests/t.py::test_x[1-2]` -> `tests/t.py::test_x` (a parameter set may not exist at head).
    public static func withoutParameters(_ node: String) -> String {
        guard let bracket = node.firstIndex(of: "[") else { return node }
        return String(node[..<bracket])
    }

    /// Applies a selection to a task: node ids of unchanged test files; test files changed
    /// in the range run whole (their node ids at base may not exist any more).
    public static func apply(_ selection: Selection, to task: inout ReviewTask, baseTree: String) {
        switch selection {
        case .fallback(let reason):
            task.testSelection = TestSelection.impactMapFallback(reason)
        case .tests(let nodes):
            let changed = task.tests.filter { task.changedTests.contains($0) }
            var files: [String] = changed
            var kept: [String] = []
            for node in nodes {
                let file = String(node.prefix { $0 != ":" })
                if task.changedTests.contains(file) { continue }
                kept.append(node)
                if !files.contains(file) { files.append(file) }
            }
            var reasons: [String: String] = [:]
            for file in files {
                reasons[file] = task.changedTests.contains(file)
                    ? "changed in the range" : "runs the changed lines at base (impact map)"
            }
            task.tests = files
            task.testReasons = reasons
            task.testNodes = kept + changed
            task.testSelection = TestSelection.impactMap(baseTree: baseTree, count: kept.count)
        }
    }
}
