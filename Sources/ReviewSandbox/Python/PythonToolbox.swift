import Foundation
import ReviewJSON
import Synchronization

/// Functions and classes of a Python file, with their line spans (1-based, inclusive).
public struct PythonSymbol: Hashable, Sendable, Codable {
    public var name: String
    public var kind: String
    public var line: Int
    public var endLine: Int

    /// Creates a symbol.
    public init(name: String, kind: String, line: Int, endLine: Int) {
        self.name = name
        self.kind = kind
        self.line = line
        self.endLine = endLine
    }
}

/// Runs Python inside a sandbox against one revision of a project.
///
/// The revision's files are mounted read-only at ``sourceRoot`` (the same path for every
/// revision, so tracebacks compare), first on `sys.path`, so the tests import the
/// revision under review and never an editable install of the worktree.
public final class PythonToolbox: Sendable {
    /// Where the revision appears inside the sandbox.
    public static let sourceRoot = "/review/src"
    /// Where the sandbox may write results for the host.
    public static let outputRoot = "/review/out"

    public let sandbox: any Sandbox
    public let interpreter: Interpreter
    public let limits: Limits
    private let pytestKnown = Mutex<Bool?>(nil)
    private let stdlib = Mutex<Set<String>>([])

    /// The top-level names of the interpreter's standard library (`sys.stdlib_module_names`),
    /// learnt from ``check(_:root:extraPaths:)``; empty before it ran.
    public var standardLibrary: Set<String> { stdlib.withLock { $0 } }

    /// Prepares a toolbox (nothing runs yet).
    public init(sandbox: any Sandbox, interpreter: Interpreter, limits: Limits) {
        self.sandbox = sandbox
        self.interpreter = interpreter
        self.limits = limits
    }

    /// Whether pytest can be found by the interpreter: learnt from ``check(_:root:extraPaths:)``,
    /// or asked once in the sandbox.
    ///
    /// - Throws: ``SandboxError/noUsableInterpreter(_:)`` when Python does not start.
    public func hasPytest() throws(SandboxError) -> Bool {
        if let known = pytestKnown.withLock({ $0 }) { return known }
        // Seen on disk in the interpreter's package directories: no probe, which would
        // cost an interpreter start in front of the first test session.
        if interpreter.hasPackageOnDisk("pytest") {
            pytestKnown.withLock { $0 = true }
            return true
        }
        let probe = try sandbox.run(
            SandboxCommand(
                arguments: [interpreter.path, "-c", PythonScripts.hasPytest], limits: Limits(wallSeconds: 60)))
        guard probe.exitCode == 0 else { throw unusable(probe) }
        let found = probe.stdout.hasPrefix("True")
        pytestKnown.withLock { $0 = found }
        return found
    }

    private func unusable(_ result: ExecutionResult) -> SandboxError {
        .noUsableInterpreter(
            "the Python interpreter \(interpreter.path) does not start in the sandbox (\(result.statusDescription)): "
                + (result.stderr.split(separator: "\n").last.map(String.init) ?? ""))
    }

    /// A file of the snapshot replaced by another host file (for bisecting hunks).
    public struct Override: Hashable, Sendable {
        /// Path relative to the project root.
        public var relativePath: String
        /// The host file with the replacement content.
        public var hostFile: String

        /// Creates an override.
        public init(relativePath: String, hostFile: String) {
            self.relativePath = relativePath
            self.hostFile = hostFile
        }
    }

    /// The command for `arguments` with the revision at `root` mounted.
    public func command(
        _ arguments: [String], root: String, overrides: [Override] = [], output: String? = nil,
        extraPaths: [String] = []
    ) -> SandboxCommand {
        var mounts = [Mount(source: root, target: Self.sourceRoot, access: .scratch)]
        for override in overrides {
            mounts.append(Mount(source: override.hostFile, target: Self.sourceRoot + "/" + override.relativePath))
        }
        if let output { mounts.append(Mount(source: output, target: Self.outputRoot, access: .writable)) }
        let paths = [Self.sourceRoot] + extraPaths.map { Self.sourceRoot + "/" + $0 }
        return SandboxCommand(
            arguments: arguments, workingDirectory: Self.sourceRoot, mounts: mounts,
            environment: ["PYTHONPATH": paths.joined(separator: ":")], limits: limits)
    }

    /// Byte-compiles one file (relative path) of the revision at `root`.
    public func compile(_ file: String, root: String, extraPaths: [String] = []) throws(SandboxError) -> ExecutionResult {
        let code = "import sys\nsource = open(sys.argv[1], 'rb').read()\ncompile(source, sys.argv[1], 'exec')"
        return try sandbox.run(command([interpreter.path, "-c", code, file], root: root, extraPaths: extraPaths))
    }

    /// Imports a module by dotted name in the revision at `root`.
    public func importModule(_ module: String, root: String, extraPaths: [String] = [], overrides: [Override] = [])
        throws(SandboxError) -> ExecutionResult
    {
        try sandbox.run(
            command(
                [interpreter.path, "-c", "import importlib, sys; importlib.import_module(sys.argv[1])", module],
                root: root, overrides: overrides, extraPaths: extraPaths))
    }

    /// Runs arbitrary Python source in the revision at `root` (the model's Execute step).
    public func runCode(_ source: String, root: String, extraPaths: [String] = []) throws(SandboxError)
        -> ExecutionResult
    {
        var command = command([interpreter.path, "-c", source], root: root, extraPaths: extraPaths)
        // One hash seed, so that code printing a set prints the same at base and at head.
        command.environment["PYTHONHASHSEED"] = "0"
        return try sandbox.run(command)
    }

    /// The result of checking one file in ``check(_:root:extraPaths:)``.
    public struct FileCheck: Sendable {
        /// Functions and classes (empty when the file does not parse).
        public var symbols: [PythonSymbol]
        /// The byte-compile result.
        public var compile: ExecutionResult
        /// The import result, when a module was given and it compiled.
        public var importResult: ExecutionResult?
    }

    /// Parses, byte-compiles and imports many files in one sandboxed interpreter.
    ///
    /// - Parameter items: `(relative path, module or nil)`.
    /// - Returns: results by path; files after a crash of the interpreter are missing (the
    ///   caller checks them one by one).
    public func check(_ items: [(path: String, module: String?)], root: String, extraPaths: [String]) throws(SandboxError)
        -> [String: FileCheck]
    {
        guard !items.isEmpty else { return [:] }
        let arguments = [interpreter.path, "-c", PythonScripts.check] + items.map { $0.path + "\t" + ($0.module ?? "") }
        let result = try sandbox.run(command(arguments, root: root, extraPaths: extraPaths))
        var checks: [String: FileCheck] = [:]
        let marker = "@@review-check@@"
        let lines = result.stdout.split(separator: "\n")
        guard let first = lines.first, first.hasPrefix("@@review-pytest@@") else {
            // The interpreter did not even start the script.
            throw unusable(result)
        }
        pytestKnown.withLock { $0 = first.hasSuffix("True") }
        let stdlibMarker = "@@review-stdlib@@"
        if let line = lines.first(where: { $0.hasPrefix(stdlibMarker) }),
            let names = try? JSONValue.parse(String(line.dropFirst(stdlibMarker.count))).arrayValue
        {
            let found = Set(names.compactMap(\.stringValue))
            stdlib.withLock { $0 = found }
        }
        for line in lines where line.hasPrefix(marker) {
            guard let entry = try? JSONValue.parse(String(line.dropFirst(marker.count))),
                let path = entry["path"]?.stringValue
            else { continue }
            let symbols = Self.symbols(entry["symbols"])
            func outcome(_ error: JSONValue?) -> ExecutionResult {
                let text = error?.stringValue
                return ExecutionResult(
                    exitCode: text == nil ? 0 : 1, signal: nil, timedOut: false, stdout: "", stderr: text ?? "",
                    outputTruncated: false, duration: 0)
            }
            let module = items.first { $0.path == path }?.module
            let compiled = outcome(entry["compile"])
            checks[path] = FileCheck(
                symbols: symbols, compile: compiled,
                importResult: module != nil && compiled.exitCode == 0 ? outcome(entry["import"]) : nil)
        }
        return checks
    }

    /// The symbols `symbols_of` wrote (see ``PythonScripts/symbolsFunction``).
    static func symbols(_ list: JSONValue?) -> [PythonSymbol] {
        (list?.arrayValue ?? []).compactMap { symbol -> PythonSymbol? in
            guard let name = symbol["name"]?.stringValue, let line = symbol["line"]?.intValue else { return nil }
            return PythonSymbol(
                name: name, kind: symbol["kind"]?.stringValue ?? "function", line: line,
                endLine: symbol["endLine"]?.intValue ?? line)
        }
    }

    /// Collects (without running) the tests under `paths` with pytest: exit 0 or 5 (nothing
    /// to collect) means the test setup (conftests, plugins, imports) works there.
    public func collect(_ paths: [String], root: String, extraPaths: [String] = []) throws(SandboxError) -> ExecutionResult {
        try sandbox.run(
            command([interpreter.path, "-m", "pytest"] + Self.pytestOptions + ["--collect-only", "-q"] + paths, root: root,
                extraPaths: extraPaths))
    }

    /// The command a collection shows.
    public static func collectCommand(_ paths: [String]) -> String {
        "python3 -m pytest --collect-only -q " + paths.map(ShellQuoting.quote).joined(separator: " ")
    }

    /// Runs tests (pytest node ids or files) of the revision at `root` and reads per-test results.
    ///
    /// A pytest session that cannot start (exit 2, 3 or 4 with no result: a broken
    /// `conftest.py`, a plugin or option error, a file that stops collection) is not the
    /// result: the tests are run again in smaller groups, first one per directory of the
    /// nearest `conftest.py`, then one per file, so a broken part costs only its own tests.
    /// Each file whose own session still cannot start is reported as that file's collection
    /// error, with pytest's message.
    ///
    /// With `stop`, the session ends after its first failing test not in ``SessionStop/known``
    /// (``TestRun/stopReport`` says so); the smaller groups run to their end.
    public func runTests(
        _ nodeIDs: [String], root: String, overrides: [Override] = [], extraPaths: [String] = [],
        stop: SessionStop? = nil
    ) throws(SandboxError) -> TestRun {
        let whole = try runSession(nodeIDs, root: root, overrides: overrides, extraPaths: extraPaths, stop: stop)
        guard whole.runner == "pytest", whole.sessionDidNotStart, !Self.brokenForAll(whole, files: nodeIDs.map(Self.file(of:)))
        else { return whole }
        let byFile = Dictionary(grouping: nodeIDs) { Self.file(of: $0) }
        let byConftest = Dictionary(grouping: nodeIDs) { Self.conftestDirectory(of: Self.file(of: $0), root: root) }
        var groups = byConftest.keys.sorted().map { byConftest[$0]! }
        if groups.count == 1 {
            // One conftest for all: only files can be told apart, and only a few are worth it.
            guard byFile.count > 1, byFile.count <= Self.maxSplitFiles else { return whole }
            groups = byFile.keys.sorted().map { byFile[$0]! }
        }
        var parts: [TestRun] = []
        for group in groups {
            let run = try runSession(group, root: root, overrides: overrides, extraPaths: extraPaths)
            let files = Set(group.map(Self.file(of:))).sorted()
            guard run.sessionDidNotStart, files.count > 1, files.count <= Self.maxSplitFiles else {
                parts.append(run.sessionDidNotStart ? run.brokenAsCollectionErrors(files: files) : run)
                continue
            }
            let inGroup = Dictionary(grouping: group) { Self.file(of: $0) }
            for file in files {
                let single = try runSession(inGroup[file]!, root: root, overrides: overrides, extraPaths: extraPaths)
                parts.append(single.sessionDidNotStart ? single.brokenAsCollectionErrors(files: [file]) : single)
            }
        }
        // Broken everywhere: the session as it was, for the caller to compare with base.
        guard parts.contains(where: { !$0.sessionDidNotStart && !$0.outcomes.isEmpty }) else { return whole }
        return TestRun(merging: parts, command: Self.testCommand(nodeIDs))
    }

    /// Whether a session that could not start broke in a `conftest.py` that every one of
    /// `files` loads (one in a directory above them all): smaller groups would break the same way.
    static func brokenForAll(_ run: TestRun, files: [String]) -> Bool {
        let text = run.execution.stdout + "\n" + run.execution.stderr
        guard let start = text.range(of: "while loading conftest '")?.upperBound,
            let end = text[start...].firstIndex(of: "'")
        else { return false }
        let path = String(text[start..<end])
        guard path.hasPrefix(sourceRoot + "/"), path.hasSuffix("/conftest.py") else { return false }
        let directory = String(path.dropFirst(sourceRoot.count + 1).dropLast("conftest.py".count))
        return files.allSatisfy { $0.hasPrefix(directory) }
    }

    /// The most files of one group rerun one at a time after their session could not start.
    static let maxSplitFiles = 20

    /// The file part of a node id.
    public static func file(of nodeID: String) -> String {
        String(nodeID.prefix { $0 != ":" })
    }

    /// The directory (relative, `""` for the root) of the `conftest.py` nearest to `file`.
    static func conftestDirectory(of file: String, root: String) -> String {
        var directory = (file as NSString).deletingLastPathComponent
        while !directory.isEmpty {
            if FileManager.default.fileExists(atPath: root + "/" + directory + "/conftest.py") { return directory }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return ""
    }

    /// One test session.
    private func runSession(
        _ nodeIDs: [String], root: String, overrides: [Override], extraPaths: [String], stop: SessionStop? = nil
    ) throws(SandboxError) -> TestRun {
        if try hasPytest() {
            return try withOutputDirectory { output throws(SandboxError) in
                let arguments =
                    [interpreter.path, "-m", "pytest"] + Self.installStop(stop, output: output) + Self.pytestOptions
                    + Self.junitOptions + nodeIDs
                var command = command(arguments, root: root, overrides: overrides, output: output, extraPaths: extraPaths)
                Self.enableStop(stop, in: &command)
                var run = try junitSession(command, output: output, shown: Self.testCommand(nodeIDs))
                run.stopReport = stop == nil ? nil : Self.stopReport(output: output)
                return run
            }
        }
        // Text files collected for their doctests need pytest; unittest loads modules only.
        let files = Array(Set(nodeIDs.map { String($0.split(separator: ":").first ?? "") })).filter { $0.hasSuffix(".py") }
            .sorted()
        let arguments = [interpreter.path, "-c", PythonScripts.unittestRunner] + files
        let execution = try sandbox.run(command(arguments, root: root, overrides: overrides, extraPaths: extraPaths))
        var outcomes: [TestOutcome] = []
        var errors: [String: String] = [:]
        if let marker = execution.stdout.range(of: "@@review-unittest@@\n"),
            let object = try? JSONValue.parse(String(execution.stdout[marker.upperBound...]))
        {
            for entry in object["outcomes"]?.arrayValue ?? [] {
                let file = entry["file"]?.stringValue ?? ""
                let nodeID = [file, entry["class"]?.stringValue ?? "", entry["name"]?.stringValue ?? ""].joined(
                    separator: "::")
                outcomes.append(
                    TestOutcome(
                        nodeID: nodeID, file: file, line: nil,
                        status: TestOutcome.Status(rawValue: entry["status"]?.stringValue ?? "") ?? .error,
                        message: entry["message"]?.stringValue ?? "", details: entry["details"]?.stringValue ?? "",
                        duration: entry["time"]?.doubleValue ?? 0))
            }
            for (file, error) in object["collectionErrors"]?.members ?? [] { errors[file] = error.stringValue ?? "" }
        }
        return TestRun(
            execution: execution, command: "python3 -m unittest " + files.joined(separator: " "), outcomes: outcomes,
            collectionErrors: errors, runner: "unittest")
    }

    /// Runs `tests` (files) of the revision at `root` under pytest with the impact
    /// recorder, and returns the recorded map as JSON (see ``PythonScripts/impactPlugin``).
    ///
    /// - Returns: the map and the run, or `nil` map when the recorder wrote none (pytest is
    ///   missing, the run was killed).
    public func recordImpact(_ tests: [String], root: String, extraPaths: [String] = [], wallSeconds: Double)
        throws(SandboxError) -> (map: Data?, execution: ExecutionResult)
    {
        try withOutputDirectory { output throws(SandboxError) in
            let arguments = [interpreter.path, "-m", "pytest"] + Self.installImpact(output: output) + Self.pytestOptions + tests
            var command = command(arguments, root: root, output: output, extraPaths: extraPaths)
            Self.enableImpact(in: &command)
            command.limits.wallSeconds = wallSeconds
            command.limits.cpuSeconds = Int(wallSeconds)
            let execution = try sandbox.run(command)
            return (Self.impactRecording(output: output), execution)
        }
    }

    /// Writes the impact plugin into `output`; returns the pytest arguments that load it.
    static func installImpact(output: String) -> [String] {
        try? Data(PythonScripts.impactPlugin.utf8).write(
            to: URL(fileURLWithPath: output + "/\(PythonScripts.impactModule).py"))
        return ["-p", PythonScripts.impactModule]
    }

    /// Points `command` at the impact plugin installed by ``installImpact(output:)``.
    static func enableImpact(in command: inout SandboxCommand) {
        addPluginPath(&command)
        command.environment["REVIEW_IMPACT_OUT"] = outputRoot + "/impact"
    }

    /// What the impact plugin wrote in `output`, one recording from every process's (the
    /// tests side by side, the files together); `nil` when none wrote. The status is the
    /// first that says pytest did not run (2, 3, 4), else the highest.
    static func impactRecording(output: String) -> Data? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? [])
            .filter { $0.hasPrefix("impact.") && $0.hasSuffix(".json") }.sorted()
        let parsed = names.compactMap { name in
            FileManager.default.contents(atPath: output + "/" + name).flatMap {
                try? JSONValue.parse(String(decoding: $0, as: UTF8.self))
            }
        }
        guard !parsed.isEmpty else { return nil }
        if parsed.count == 1 { return Data(parsed[0].rendered(pretty: false).utf8) }
        var tests: [JSONValue] = []
        var files: [(String, JSONValue)] = []
        var seenFiles = Set<String>()
        let statuses = parsed.map { $0["status"]?.intValue ?? 3 }
        for recording in parsed {
            tests += recording["tests"]?.arrayValue ?? []
            for (path, file) in recording["files"]?.members ?? [] where seenFiles.insert(path).inserted {
                files.append((path, file))
            }
        }
        let status = statuses.first { ![0, 1, 5].contains($0) } ?? statuses.max() ?? 3
        return Data(
            JSONValue.object([("status", .int(status)), ("tests", .array(tests)), ("files", .object(files))])
                .rendered(pretty: false).utf8)
    }

    /// A digest of each file's syntax tree (comments, blank lines and positions left out,
    /// docstrings kept), by path, and with `symbols` its functions and classes; a file that
    /// does not parse has neither.
    public func treeDigests(_ files: [String], root: String, symbols: Bool = false) throws(SandboxError)
        -> (digests: [String: String], symbols: [String: [PythonSymbol]])
    {
        var command = command([interpreter.path, "-c", PythonScripts.treeDigests] + files, root: root)
        if symbols { command.environment["REVIEW_SYMBOLS"] = "1" }
        let result = try sandbox.run(command)
        var digests: [String: String] = [:]
        var found: [String: [PythonSymbol]] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            digests[path] = String(parts[0])
            if symbols { found[path] = Self.symbols(try? JSONValue.parse(String(parts[1]))) }
        }
        return (digests, found)
    }

    /// Fingerprints of files (relative paths) of the revision at `root`, as JSON: path ->
    /// `{"module", "functions"}` or `null` for a file that does not parse (see
    /// `PythonScripts.fingerprintFunctions`); `nil` when the interpreter did not answer.
    public func fingerprints(_ files: [String], root: String) throws(SandboxError) -> Data? {
        guard !files.isEmpty else { return Data("{}".utf8) }
        return try withOutputDirectory { output throws(SandboxError) in
            var command = command([interpreter.path, "-c", PythonScripts.fingerprints] + files, root: root, output: output)
            command.environment["REVIEW_FINGERPRINTS_OUT"] = Self.outputRoot + "/fingerprints.json"
            _ = try sandbox.run(command)
            return FileManager.default.contents(atPath: output + "/fingerprints.json")
        }
    }

    /// Runs `body` with a fresh output directory (a host path; the sandbox sees it at
    /// ``outputRoot`` when a command mounts it), removed afterwards.
    func withOutputDirectory<T>(_ body: (String) throws(SandboxError) -> T) throws(SandboxError) -> T {
        let output = try sandbox.makeOutputDirectory()
        defer { try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent) }
        return try body(output)
    }

    /// The options that make pytest write its per-test results to `junit.xml` in the output directory.
    static let junitOptions = ["-o", "junit_family=xunit1", "--junitxml=\(outputRoot)/junit.xml"]

    /// Runs a pytest `command` given ``junitOptions`` and reads its per-test results from
    /// `output`; `shown` is the command as users see it.
    func junitSession(_ command: SandboxCommand, output: String, shown: String) throws(SandboxError) -> TestRun {
        let execution = try sandbox.run(command)
        let parsed = JUnitReport.parse(FileManager.default.contents(atPath: output + "/junit.xml") ?? Data())
        return TestRun(
            execution: execution, command: shown, outcomes: parsed.outcomes, collectionErrors: parsed.collectionErrors,
            runner: "pytest")
    }

    /// The pytest options of every session: quiet, node ids relative to the source root, and
    /// one broken file does not stop the others. The source is a scratch copy, so pytest's
    /// cache and plugins that write into the tree work as on a developer's machine.
    static let pytestOptions = [
        "-q", "--rootdir=\(sourceRoot)", "--continue-on-collection-errors",
    ]

    /// How the checks are shown to users (commands they can rerun in a checkout).
    public static func compileCommand(_ file: String) -> String { "python3 -m py_compile \(ShellQuoting.quote(file))" }

    /// See ``compileCommand(_:)``.
    public static func importCommand(_ module: String) -> String { "python3 -c 'import \(module)'" }

    /// See ``compileCommand(_:)``.
    public static func testCommand(_ nodeIDs: [String]) -> String {
        (["python3", "-m", "pytest"] + nodeIDs).map(ShellQuoting.quote).joined(separator: " ")
    }
}

