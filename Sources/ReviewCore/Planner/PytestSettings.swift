import Foundation
import TOMLKit

/// What a project's pytest configuration says about where its tests are, read as pytest
/// reads it: from the first of `pytest.ini` (always, even without a `[pytest]` section),
/// `.pytest.ini`, `pyproject.toml` with `[tool.pytest.ini_options]`, `tox.ini` with
/// `[pytest]`, `setup.cfg` with `[tool:pytest]`, at the repository root (review runs pytest
/// with the root as `rootdir`). A project without one gets pytest's defaults.
public struct PytestSettings: Sendable, Equatable {
    /// The file the settings come from, or `nil` for pytest's defaults.
    public var source: String?
    /// `python_files`: file name patterns of test modules.
    public var pythonFiles: [String] = PytestSettings.defaultPythonFiles
    /// `testpaths`: where `pytest` without arguments looks (empty: the root).
    public var testPaths: [String] = []
    /// `norecursedirs`: directory name patterns collection never enters.
    public var noRecurseDirs: [String] = PytestSettings.defaultNoRecurseDirs
    /// `pythonpath`: directories pytest puts on `sys.path`.
    public var pythonpath: [String] = []
    /// `addopts`, split into words as a shell would.
    public var addopts: [String] = []

    public static let defaultPythonFiles = ["test_*.py", "*_test.py"]
    public static let defaultNoRecurseDirs = ["*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"]

    /// Whether modules are also collected for their doctests (`--doctest-modules` in
    /// `addopts`): then a module with doctest examples is its own test.
    public var doctestModules: Bool { addopts.contains("--doctest-modules") }

    /// File name patterns of text files pytest collects as doctests: the `--doctest-glob`s
    /// of `addopts`, else pytest's default `test*.txt`.
    public var doctestGlobs: [String] {
        let globs = values(of: ["--doctest-glob"])
        return globs.isEmpty ? ["test*.txt"] : globs
    }

    /// Paths that `--ignore`/`--ignore-glob` in `addopts` leave out of collection.
    public var ignored: [Glob] {
        values(of: ["--ignore", "--ignore-glob"]).map(Glob.init)
    }

    /// The values `addopts` gives these options, in order: `--option=value` or `--option value`.
    private func values(of options: Set<String>) -> [String] {
        var found: [String] = []
        var index = addopts.startIndex
        while index < addopts.endIndex {
            let word = addopts[index]
            if let equals = word.firstIndex(of: "="), options.contains(String(word[..<equals])) {
                found.append(String(word[word.index(after: equals)...]))
            } else if options.contains(word), index + 1 < addopts.endIndex {
                found.append(addopts[index + 1])
                index += 1
            }
            index += 1
        }
        return found
    }

    /// pytest's defaults.
    public init() {}

    /// The settings of the revision `files`.
    init(files: ProjectFiles) {
        if let text = files.text("pytest.ini") ?? files.text(".pytest.ini") {
            source = files.exists("pytest.ini") ? "pytest.ini" : ".pytest.ini"
            read(IniFile(text).section("pytest") ?? [:])
        } else if let text = files.text("pyproject.toml"), let table = try? TOMLTable(string: text),
            let options = table["tool"]?["pytest"]?["ini_options"]?.table
        {
            source = "pyproject.toml"
            var values: [String: [String]] = [:]
            for (key, value) in options {
                if let list = value.array {
                    values[key] = list.compactMap(\.string)
                } else if let string = value.string {
                    values[key] = key == "addopts" ? Self.shellWords(string) : Self.words(string)
                }
            }
            apply(values)
        } else if let tox = files.text("tox.ini").map(IniFile.init), let section = tox.section("pytest") {
            source = "tox.ini"
            read(section)
        } else if let setupCfg = files.text("setup.cfg").map(IniFile.init), let section = setupCfg.section("tool:pytest") {
            source = "setup.cfg"
            read(section)
        }
    }

    /// An INI section: lists are whitespace-separated, `addopts` is split as a shell would.
    private mutating func read(_ section: [String: String]) {
        var values: [String: [String]] = [:]
        for (key, value) in section {
            values[key] = key == "addopts" ? Self.shellWords(value) : Self.words(value)
        }
        apply(values)
    }

    private mutating func apply(_ values: [String: [String]]) {
        if let list = values["python_files"], !list.isEmpty { pythonFiles = list }
        if let list = values["testpaths"] { testPaths = list }
        if let list = values["norecursedirs"] { noRecurseDirs = list }
        if let list = values["pythonpath"] { pythonpath = list }
        if let list = values["addopts"] { addopts = list }
    }

    private static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    /// Words as `shlex.split` makes them: whitespace separates, quotes group, `\` escapes.
    static func shellWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
