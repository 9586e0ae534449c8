import Foundation
import TOMLKit

/// Where a revision's code is imported from, worked out once per revision and put on
/// `sys.path` for every execution in the sandbox (tests, imports, the impact recorder),
/// whichever file a task is about: a change that touches only tests still finds the
/// package under `src/`.
///
/// The roots come from what the project declares and from its layout, in this order:
/// setuptools' `package-dir` and `packages.find` `where` (`pyproject.toml`, `setup.cfg`,
/// a literal `package_dir` in `setup.py`), pytest's `pythonpath` (from the first of
/// `pytest.ini`, `pyproject.toml`, `tox.ini`, `setup.cfg` that configures pytest, as pytest
/// picks it), a `src/` directory that holds Python code, and the directory above the
/// outermost regular package of each changed file. The revision's root is always first on
/// the path and is not listed.
struct ImportRoots {
    /// Relative directories, in the order they go on the path.
    private(set) var paths: [String] = []

    /// - Parameter pytest: the revision's pytest settings (their `pythonpath`).
    init(files: ProjectFiles, pytest: PytestSettings, changedFiles: [String] = []) {
        let pyproject = files.text("pyproject.toml").flatMap { try? TOMLTable(string: $0) }
        let setupCfg = files.text("setup.cfg").map(IniFile.init)
        // setuptools
        if let setuptools = pyproject?["tool"]?["setuptools"] {
            if let root = setuptools["package-dir"]?[""]?.string { add(root, files) }
            for entry in setuptools["packages"]?["find"]?["where"]?.array ?? [] {
                if let root = entry.string { add(root, files) }
            }
        }
        if let setupCfg {
            for line in (setupCfg.value("options", "package_dir") ?? "").split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 && parts[0].isEmpty { add(parts[1], files) }
            }
            if let root = setupCfg.value("options.packages.find", "where") { add(root, files) }
        }
        if let setupPy = files.text("setup.py"),
            let match = setupPy.firstMatch(of: /package_dir\s*=\s*\{\s*["']{2}\s*:\s*["']([^"']+)["']/)
        {
            add(String(match.1), files)
        }
        // pytest's pythonpath, from the configuration file pytest would use.
        for entry in pytest.pythonpath {
            add(entry, files)
        }
        // A src layout, declared or not.
        if files.paths.contains(where: { $0.hasPrefix("src/") && $0.hasSuffix(".py") }) { add("src", files) }
        for path in changedFiles {
            for root in ModuleLayout(path: path, files: files).importPaths { add(root, files) }
        }
    }

    private mutating func add(_ raw: String, _ files: ProjectFiles) {
        var path = raw.trimmingCharacters(in: .whitespaces)
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasSuffix("/") { path.removeLast() }
        guard !path.isEmpty, path != ".", !path.hasPrefix("/"), !path.split(separator: "/").contains(".."),
            !paths.contains(path), files.paths.contains(where: { $0.hasPrefix(path + "/") })
        else { return }
        paths.append(path)
    }

    /// The top-level names the revision's own code can be imported by: the packages (with
    /// or without `__init__.py`) and modules directly in the root and in each of `roots`
    /// (the ``paths`` every task of the revision carries).
    static func topLevelNames(roots: [String], files: ProjectFiles) -> Set<String> {
        var names = Set<String>()
        for root in [""] + roots {
            let prefix = root.isEmpty ? "" : root + "/"
            for path in files.paths where path.hasPrefix(prefix) && path.hasSuffix(".py") {
                let rest = path.dropFirst(prefix.count).split(separator: "/")
                guard let first = rest.first else { continue }
                let name = rest.count == 1 ? String(first.dropLast(3)) : String(first)
                if !IgnoredDirectories.contains(name) { names.insert(name) }
            }
        }
        return names
    }
}

/// An INI file as Python's `configparser` reads the parts review needs: `[section]`
/// headers, `key = value` or `key: value`, indented continuation lines, `#`/`;` comments.
struct IniFile {
    private var sections: [String: [String: String]] = [:]

    init(_ text: String) {
        var section = ""
        var key: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if let first = line.first, first == " " || first == "\t", let key {
                sections[section, default: [:]][key, default: ""] += "\n" + trimmed
                continue
            }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                section = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                sections[section, default: [:]] = sections[section] ?? [:]
                key = nil
                continue
            }
            guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let name = trimmed[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            sections[section, default: [:]][name] = trimmed[trimmed.index(after: separator)...]
                .trimmingCharacters(in: .whitespaces)
            key = name
        }
    }

    func hasSection(_ name: String) -> Bool { sections[name] != nil }

    /// A section's keys (lower case) and values.
    func section(_ name: String) -> [String: String]? { sections[name] }

    /// A value, continuation lines joined with newlines; `nil` when absent.
    func value(_ section: String, _ key: String) -> String? {
        sections[section]?[key.lowercased()]
    }
}
