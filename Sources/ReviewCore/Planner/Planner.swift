import Foundation
import ReviewAgent
import ReviewFindings
import ReviewGit
import ReviewSandbox

/// Turns a change set into review tasks: one per changed Python file, with its module,
/// its hunks and its related tests.
public struct Planner {
    public let configuration: Configuration

    /// Creates a planner.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The Python files of a change set worth reviewing, looking at no file content except
    /// shebangs (which need `head`; without it only `.py` files count).
    public func candidates(_ changeSet: ChangeSet, head: ProjectFiles?) -> (files: [FileChange], skipped: [SkippedFile]) {
        var files: [FileChange] = []
        var skipped: [SkippedFile] = []
        for file in changeSet.files {
            let name = file.path.description
            guard let path = file.path.string else {
                if name.hasSuffix(".py\"") { skipped.append(SkippedFile(path: name, reason: "path is not UTF-8")) }
                continue
            }
            let isPython = path.hasSuffix(".py") || (head.map { Planner.hasPythonShebang(path, in: $0) } ?? false)
            if path.hasSuffix(".pyi") {
                skipped.append(SkippedFile(path: path, reason: "type stub, nothing to run"))
                continue
            }
            guard isPython else { continue }
            if file.status == .deleted {
                skipped.append(SkippedFile(path: path, reason: "deleted"))
                continue
            }
            if file.isBinary {
                skipped.append(SkippedFile(path: path, reason: "binary"))
                continue
            }
            if file.newMode == .symlink || file.newMode == .submodule {
                skipped.append(SkippedFile(path: path, reason: file.newMode == .symlink ? "symlink" : "submodule"))
                continue
            }
            if let reason = configuration.exclusionReason(for: path) {
                skipped.append(SkippedFile(path: path, reason: reason))
                continue
            }
            files.append(file)
        }
        return (files, skipped)
    }

    /// Whether a file starts with a Python shebang.
    static func hasPythonShebang(_ path: String, in files: ProjectFiles) -> Bool {
        let head = files.prefix(path, count: 128)
        guard head.starts(with: Array("#!".utf8)) else { return false }
        let line = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self)
        return line.contains("python")
    }

    /// Builds the tasks.
    ///
    /// - Parameters:
    ///   - files: the candidates from ``candidates(_:head:)``.
    ///   - changeSet: the whole change set (to know which tests changed).
    ///   - head: the head revision's files.
    public func tasks(for files: [FileChange], changeSet: ChangeSet, head: ProjectFiles) -> (
        tasks: [ReviewTask], skipped: [SkippedFile]
    ) {
        var skipped: [SkippedFile] = []
        var selected = files
        if selected.count > configuration.maxFiles {
            for file in selected[configuration.maxFiles...] {
                skipped.append(SkippedFile.budget(file.path.description, "max-files (\(configuration.maxFiles))"))
            }
            selected = Array(selected.prefix(configuration.maxFiles))
        }
        let pytest = PytestSettings(files: head)
        let testFiles = TestIndex(files: head, configuration: configuration, pytest: pytest)
        let changedTests = Set(
            changeSet.files.compactMap { $0.status == .deleted ? nil : $0.path.string }.filter(testFiles.isTestFile))
        var tasks: [ReviewTask] = []
        var testCounts: [String: Int] = [:]
        // One list of import roots for the revision, the same for every task's executions.
        let roots = ImportRoots(files: head, pytest: pytest, changedFiles: selected.compactMap(\.path.string)).paths
        // The graph reads every Python file: only when there are tasks and tests to connect.
        let graph = selected.isEmpty || testFiles.files.isEmpty ? nil : ImportGraph(files: head, tests: testFiles.files)
        for file in selected {
            guard let path = file.path.string else { continue }
            let basePath = file.status == .added ? nil : file.oldPath?.string
            let isTest = testFiles.isTestFile(path)
            let layout = ModuleLayout(path: path, files: head)
            var module = layout.module
            let reaching = layout.module.flatMap { graph?.tests(reaching: $0) } ?? []
            if isTest || Planner.isScript(path, in: head, imported: !reaching.isEmpty)
                || Planner.isLoose(path, in: head, roots: roots)
            {
                module = nil
            }
            let baseModule = basePath.flatMap { ModuleLayout(path: $0, files: head).module }
            var tests: [String] = []
            var reasons: [String: String] = [:]
            func add(_ test: String, _ reason: String) {
                if reasons[test] == nil {
                    tests.append(test)
                    reasons[test] = reason
                }
            }
            if isTest {
                add(path, "the changed test file")
            } else {
                if module != nil && testFiles.hasDoctests(path, in: head) { add(path, "its doctests (--doctest-modules)") }
                let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                for (test, _) in reaching where changedTests.contains(test) { add(test, "changed in the range") }
                for test in testFiles.named(after: name) { add(test, "named after the module") }
                // The most relevant first: direct importers, then through other modules,
                // then through a conftest.py.
                for (test, reason) in reaching.sorted(by: { Self.relevance($0.reason) < Self.relevance($1.reason) }) {
                    add(test, reason)
                }
            }
            let kept = Self.bound(tests, maxFiles: configuration.maxTests) { test in
                if let known = testCounts[test] { return known }
                let count = Self.estimatedTests(in: head.text(test) ?? "")
                testCounts[test] = count
                return count
            }
            if kept.count < tests.count {
                let why = kept.count < configuration.maxTests
                    ? "about \(Self.maxTestCases) tests per changed file, the most relevant first"
                    : "max-tests \(configuration.maxTests)"
                skipped.append(
                    SkippedFile.budget(path, "\(tests.count - kept.count) of \(tests.count) related test files not run (\(why))"))
                tests = kept
            }
            let hunks = file.hunks.map {
                ChangedRange(oldStart: $0.oldStart, oldLines: $0.oldLines, newStart: $0.newStart, newLines: $0.newLines)
            }
            var task = ReviewTask(
                path: path, basePath: basePath, hunks: hunks, module: module,
                baseModule: module == nil ? nil : baseModule, importPaths: roots, isTestFile: isTest,
                tests: tests, testReasons: reasons, changedTests: changedTests)
            task.onlyChange = changeSet.files.count == 1 && file.status == .modified && file.oldMode == file.newMode
            tasks.append(task)
        }
        return (tasks, skipped)
    }

    /// What pytest collects in a revision, as review sees it: the test modules, and the
    /// other modules collected for their doctests (`--doctest-modules`).
    public func testFiles(in files: ProjectFiles) -> (tests: [String], doctestModules: [String]) {
        let index = TestIndex(files: files, configuration: configuration, pytest: PytestSettings(files: files))
        let modules = files.paths.filter { $0.hasSuffix(".py") && !index.isTestFile($0) && index.hasDoctests($0, in: files) }
        return (index.files, modules)
    }

    /// The most tests (estimated from the files' text) selected for one changed file by the
    /// import graph: a change to a module everything imports would otherwise select the
    /// whole suite. Measured: a 2,282-test selection took 176 s on a real project.
    static let maxTestCases = 500

    /// The order of graph reasons: direct importers, then through modules, then conftest.
    static func relevance(_ reason: String) -> Int {
        if reason == "imports the module" { return 0 }
        return reason.hasPrefix("imports it through") ? 1 : 2
    }

    /// The leading test files within `maxFiles` files and about ``maxTestCases`` tests
    /// (always at least one file).
    static func bound(_ tests: [String], maxFiles: Int, count: (String) -> Int) -> [String] {
        var kept: [String] = []
        var total = 0
        for test in tests.prefix(maxFiles) {
            let tests = count(test)
            if !kept.isEmpty && total + tests > maxTestCases { break }
            kept.append(test)
            total += tests
        }
        return kept
    }

    /// Test functions defined in a file's text (`def test...`, at any indentation):
    /// parametrized cases count once, so it is an estimate.
    static func estimatedTests(in text: String) -> Int {
        var count = 0
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("def test") || trimmed.hasPrefix("async def test") { count += 1 }
        }
        return count
    }

    /// A file in a directory that is no package and no import root (`docs/conf.py`,
    /// `examples/demo.py`, `tests/typing/check.py`): nothing imports it by a module name,
    /// and importing it from the root can fail for reasons that are not the change's (it
    /// reads files relative to its own directory), so it is compiled, not imported.
    static func isLoose(_ path: String, in files: ProjectFiles, roots: [String]) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty, !roots.contains(directory) else { return false }
        if files.exists(directory + "/__init__.py") { return false }
        // Under an import root, a directory without __init__.py is a namespace package.
        return !roots.contains { directory.hasPrefix($0 + "/") }
    }

    /// Scripts (`setup.py`, `__main__.py`, a file without `.py`, a shebang file outside a
    /// package that no test imports) are compiled but never imported. A module of a
    /// package that also has a shebang (`urlextract/urlextract_core.py`) is a module: its
    /// package imports it; so is a top-level one that tests import (`sqlitedict.py`).
    static func isScript(_ path: String, in files: ProjectFiles, imported: Bool) -> Bool {
        let name = (path as NSString).lastPathComponent
        if name == "setup.py" || name == "__main__.py" || !name.hasSuffix(".py") { return true }
        let directory = (path as NSString).deletingLastPathComponent
        if imported || (!directory.isEmpty && files.exists(directory + "/__init__.py")) { return false }
        return hasPythonShebang(path, in: files)
    }

    /// Fills in the functions and classes each task's hunks touch.
    public static func attachSymbols(_ tasks: inout [ReviewTask], symbols: [String: [PythonSymbol]]) {
        for index in tasks.indices {
            guard let fileSymbols = symbols[tasks[index].path] else { continue }
            let ranges = tasks[index].hunks.map(\.headLines)
            tasks[index].changedSymbols = fileSymbols.filter { symbol in
                ranges.contains { $0.overlaps(symbol.line...max(symbol.line, symbol.endLine)) }
            }
        }
    }
}

/// How a file maps to an importable module.
struct ModuleLayout {
    /// The dotted module name, or `nil` when a path segment is not an identifier.
    var module: String?
    /// Directories (relative) to put on `sys.path` besides the root.
    var importPaths: [String]

    init(path: String, files: ProjectFiles) {
        self.init(path: path, isPackage: { files.exists($0 + "/__init__.py") })
    }

    /// - Parameter isPackage: whether a directory (relative) holds an `__init__.py`.
    init(path: String, isPackage: (String) -> Bool) {
        var components = path.split(separator: "/").map(String.init)
        let fileName = components.removeLast()
        let stem = fileName.hasSuffix(".py") ? String(fileName.dropLast(3)) : fileName
        // Walk up while the directory is a regular package: the first directory that is not
        // is the import root (`src` in a src layout, the repository root otherwise).
        var packageDepth = 0
        while packageDepth < components.count {
            let directory = components[0..<(components.count - packageDepth)].joined(separator: "/")
            guard isPackage(directory) else { break }
            packageDepth += 1
        }
        var moduleParts: [String]
        if packageDepth > 0 && packageDepth < components.count {
            let rootParts = components[0..<(components.count - packageDepth)]
            importPaths = [rootParts.joined(separator: "/")]
            moduleParts = Array(components[(components.count - packageDepth)...])
        } else {
            // At the root, or namespace packages: dotted from the repository root.
            importPaths = []
            moduleParts = components
        }
        if stem != "__init__" { moduleParts.append(stem) }
        let valid = !moduleParts.isEmpty && moduleParts.allSatisfy(ModuleLayout.isIdentifier)
        module = valid ? moduleParts.joined(separator: ".") : nil
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isXIDStart else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
    }
}

/// The test files of a revision: the files `pytest` run at the root without arguments
/// collects as test modules (``PytestSettings``: `python_files` within `testpaths`, never in
/// a `norecursedirs` directory or an `--ignore`d path), or the files matching
/// `[tool.review] tests` when the project says so. A project with no pytest configuration
/// and no `test_*.py`/`*_test.py` file gets unittest's discovery pattern (`test*.py`).
struct TestIndex {
    private(set) var files: [String] = []
    let pytest: PytestSettings
    private var patterns: [Glob]
    private let declared: Bool
    /// `norecursedirs` and the `--ignore`s of `addopts`, as globs once for every path.
    private let noRecurse: [Glob]
    private let ignored: [Glob]
    private let doctestGlobs: [Glob]

    init(files project: ProjectFiles, configuration: Configuration, pytest: PytestSettings) {
        self.pytest = pytest
        noRecurse = pytest.noRecurseDirs.map(Glob.init)
        ignored = pytest.ignored
        doctestGlobs = pytest.doctestGlobs.map(Glob.init)
        declared = configuration.tests != nil
        patterns = configuration.tests ?? pytest.pythonFiles.map(Glob.init)
        files = scan(project, configuration)
        if files.isEmpty && !declared && pytest.source == nil {
            patterns = [Glob("test*.py")]
            files = scan(project, configuration)
        }
    }

    private func scan(_ project: ProjectFiles, _ configuration: Configuration) -> [String] {
        project.paths.filter {
            ($0.hasSuffix(".py") ? isTestFile($0) : isDoctestText($0)) && configuration.exclusionReason(for: $0) == nil
        }
    }

    /// Whether pytest collects a text file for its doctests (`--doctest-glob`, by default
    /// `test*.txt`): its `>>>` examples are tests, and their imports reach modules.
    func isDoctestText(_ path: String) -> Bool {
        guard !declared, !path.hasSuffix(".py") else { return false }
        let name = String(path.split(separator: "/").last ?? "")
        return doctestGlobs.contains { $0.matches(name) } && isCollected(path)
    }

    /// Whether a path (which need not exist) is where pytest collects a test module.
    func isTestFile(_ path: String) -> Bool {
        guard patterns.contains(where: { $0.matches(path) }) else { return false }
        return isCollected(path)
    }

    /// Whether collection reaches a path: inside `testpaths` (when set), through no directory
    /// that review or `norecursedirs` skips, not `--ignore`d. With `[tool.review] tests`
    /// only review's own skipped directories count.
    func isCollected(_ path: String) -> Bool {
        let directories = path.split(separator: "/").dropLast()
        if directories.contains(where: IgnoredDirectories.contains) { return false }
        if declared { return true }
        if !pytest.testPaths.isEmpty {
            let inside = pytest.testPaths.contains { entry in
                let entry = entry.hasPrefix("./") ? String(entry.dropFirst(2)) : entry
                let trimmed = entry.hasSuffix("/") ? String(entry.dropLast()) : entry
                if trimmed.isEmpty || trimmed == "." { return true }
                if path == trimmed || path.hasPrefix(trimmed + "/") { return true }
                // A glob (pytest 7+): any leading directories of the path that match it.
                guard trimmed.contains(where: { "*?[".contains($0) }) else { return false }
                let glob = Glob(trimmed.contains("/") ? trimmed : "/" + trimmed)
                let parts = path.split(separator: "/")
                return (1...parts.count).contains { glob.matches(parts.prefix($0).joined(separator: "/")) }
            }
            if !inside { return false }
        }
        if directories.contains(where: { name in noRecurse.contains { $0.matches(String(name)) } }) { return false }
        return !ignored.contains { glob in
            glob.matches(path) || directories.indices.contains { glob.matches(directories[...$0].joined(separator: "/")) }
        }
    }

    /// Whether a module is collected for its doctests: `--doctest-modules` is on, pytest
    /// reaches it and its text holds an example.
    func hasDoctests(_ path: String, in project: ProjectFiles) -> Bool {
        guard pytest.doctestModules, isCollected(path) else { return false }
        let name = (path as NSString).lastPathComponent
        guard name != "setup.py", name != "conftest.py", name != "__main__.py" else { return false }
        return project.text(path)?.contains(">>> ") ?? false
    }

    /// Test files named `test_<name>.py` or `<name>_test.py`.
    func named(after name: String) -> [String] {
        files.filter {
            let file = ($0 as NSString).lastPathComponent
            return file == "test_\(name).py" || file == "\(name)_test.py"
        }
    }
}
