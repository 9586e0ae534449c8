import Foundation
import ReviewFindings
import TOMLKit

/// Where the sandboxed code runs.
public enum SandboxMode: String, Sendable, CaseIterable {
    /// bubblewrap isolation (the default).
    case bubblewrap
    /// No isolation: only when the user asks for it.
    case none
}

/// Whether tests are selected with an impact map (recorded at the base revision).
public enum ImpactMapMode: String, Sendable, CaseIterable {
    /// Use the map of the base tree; record it (one run of the suite at base) when missing.
    case auto
    /// Use a map when one was recorded before; never record one (the pre-push default).
    case existing
    /// Select by the import graph only.
    case off
}

/// Whether behaviour review calls the changed functions at base and at head.
public enum ProbeMode: String, Sendable, CaseIterable {
    /// Probe every changed function of a file with no error (the default).
    case auto
    /// No behaviour review (the pre-push default).
    case off
}

/// The lowest severity that makes `review` exit 1; reviewdog's level names.
public enum FailLevel: String, Sendable, CaseIterable {
    case error, warning, info, none

    /// Whether a finding of `severity` fails the run.
    public func fails(_ severity: Severity) -> Bool {
        switch self {
        case .none: return false
        case .error: return severity >= .error
        case .warning: return severity >= .warning
        case .info: return true
        }
    }
}

/// What the test session at head does once a failing test is proven a regression.
public enum OnRegression: String, Sendable, CaseIterable {
    /// Stop there: the error is proven, and the report says how many tests did not run
    /// (the default).
    case stop
    /// Run every selected test, for the full list of what fails.
    case runAll = "run-all"
}

/// Which revision a review brings the impact map to.
public enum MapFollows: String, Sendable, CaseIterable {
    /// The base: repeated reviews of one base (a pull request's pushes) find it current
    /// (the default).
    case base
    /// The head: where the next review starts when a branch moves commit by commit (CI on
    /// pushes, `review ci`'s default there). Beside the review, the entries its change
    /// made stale are recorded again at head, so the next review finds the map current.
    case head
}

/// Every setting of `review`, with where each value came from.
///
/// A key of `[tool.review]`, as files, `REVIEW_*` variables (upper case, `_`) and flags
/// (`--` prefix) spell it.
public enum ConfigKey: String, CaseIterable, Sendable {
    case include, exclude, tests, python, timeout
    case failOn = "fail-on"
    case maxFiles = "max-files"
    case maxTests = "max-tests"
    case jobs, sandbox
    case budgetSeconds = "budget-seconds"
    case cacheSizeMB = "cache-size-mb"
    case impactMap = "impact-map"
    case probe
    case probeSeconds = "probe-seconds"
    case onRegression = "on-regression"
    case mapFollows = "map-follows"
}

/// Read from `[tool.review]` in `pyproject.toml`, then `.review.toml` (top-level keys or a
/// `[tool.review]` table), then `REVIEW_*` environment variables, then flags: later wins.
public struct Configuration: Sendable {
    /// Only review paths matching one of these (empty: every Python file).
    public var include: [Glob] = []
    /// Never review paths matching one of these (on top of the built-in vendored/generated list).
    public var exclude: [Glob] = []
    /// Patterns of test files; `nil` (the default): the project's pytest configuration
    /// decides (`python_files`, `testpaths`, `norecursedirs`; pytest's own defaults
    /// `test_*.py`, `*_test.py` without one).
    public var tests: [Glob]?
    /// The Python interpreter for the sandbox.
    public var python: String?
    /// Wall-clock seconds per execution.
    public var timeout: Int = 120
    /// The lowest severity that fails the run.
    public var failOn: FailLevel = .error
    /// The most files reviewed in one run.
    public var maxFiles: Int = 50
    /// The most related test files per changed file.
    public var maxTests: Int = 50
    /// Tasks worked at the same time.
    public var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Seconds after which no new task starts (0: no budget); the files not reviewed are
    /// listed in the report.
    public var budgetSeconds: Int = 0
    /// The most megabytes the result cache in `<git dir>/review/cache` may hold before the
    /// least recently used entries go (0: no cache).
    public var cacheSizeMB: Int = 256
    /// Test selection by an impact map recorded at base.
    public var impactMap: ImpactMapMode = .auto
    /// Behaviour review: the changed functions called at base and at head.
    public var probe: ProbeMode = .auto
    /// Seconds per file the recording of calls for behaviour review may take.
    public var probeSeconds: Int = 20
    /// Whether the test session at head stops at the first proven regression.
    public var onRegression: OnRegression = .stop
    /// Which revision the impact map is brought to after a review.
    public var mapFollows: MapFollows = .base
    /// The sandbox.
    public var sandbox: SandboxMode = .bubblewrap
    /// `[tool.review.model]`: the model server (`url`, `name`, `fallback`, `constrained`, `timeout`).
    public var modelURL: String?
    public var modelName: String?
    public var modelFallback: Bool?
    public var modelConstrained: Bool?
    public var modelTimeout: Int?
    /// For each key set by something other than the defaults: where it came from.
    public var origins: [String: String] = [:]

    /// Paths never reviewed: vendored and generated code.
    public static let builtinExcludes = [
        Glob("**/vendor/**"), Glob("**/_vendor/**"), Glob("**/site-packages/**"), Glob("**/node_modules/**"),
        Glob("**/.venv/**"), Glob("**/venv/**"), Glob("*_pb2.py"), Glob("*_pb2_grpc.py"),
    ]

    /// The keys accepted in the config files, as they are spelled there.
    public static let keys = ConfigKey.allCases.map(\.rawValue)

    /// Whether a key was set by a file, the environment or a flag (not left at its default).
    public func isSet(_ key: ConfigKey) -> Bool { origins[key.rawValue] != nil }

    /// Creates the defaults.
    public init() {}

    /// Loads the configuration files of a repository and the environment.
    ///
    /// - Parameters:
    ///   - root: the repository's top directory (the worktree root), or `nil` when bare.
    ///   - explicitFile: a file given with `--config`, read instead of the defaults.
    /// - Throws: ``ReviewFailure`` (exit 2) naming the file, key and line of a bad value.
    public static func load(
        root: String?, explicitFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ReviewFailure) -> Configuration {
        var configuration = Configuration()
        if let explicitFile {
            guard FileManager.default.fileExists(atPath: explicitFile) else {
                throw ReviewFailure("config file '\(explicitFile)' does not exist", status: .usage)
            }
            try configuration.apply(file: explicitFile, pyproject: explicitFile.hasSuffix("pyproject.toml"))
        } else if let root {
            let pyproject = root + "/pyproject.toml"
            if FileManager.default.fileExists(atPath: pyproject) {
                try configuration.apply(file: pyproject, pyproject: true)
            }
            let own = root + "/.review.toml"
            if FileManager.default.fileExists(atPath: own) {
                try configuration.apply(file: own, pyproject: false)
            }
        }
        try configuration.applyEnvironment(environment)
        return configuration
    }

    /// Sets one key from text (flags and environment variables).
    ///
    /// - Parameter origin: shown by `review config` and in errors (`flag --jobs`, `REVIEW_JOBS`).
    public mutating func set(_ key: ConfigKey, text: String, origin: String) throws(ReviewFailure) {
        let value: ConfigValue
        switch key {
        case .include, .exclude, .tests:
            value = .strings(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        case .timeout, .maxFiles, .maxTests, .jobs, .budgetSeconds, .cacheSizeMB, .probeSeconds:
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ReviewFailure("\(origin): '\(key.rawValue)' must be a whole number, not '\(text)'", status: .usage)
            }
            value = .integer(number)
        case .python, .failOn, .sandbox, .impactMap, .probe, .onRegression, .mapFollows:
            value = .string(text)
        }
        try assign(key.rawValue, value, origin: origin)
    }

    enum ConfigValue {
        case string(String)
        case integer(Int)
        case strings([String])
        case other(String)
    }

    private mutating func applyEnvironment(_ environment: [String: String]) throws(ReviewFailure) {
        for key in ConfigKey.allCases {
            let name = "REVIEW_" + key.rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
            if let text = environment[name], !text.isEmpty {
                try set(key, text: text, origin: name)
            }
        }
    }

    private mutating func apply(file: String, pyproject: Bool) throws(ReviewFailure) {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ReviewFailure("cannot read \(file): \(error.localizedDescription)", status: .usage)
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ReviewFailure(
                "\(file):\(error.source.begin.line): invalid TOML: \(error.description)", status: .usage)
        } catch {
            throw ReviewFailure("\(file): invalid TOML: \(error)", status: .usage)
        }
        var section: TOMLTable? = table["tool"]?["review"]?.table
        var sectionHeader = "[tool.review]"
        if !pyproject && section == nil {
            section = table
            sectionHeader = ""
        }
        guard let section else { return }
        if let model = section["model"]?.table {
            let header = sectionHeader.isEmpty ? "[model]" : "[tool.review.model]"
            try applyModel(model, header: header, file: file, text: text)
        }
        for key in section.keys.sorted() where key != "model" || section["model"]?.table == nil {
            let line = Configuration.line(of: key, after: sectionHeader, in: text)
            let origin = "\(file):\(line)"
            guard Self.keys.contains(key) else {
                if key == "tool" && !pyproject { continue }
                throw ReviewFailure(
                    "\(origin): unknown key '\(key)' in \(sectionHeader.isEmpty ? "the config" : sectionHeader); known keys: \(Self.keys.joined(separator: ", "))",
                    status: .usage)
            }
            let node = section[key]!
            let value: ConfigValue
            if let string = node.string {
                value = .string(string)
            } else if let integer = node.int {
                value = .integer(integer)
            } else if let array = node.array {
                var strings: [String] = []
                for element in array {
                    guard let string = element.string else {
                        throw ReviewFailure("\(origin): '\(key)' must be a list of strings", status: .usage)
                    }
                    strings.append(string)
                }
                value = .strings(strings)
            } else {
                value = .other("\(node)")
            }
            try assign(key, value, origin: origin)
        }
    }

    /// Reads the model table: `url`, `name`, `fallback` ("builtin" or "none"), `constrained`, `timeout`.
    private mutating func applyModel(_ table: TOMLTable, header: String, file: String, text: String) throws(ReviewFailure) {
        for key in table.keys.sorted() {
            let origin = "\(file):\(Configuration.line(of: key, after: header, in: text))"
            let node = table[key]!
            func bad(_ expected: String) -> ReviewFailure {
                ReviewFailure("\(origin): 'model.\(key)' must be \(expected)", status: .usage)
            }
            switch key {
            case "url":
                guard let url = node.string, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw bad("an http:// or https:// URL")
                }
                modelURL = url
            case "name":
                guard let name = node.string, !name.isEmpty else { throw bad("a model name") }
                modelName = name
            case "fallback":
                guard let value = node.string, value == "builtin" || value == "none" else { throw bad("builtin or none") }
                modelFallback = value == "builtin"
            case "constrained":
                guard let value = node.bool else { throw bad("true or false") }
                modelConstrained = value
            case "timeout":
                guard let value = node.int, value > 0 else { throw bad("a positive number of seconds") }
                modelTimeout = value
            default:
                throw ReviewFailure(
                    "\(origin): unknown key '\(key)' in \(header); known keys: url, name, fallback, constrained, timeout",
                    status: .usage)
            }
            origins["model." + key] = origin
        }
    }

    private mutating func assign(_ key: String, _ value: ConfigValue, origin: String) throws(ReviewFailure) {
        func bad(_ expected: String) -> ReviewFailure {
            ReviewFailure("\(origin): '\(key)' must be \(expected)", status: .usage)
        }
        switch (key, value) {
        case ("include", .strings(let list)): include = list.map(Glob.init)
        case ("exclude", .strings(let list)): exclude = list.map(Glob.init)
        case ("tests", .strings(let list)): tests = list.map(Glob.init)
        case ("include", _), ("exclude", _), ("tests", _): throw bad("a list of path patterns")
        case ("python", .string(let text)) where !text.isEmpty: python = text
        case ("python", _): throw bad("the path of a Python interpreter")
        case ("timeout", .integer(let number)) where number > 0 && number <= 86400: timeout = number
        case ("timeout", _): throw bad("a number of seconds between 1 and 86400")
        case ("max-files", .integer(let number)) where number > 0: maxFiles = number
        case ("max-files", _): throw bad("a positive whole number")
        case ("max-tests", .integer(let number)) where number > 0: maxTests = number
        case ("max-tests", _): throw bad("a positive whole number")
        case ("jobs", .integer(let number)) where number > 0 && number <= 256: jobs = number
        case ("jobs", _): throw bad("a whole number between 1 and 256")
        case ("budget-seconds", .integer(let number)) where number >= 0: budgetSeconds = number
        case ("budget-seconds", _): throw bad("a number of seconds (0: no budget)")
        case ("cache-size-mb", .integer(let number)) where number >= 0: cacheSizeMB = number
        case ("cache-size-mb", _): throw bad("a number of megabytes (0: no cache)")
        case ("fail-on", .string(let text)):
            guard let level = FailLevel(rawValue: text) else { throw bad("one of error, warning, info, none") }
            failOn = level
        case ("fail-on", _): throw bad("one of error, warning, info, none")
        case ("sandbox", .string(let text)):
            guard let mode = SandboxMode(rawValue: text) else { throw bad("bubblewrap or none") }
            sandbox = mode
        case ("sandbox", _): throw bad("bubblewrap or none")
        case ("impact-map", .string(let text)):
            guard let mode = ImpactMapMode(rawValue: text) else { throw bad("one of auto, existing, off") }
            impactMap = mode
        case ("impact-map", _): throw bad("one of auto, existing, off")
        case ("probe", .string(let text)):
            guard let mode = ProbeMode(rawValue: text) else { throw bad("auto or off") }
            probe = mode
        case ("probe", _): throw bad("auto or off")
        case ("probe-seconds", .integer(let number)) where number > 0 && number <= 3600: probeSeconds = number
        case ("probe-seconds", _): throw bad("a number of seconds between 1 and 3600")
        case ("on-regression", .string(let text)):
            guard let mode = OnRegression(rawValue: text) else { throw bad("stop or run-all") }
            onRegression = mode
        case ("on-regression", _): throw bad("stop or run-all")
        case ("map-follows", .string(let text)):
            guard let mode = MapFollows(rawValue: text) else { throw bad("base or head") }
            mapFollows = mode
        case ("map-follows", _): throw bad("base or head")
        default:
            throw ReviewFailure("\(origin): unknown key '\(key)'", status: .usage)
        }
        origins[key] = origin
    }

    /// The 1-based line where `key = ...` appears in the section, for error messages.
    static func line(of key: String, after header: String, in text: String) -> Int {
        var inSection = header.isEmpty
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                inSection = header.isEmpty ? inSection : trimmed.replacingOccurrences(of: " ", with: "") == header
                continue
            }
            if inSection, trimmed.hasPrefix(key) {
                let rest = trimmed.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("=") { return index + 1 }
            }
            if inSection, trimmed.hasPrefix("\"\(key)\"") { return index + 1 }
        }
        return 1
    }

    /// The effective settings, one `key = value  # origin` line each, in TOML syntax.
    public func describe() -> String {
        func list(_ globs: [Glob]) -> String { "[" + globs.map { "\"\($0.pattern)\"" }.joined(separator: ", ") + "]" }
        let values: [(String, String)] = [
            ("include", list(include)), ("exclude", list(exclude)), ("tests", list(tests ?? [])),
            ("python", "\"\(python ?? "")\""),
            ("timeout", String(timeout)), ("fail-on", "\"\(failOn.rawValue)\""), ("max-files", String(maxFiles)),
            ("max-tests", String(maxTests)), ("jobs", String(jobs)), ("sandbox", "\"\(sandbox.rawValue)\""),
            ("budget-seconds", String(budgetSeconds)), ("cache-size-mb", String(cacheSizeMB)),
            ("impact-map", "\"\(impactMap.rawValue)\""), ("probe", "\"\(probe.rawValue)\""),
            ("probe-seconds", String(probeSeconds)), ("on-regression", "\"\(onRegression.rawValue)\""),
            ("map-follows", "\"\(mapFollows.rawValue)\""),
        ]
        var lines = values.map { key, value in
            var origin = origins[key] ?? "default"
            if key == "python" && python == nil { origin += " (automatic: the project's .venv, python3, /usr/bin/python3)" }
            if key == "tests" && tests == nil { origin += " (the project's pytest configuration: python_files, testpaths, norecursedirs)" }
            return "\(key) = \(value)  # \(origin)"
        }
        let model: [(String, String?)] = [
            ("url", modelURL.map { "\"\($0)\"" }), ("name", modelName.map { "\"\($0)\"" }),
            ("fallback", modelFallback.map { $0 ? "\"builtin\"" : "\"none\"" }),
            ("constrained", modelConstrained.map { String($0) }), ("timeout", modelTimeout.map { String($0) }),
        ]
        if model.contains(where: { $0.1 != nil }) {
            lines.append("\n[tool.review.model]")
            for (key, value) in model {
                if let value { lines.append("\(key) = \(value)  # \(origins["model." + key] ?? "default")") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether a path is to be reviewed, and if not, why.
    public func exclusionReason(for path: String) -> String? {
        if let glob = exclude.first(where: { $0.matches(path) }) { return "excluded by '\(glob)'" }
        if let glob = Self.builtinExcludes.first(where: { $0.matches(path) }) {
            return "vendored or generated ('\(glob)')"
        }
        if !include.isEmpty && !include.contains(where: { $0.matches(path) }) { return "not in 'include'" }
        return nil
    }

    /// The settings that can change what a review finds, as one line of text for cache keys.
    /// Settings that only change how a run is scheduled or reported (jobs, budget, fail-on,
    /// the cache size) are left out, so changing them keeps the cache.
    public var resultFingerprint: String {
        let globs = [include, exclude, tests ?? []].map { $0.map(\.pattern).joined(separator: "\u{1}") }
        return [
            "include=" + globs[0], "exclude=" + globs[1], "tests=" + globs[2], "python=" + (python ?? ""),
            "timeout=\(timeout)", "max-files=\(maxFiles)", "max-tests=\(maxTests)", "sandbox=\(sandbox.rawValue)",
            "probe=\(probe.rawValue)", "probe-seconds=\(probeSeconds)", "on-regression=\(onRegression.rawValue)",
        ].joined(separator: "\u{0}")
    }
}
