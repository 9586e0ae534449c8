import Foundation
import ReviewAgent
import ReviewSandbox

/// Which tests execute which functions of the project, recorded by running tests under a
/// profiler (see `PythonScripts.impactPlugin`), and kept valid as the base moves.
///
/// Nothing in it is tied to line numbers of one revision except the line ranges used to
/// find the function a hunk touches. A test's entry names the functions it ran by file and
/// qualified name; each file has a fingerprint per function and one for its module-level
/// code (see `PythonScripts.fingerprintFunctions`). The map is current at one tree
/// (``tree``): at another base, ``MapDrift`` finds the entries that no longer hold from the
/// files whose blob changed, and those tests are chosen by the import graph and recorded
/// again (``merged(with:)``), never trusted.
///
/// Selection maps each hunk's base-side lines to the functions that contain them and takes
/// the valid tests that executed those functions. A hunk with a line outside every
/// function (module or class level: imports, constants, decorators of a class) can change
/// what any importer sees, so such a task keeps the import-graph selection.
public struct ImpactMap: Codable, Sendable {
    /// The version of this layout; a map written in another is never read as this one.
    public static let currentFormat = 3

    /// A function (or method) of a file, by qualified name.
    public struct Function: Codable, Sendable, Equatable {
        public var name: String
        public var start: Int
        public var end: Int
        /// A digest of its syntax tree (comments, blank lines and its position ignored).
        public var fingerprint: String
        /// Whether it also ran outside any test (at import or collection), so a change to
        /// it can affect every test that imports its module.
        public var outside: Bool?
        /// The names its code reads (globals among them) and the attributes it reads.
        public var names: [String]?
    }

    /// The fingerprints of one file.
    public struct SourceFile: Codable, Sendable, Equatable {
        /// A digest of the module-level code other than functions and top-level bindings.
        public var module: String
        /// Top-level bindings (imports, assignments, classes without their methods): bound
        /// name -> digest of the statements that bind it.
        public var bindings: [String: String]?
        /// `__all__`, when it is a literal list.
        public var exports: [String]?
        public var functions: [Function]
    }

    /// One test and what it ran.
    public struct Test: Codable, Sendable {
        /// pytest's node id.
        public var node: String
        /// `[file, qualified name]` of each project function it executed.
        public var ran: [[String]]
        /// The tree it was recorded at.
        public var tree: String

        /// The test's file.
        public var file: String { PythonToolbox.file(of: node) }
    }

    public var format: Int = ImpactMap.currentFormat
    /// The tree every entry holds at (the base last recorded or refreshed).
    public var tree: String
    /// The commit of ``tree`` when it was recorded, for reports.
    public var commit: String
    /// When the map was first recorded and last refreshed (seconds since 1970).
    public var recorded: Double
    public var refreshed: Double
    /// What the pytest configuration at ``tree`` says about collection; another value
    /// means other tests, so the map is recorded anew.
    public var settings: String
    /// Blob ids at ``tree`` of every Python file and pytest configuration file: what a new
    /// base is compared with.
    public var blobs: [String: String]
    /// Test files all of whose tests are in ``tests`` (others are chosen by the import graph).
    public var testFiles: [String]
    /// Fingerprints at ``tree`` of every file some test ran code of.
    public var files: [String: SourceFile]
    public var tests: [Test]
    /// pytest's exit status for the first recording.
    public var status: Int

    /// What the recorder writes.
    struct Recording: Decodable {
        struct Entry: Decodable {
            var node: String
            var ran: [[String]]
        }
        var status: Int
        var tests: [Entry]
        var files: [String: SourceFile]

        /// A recorder's output, `nil` when unreadable.
        static func decoded(_ data: Data) -> Recording? {
            try? JSONDecoder().decode(Recording.self, from: data)
        }
    }

    /// A map from a recording of the whole suite at `tree`.
    static func recorded(
        _ data: Data, tree: String, commit: String, settings: String, blobs: [String: String], testFiles: [String]
    ) -> ImpactMap? {
        guard let recording = try? JSONDecoder().decode(Recording.self, from: data) else { return nil }
        let now = Date().timeIntervalSince1970
        return ImpactMap(
            tree: tree, commit: commit, recorded: now, refreshed: now, settings: settings, blobs: blobs,
            testFiles: testFiles.sorted(), files: recording.files,
            tests: recording.tests.map { Test(node: $0.node, ran: $0.ran, tree: tree) }, status: recording.status)
    }

    /// What the map selects for a task.
    public enum Selection: Equatable {
        /// These node ids (without parameters), possibly none, and the stale entries that
        /// ran code of the file where the map was recorded (to run again, not to trust).
        case tests([String], stale: [String])
        /// A test file changed in the range: these of its tests (``ChangedTestFile``).
        case testFile([String])
        /// A changed line outside every function, which the file's fingerprints at head did
        /// not clear (or were not given): the import graph decides.
        case outsideFunctions(line: Int)
        /// The map cannot decide; use the import graph, for this reason.
        case fallback(String)
    }

    /// The valid tests that executed the functions the task's change touches, at base; for
    /// a test file, its tests `changedTestFiles` chose.
    ///
    /// A line outside every function falls back to the import graph, unless `headFile` (the
    /// file's fingerprints at head) shows that nothing bound at module level changed: then
    /// the change there is to the module's docstring, `__version__` or comments, and the
    /// tests that ran a function reading `__version__` or `__doc__` run (a version test).
    func select(
        for task: ReviewTask, drift: MapDrift, changedTestFiles: [String: ChangedTestFile] = [:],
        headFile: SourceFile? = nil
    ) -> Selection {
        if task.isTestFile {
            guard let changed = changedTestFiles[task.path] else { return .fallback("a test file") }
            return .testFile(changed.nodes)
        }
        guard let basePath = task.basePath else { return .fallback("a new file") }
        let source: SourceFile?
        if drift.changedFiles.contains(basePath) {
            guard let current = drift.fingerprints[basePath] else {
                return .fallback("this file changed since the map was recorded and does not parse at base")
            }
            source = current
        } else {
            source = files[basePath]
        }
        guard let functions = source?.functions else { return .fallback("no test ran code of this file at base") }
        // Whether a function runs at import is known where the map was recorded.
        let atImport = Set((files[basePath]?.functions ?? []).filter { $0.outside == true }.map(\.name))
        var names = Set<String>()
        var unbound = false
        for hunk in task.hunks {
            // The base lines the hunk replaces, or for a pure insertion the two lines around it.
            let lines = hunk.oldLines > 0
                ? Array(hunk.oldStart...(hunk.oldStart + hunk.oldLines - 1)) : [hunk.oldStart, hunk.oldStart + 1]
            for line in lines {
                let containing = functions.filter { $0.start <= line && line <= $0.end }
                guard !containing.isEmpty else {
                    guard let source, let headFile, Self.bindsTheSame(source, headFile) else {
                        return .outsideFunctions(line: line)
                    }
                    unbound = true
                    continue
                }
                if let early = containing.first(where: { atImport.contains($0.name) }) {
                    return .fallback("`\(early.name.split(separator: ".").last ?? "")` runs when the module is imported")
                }
                for function in containing { names.insert(function.name) }
            }
        }
        // The functions (by file) that read what a change outside functions can change.
        var readers = Set<String>()
        if unbound {
            var current = files
            for (path, file) in drift.fingerprints { current[path] = file }
            for (path, file) in current {
                for function in file.functions where !Set(function.names ?? []).isDisjoint(with: ["__version__", "__doc__"]) {
                    readers.insert(path + "\u{0}" + function.name)
                }
            }
        }
        var nodes: [String] = []
        var stale: [String] = []
        var seen = Set<String>()
        for (index, test) in tests.enumerated() {
            if drift.staleTests.contains(index) {
                // Where it was recorded it ran this file: what it runs now is unknown.
                guard test.ran.contains(where: { $0.count == 2 && $0[0] == basePath }) else { continue }
                let node = ImpactMap.withoutParameters(test.node)
                if seen.insert(node).inserted { stale.append(node) }
                continue
            }
            guard
                test.ran.contains(where: {
                    $0.count == 2 && ($0[0] == basePath && names.contains($0[1]) || readers.contains($0[0] + "\u{0}" + $0[1]))
                })
            else { continue }
            let node = ImpactMap.withoutParameters(test.node)
            if seen.insert(node).inserted { nodes.append(node) }
        }
        return .tests(nodes, stale: stale)
    }

    /// Why a changed test file runs only some of its tests.
    static let changedTestsReason = "changed in the range: its changed tests, and those that run a helper it changes (impact map)"

    /// Each function name's fingerprints, in the order of its definitions (a property's
    /// getter, then its setter).
    static func fingerprintsByName(_ functions: [Function]) -> [String: [String]] {
        var byName: [String: [String]] = [:]
        for function in functions { byName[function.name, default: []].append(function.fingerprint) }
        return byName
    }

    /// Whether a file binds the same at module level at base and head: the same module-level
    /// code, top-level bindings and `__all__`, and no new function taking a name a binding
    /// had. What else changes outside functions is its docstring, `__version__` or comments.
    static func bindsTheSame(_ base: SourceFile, _ head: SourceFile) -> Bool {
        guard base.module == head.module, (base.bindings ?? [:]) == (head.bindings ?? [:]), base.exports == head.exports
        else { return false }
        let bound = Set((base.bindings ?? [:]).keys)
        let before = Set(base.functions.map(\.name))
        return !head.functions.contains { !$0.name.contains(".") && !before.contains($0.name) && bound.contains($0.name) }
    }

    /// `tests/t.py::test_x[1-2]` -> `tests/t.py::test_x` (a parameter set may not exist at head).
    public static func withoutParameters(_ node: String) -> String {
        guard let bracket = node.firstIndex(of: "[") else { return node }
        return String(node[..<bracket])
    }

    /// Applies a selection to a task: the map's valid tests, then the tests the import graph
    /// chose that the map cannot vouch for (files not recorded or changed since: whole; stale
    /// entries: by node), then test files changed in the range (whole; their node ids at base
    /// may not exist any more).
    /// A test file changed in the range runs only the tests `changedTestFiles` chose for it,
    /// when it has an entry there.
    func apply(
        _ selection: Selection, to task: inout ReviewTask, drift: MapDrift, baseCommit: String,
        changedTestFiles: [String: ChangedTestFile] = [:]
    ) {
        switch selection {
        case .fallback(let reason):
            task.testSelection = TestSelection.impactMapFallback(reason)
        case .outsideFunctions(let line):
            task.testSelection = TestSelection.impactMapFallback("line \(line) at base is outside every function")
        case .testFile(let nodes):
            task.tests = nodes.isEmpty ? [] : [task.path]
            task.testReasons = nodes.isEmpty ? [:] : [task.path: Self.changedTestsReason]
            task.testNodes = nodes
            task.testSelection = TestSelection.impactMapTestFile(
                commit: drift.isCurrent ? baseCommit : commit, count: nodes.count,
                changedFiles: drift.isCurrent ? 0 : drift.changedFiles.count)
        case .tests(let nodes, let staleNodes):
            let changed = task.tests.filter { task.changedTests.contains($0) }
            var files: [String] = []
            var reasons: [String: String] = [:]
            var kept: [String] = []
            var keptSet = Set<String>()
            func keep(_ node: String) {
                if keptSet.insert(node).inserted { kept.append(node) }
            }
            func add(_ file: String, _ reason: String) {
                if reasons[file] == nil {
                    files.append(file)
                    reasons[file] = reason
                }
            }
            for file in changed {
                if let tests = changedTestFiles[file] {
                    add(file, Self.changedTestsReason)
                    tests.nodes.forEach(keep)
                } else {
                    add(file, "changed in the range")
                }
            }
            for node in nodes {
                let file = PythonToolbox.file(of: node)
                // A changed test file's node ids at base may not exist any more.
                if task.changedTests.contains(file) && changedTestFiles[file]?.has(node) != true { continue }
                keep(node)
                add(file, "runs the changed lines at base (impact map)")
            }
            let mapped = kept.count
            var whole: [String] = []
            // A test file that is new, or changed at module level since the map's tree, runs
            // whole: its node ids there may not exist any more.
            for node in staleNodes {
                let file = PythonToolbox.file(of: node)
                if task.changedTests.contains(file) || keptSet.contains(node) || whole.contains(file) { continue }
                if drift.isUnknown(file) {
                    whole.append(file)
                    add(file, "ran this file where the impact map was recorded; changed since")
                } else {
                    keep(node)
                    add(file, "ran this file where the impact map was recorded; its code changed since")
                }
            }
            for file in task.tests where reasons[file] == nil {
                let why = task.testReasons[file] ?? "import graph"
                if drift.isUnknown(file) {
                    whole.append(file)
                    add(file, "\(why); not in the impact map yet")
                } else {
                    let again = drift.reselected(in: file)
                    guard !again.isEmpty else { continue }
                    again.forEach(keep)
                    add(file, "\(why); \(again.count) of its test(s) new or changed since the impact map was recorded")
                }
            }
            // The tests a chosen file gained since the map's tree are not in it: they run too.
            for file in files where !whole.contains(file) && !task.changedTests.contains(file) {
                (drift.newNodes[file] ?? []).forEach(keep)
            }
            task.tests = files
            task.testReasons = reasons
            task.testNodes = kept + whole + changed.filter { changedTestFiles[$0] == nil }
            task.testSelection = TestSelection.impactMap(
                commit: drift.isCurrent ? baseCommit : commit, count: mapped,
                reselected: kept.count - mapped + whole.count, changedFiles: drift.isCurrent ? 0 : drift.changedFiles.count)
        }
    }

    /// This map brought to the base `drift` was computed for: entries that still hold are
    /// kept, stale ones replaced by `refresh` (a recording of those tests at that base) or,
    /// without one, dropped with their files marked as not recorded.
    func merged(with drift: MapDrift, refresh: Recording?, refreshedFiles: Set<String>) -> ImpactMap {
        var map = self
        map.tree = drift.tree
        map.commit = drift.commit
        map.blobs = drift.blobs
        map.refreshed = Date().timeIntervalSince1970
        for path in drift.changedFiles {
            map.files[path] = drift.fingerprints[path]
        }
        let present = Set(drift.blobs.keys)
        var keptTests: [Test] = []
        var droppedFiles = Set<String>()
        var refreshedNodes = Set<String>()
        for entry in refresh?.tests ?? [] { refreshedNodes.insert(ImpactMap.withoutParameters(entry.node)) }
        for (index, test) in tests.enumerated() {
            guard present.contains(test.file) else { continue }
            let node = ImpactMap.withoutParameters(test.node)
            if refresh != nil && (refreshedFiles.contains(test.file) || refreshedNodes.contains(node)) { continue }
            if drift.staleTests.contains(index) {
                droppedFiles.insert(test.file)
                continue
            }
            keptTests.append(test)
        }
        var recordedFiles = Set(testFiles).subtracting(drift.wholeFiles).intersection(present)
        // Without a refresh, the tests a file gained are not in the map: the file is not either.
        if refresh == nil { droppedFiles.formUnion(drift.newNodes.keys) }
        if let refresh {
            for (path, file) in refresh.files { map.files[path] = file }
            keptTests += refresh.tests.map { Test(node: $0.node, ran: $0.ran, tree: drift.tree) }
            recordedFiles.formUnion(refreshedFiles)
        }
        recordedFiles.subtract(droppedFiles)
        map.files = map.files.filter { present.contains($0.key) }
        map.tests = keptTests.sorted { $0.node < $1.node }
        map.testFiles = recordedFiles.sorted()
        return map
    }
}
