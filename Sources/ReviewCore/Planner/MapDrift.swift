import Foundation
import ReviewGit
import ReviewSandbox

/// How far an impact map is from a base: which files changed between the tree the map holds
/// at and the base, and which of its entries no longer hold there.
///
/// What changed is found from blob ids alone: the map keeps the blob id of every Python file
/// and pytest configuration file of its tree, and the base's tree listing gives the new ones
/// (no checkout, no rescan of file contents, and the map's own commit need not be in the
/// repository, as after a shallow CI clone). Only the changed files that matter are
/// fingerprinted at base, in one sandboxed interpreter.
///
/// An entry is stale when its test file's module-level code changed, when a `conftest.py`
/// above it changed, when a function it ran changed or went away (or reads a top-level
/// binding that changed), or when the module-level code of a module it depends on changed:
/// a module it ran code of, or one its test file imports directly or through other modules
/// (the import graph at base).
struct MapDrift: Sendable {
    /// The base's tree and commit.
    var tree: String
    var commit: String
    /// Blob ids at base of the Python and pytest configuration files.
    var blobs: [String: String]
    /// Files added, removed or modified since the map's tree.
    var changedFiles: Set<String>
    /// Fingerprints at base of the changed files the map or the review needs.
    var fingerprints: [String: ImpactMap.SourceFile]
    /// Indexes into ``ImpactMap/tests`` of the entries that no longer hold.
    var staleTests: Set<Int>
    /// Test file -> its stale entries, as node ids without parameters.
    var staleNodes: [String: [String]]
    /// Recorded test files that changed at module level (or no longer parse): they run and
    /// are recorded whole. Other changed test files keep their valid entries.
    var wholeFiles: Set<String> = []
    /// Recorded test files -> the test functions added since, as node ids.
    var newNodes: [String: [String]] = [:]
    /// The test files all of whose tests the map holds (``ImpactMap/testFiles``).
    var recordedTestFiles: Set<String>

    /// Whether the map is at the base's tree already.
    var isCurrent: Bool { changedFiles.isEmpty }

    /// The files whose blob ids the map keeps.
    static func isTracked(_ path: String) -> Bool {
        path.hasSuffix(".py") || ["pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"].contains(path)
    }

    /// The blob ids a map keeps, from a tree listing.
    static func blobs(of listing: TreeListing) -> [String: String] {
        var blobs: [String: String] = [:]
        for (path, entry) in listing.entries where isTracked(path) { blobs[path] = entry.id.hex }
        return blobs
    }

    /// The drift of `map` to the base `files` (a tree listing of `commit`).
    static func compute(
        map: ImpactMap, base files: TreeFiles, tree: String, commit: String, configuration: Configuration,
        needed: Set<String>, fingerprint: ([String]) -> [String: ImpactMap.SourceFile]?
    ) -> MapDrift? {
        compute(
            map: map, files: files, listing: files.listing, tree: tree, commit: commit, configuration: configuration,
            needed: needed, fingerprint: fingerprint)
    }

    /// The drift of `map` to the revision whose files are `files` and whose tree lists
    /// `listing` (of `commit`).
    ///
    /// - Parameters:
    ///   - fingerprint: fingerprints files of the base (relative paths); `nil` when the
    ///     interpreter could not.
    ///   - needed: files whose fingerprints the review needs when they changed (the tasks'
    ///     base paths).
    /// - Returns: `nil` when the pytest configuration decides collection differently now:
    ///   the map is of another suite.
    static func compute(
        map: ImpactMap, files: some ProjectFiles, listing: TreeListing, tree: String, commit: String,
        configuration: Configuration, needed: Set<String>, fingerprint: ([String]) -> [String: ImpactMap.SourceFile]?
    ) -> MapDrift? {
        let blobs = blobs(of: listing)
        let recordedTests = Set(map.testFiles)
        var drift = MapDrift(
            tree: tree, commit: commit, blobs: blobs, changedFiles: [], fingerprints: [:], staleTests: [],
            staleNodes: [:], recordedTestFiles: recordedTests)
        for (path, id) in blobs where map.blobs[path] != id { drift.changedFiles.insert(path) }
        for path in map.blobs.keys where blobs[path] == nil { drift.changedFiles.insert(path) }
        guard !drift.changedFiles.isEmpty else { return drift }
        let pytest = PytestSettings(files: files)
        guard pytest.fingerprint == map.settings else { return nil }

        let wanted = drift.changedFiles.filter {
            blobs[$0] != nil && $0.hasSuffix(".py") && (map.files[$0] != nil || needed.contains($0) || recordedTests.contains($0))
        }
        if !wanted.isEmpty {
            drift.fingerprints = fingerprint(wanted.sorted()) ?? [:]
        }
        // What changed in the files the map's tests ran code of.
        var changedModules: [String] = []
        var changedFunctions = Set<String>()
        var changedBindings: [String: Set<String>] = [:]
        for path in drift.changedFiles {
            guard let old = map.files[path] else { continue }
            guard let new = drift.fingerprints[path] else {
                changedModules.append(path)
                continue
            }
            // A name can be defined more than once (a property's getter and setter): each
            // definition is compared with the one in the same place among them.
            let now = ImpactMap.fingerprintsByName(new.functions)
            let was = ImpactMap.fingerprintsByName(old.functions)
            var importTime = new.module != old.module
            for function in old.functions where now[function.name] != was[function.name] {
                changedFunctions.insert(path + "\u{0}" + function.name)
                // A function that runs at import changes what every importer sees.
                if function.outside == true { importTime = true }
            }
            let before = old.bindings ?? [:]
            let after = new.bindings ?? [:]
            let names = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            if !names.isEmpty { changedBindings[path] = names }
            if importTime { changedModules.append(path) }
        }
        // The import graph at base, read once when needed.
        var built: ImportGraph?
        func graph() -> ImportGraph {
            if let built { return built }
            let made = ImportGraph(
                files: files, tests: TestIndex(files: files, configuration: configuration, pytest: pytest).files)
            built = made
            return made
        }
        let layouts = ModuleLayouts(files: files)
        // A changed top-level binding concerns the code that reads its name (in any file: a
        // function reading `m.NAME` or a name bound by a star import), and a changed class
        // body concerns its methods; the module as a whole changes only when another module
        // takes the name from it (`from m import NAME`, or a star import of an export),
        // since that module's own module-level code may compute with it.
        var changedNames = Set<String>()
        for (path, names) in changedBindings where !changedModules.contains(path) {
            let taken = layouts.module(of: path).map { graph().namesTaken[$0] ?? [] } ?? []
            let exports = Set(drift.fingerprints[path]?.exports ?? []).union(map.files[path]?.exports ?? [])
            let starred = taken.contains("*")
                && names.contains { exports.contains($0) || (exports.isEmpty && !$0.hasPrefix("_")) }
            if starred || !taken.isDisjoint(with: names) {
                changedModules.append(path)
                continue
            }
            changedNames.formUnion(names)
            for function in map.files[path]?.functions ?? []
            where names.contains(String(function.name.prefix { $0 != "." })) && function.name.contains(".") {
                changedFunctions.insert(path + "\u{0}" + function.name)
            }
        }
        if !changedNames.isEmpty {
            for (path, file) in map.files {
                for function in file.functions where !changedNames.isDisjoint(with: function.names ?? []) {
                    changedFunctions.insert(path + "\u{0}" + function.name)
                }
            }
        }
        let conftests = drift.changedFiles.filter { ($0 as NSString).lastPathComponent == "conftest.py" }
            .map { ($0 as NSString).deletingLastPathComponent }
        // Test files that import a module whose import-time code changed.
        var importers = Set<String>()
        for path in changedModules {
            guard let module = layouts.module(of: path) else { continue }
            for (test, _) in graph().tests(reaching: module) { importers.insert(test) }
        }
        let moduleChanged = Set(changedModules)
        // A changed test file: whole when its module-level code changed, else only the tests
        // whose functions changed (found below) and the test functions it gained.
        for file in recordedTests.intersection(drift.changedFiles) where blobs[file] != nil {
            guard let new = drift.fingerprints[file], let old = map.files[file], !moduleChanged.contains(file) else {
                drift.wholeFiles.insert(file)
                continue
            }
            let known = Set(old.functions.map(\.name))
            let added = new.functions.map(\.name).filter { name in
                !known.contains(name) && !name.contains("<locals>")
                    && (name.split(separator: ".").last ?? "").hasPrefix("test")
            }
            if !added.isEmpty {
                drift.newNodes[file] = added.map { file + "::" + $0.replacingOccurrences(of: ".", with: "::") }
            }
        }
        for (index, test) in map.tests.enumerated() {
            let file = test.file
            var stale = blobs[file] == nil || drift.wholeFiles.contains(file) || importers.contains(file)
                || conftests.contains { $0.isEmpty || file.hasPrefix($0 + "/") }
            if !stale {
                stale = test.ran.contains { pair in
                    pair.count == 2 && (moduleChanged.contains(pair[0]) || changedFunctions.contains(pair[0] + "\u{0}" + pair[1]))
                }
            }
            guard stale else { continue }
            drift.staleTests.insert(index)
            let node = ImpactMap.withoutParameters(test.node)
            if !(drift.staleNodes[file]?.contains(node) ?? false) { drift.staleNodes[file, default: []].append(node) }
        }
        return drift
    }

    /// A drift of nothing: the map is at `map.tree`.
    static func none(_ map: ImpactMap) -> MapDrift {
        MapDrift(
            tree: map.tree, commit: map.commit, blobs: map.blobs, changedFiles: [], fingerprints: [:], staleTests: [],
            staleNodes: [:], recordedTestFiles: Set(map.testFiles))
    }

    /// Whether a test file runs and is recorded whole: not in the map, or changed at module
    /// level since.
    func isUnknown(_ file: String) -> Bool {
        wholeFiles.contains(file) || !recordedTestFiles.contains(file)
    }

    /// The tests of a known test file to run again: stale entries and new test functions.
    func reselected(in file: String) -> [String] {
        (staleNodes[file] ?? []) + (newNodes[file] ?? []).filter { !(staleNodes[file] ?? []).contains($0) }
    }

    /// What a refresh records at base: test files that are not in the map or changed at
    /// module level since (whole), and the stale and new tests of the others (by node id),
    /// in `testFiles` order.
    func refreshTargets(testFiles: [String]) -> (files: [String], nodes: [String]) {
        var files: [String] = []
        var nodes: [String] = []
        for file in testFiles {
            if isUnknown(file) {
                files.append(file)
            } else {
                nodes += reselected(in: file)
            }
        }
        return (files, nodes)
    }
}

extension PytestSettings {
    /// The settings that decide what is collected, as one line.
    var fingerprint: String {
        [
            source ?? "-", pythonFiles.joined(separator: " "), testPaths.joined(separator: " "),
            noRecurseDirs.joined(separator: " "), pythonpath.joined(separator: " "), addopts.joined(separator: " "),
        ].joined(separator: "\n")
    }
}
