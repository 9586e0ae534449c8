import Foundation
import ReviewAgent
import ReviewFindings
import TOMLKit

/// The packages a revision's metadata declares: `pyproject.toml` (`[project]` dependencies
/// and optional dependencies, `[dependency-groups]`, Poetry's tables), `setup.cfg`
/// (`install_requires`, `extras_require`, `tests_require`), literal lists in `setup.py`, and
/// `requirements*.txt` files. Names are compared normalized (PEP 503: lower case, runs of
/// `-`, `_`, `.` as one `-`).
struct DeclaredDependencies: Sendable {
    private(set) var names = Set<String>()
    /// The files that declared something, for messages.
    private(set) var sources: [String] = []

    init(files: ProjectFiles) {
        if let text = files.text("pyproject.toml"), let table = try? TOMLTable(string: text) {
            var found: [String] = []
            for entry in table["project"]?["dependencies"]?.array ?? [] { entry.string.map { found.append($0) } }
            for table in [table["project"]?["optional-dependencies"]?.table, table["dependency-groups"]?.table] {
                for key in table?.keys ?? [] {
                    for entry in table?[key]?.array ?? [] { entry.string.map { found.append($0) } }
                }
            }
            if let poetry = table["tool"]?["poetry"] {
                found += poetry["dependencies"]?.table?.keys ?? []
                found += poetry["dev-dependencies"]?.table?.keys ?? []
                for group in poetry["group"]?.table?.keys ?? [] {
                    found += poetry["group"]?[group]?["dependencies"]?.table?.keys ?? []
                }
            }
            add(found, from: "pyproject.toml")
        }
        if let setupCfg = files.text("setup.cfg").map(IniFile.init) {
            var found: [String] = []
            for key in ["install_requires", "tests_require"] {
                found += (setupCfg.value("options", key) ?? "").split(whereSeparator: \.isNewline).map(String.init)
            }
            for line in setupCfg.section("options.extras_require").map({ Array($0.values) }) ?? [] {
                found += line.split(whereSeparator: \.isNewline).map(String.init)
            }
            add(found, from: "setup.cfg")
        }
        if let setupPy = files.text("setup.py") {
            var found: [String] = []
            for match in setupPy.matches(of: /(?s)(install_requires|tests_require|extras_require)\s*=\s*[\[{](.*?)[\]}]\s*[,)]/) {
                found += match.2.matches(of: /["']([A-Za-z0-9][A-Za-z0-9._-]*)/).map { String($0.1) }
            }
            add(found, from: "setup.py")
        }
        for path in files.paths where Self.isRequirementsFile(path) {
            add((files.text(path) ?? "").split(whereSeparator: \.isNewline).map(String.init), from: path)
        }
    }

    /// `requirements.txt`, `requirements-dev.txt`, `requirements/test.txt`, `dev-requirements.in`...
    static func isRequirementsFile(_ path: String) -> Bool {
        let components = path.split(separator: "/")
        guard components.count <= 2, let name = components.last, name.hasSuffix(".txt") || name.hasSuffix(".in") else {
            return false
        }
        return name.contains("requirements") || (components.count == 2 && components[0] == "requirements")
    }

    private mutating func add(_ requirements: [String], from source: String) {
        var any = false
        for requirement in requirements {
            let text = requirement.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, !text.hasPrefix("#"), !text.hasPrefix("-") else { continue }
            guard let match = text.prefixMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]*/) else { continue }
            names.insert(Self.normalize(String(match.0)))
            any = true
        }
        if any && !sources.contains(source) { sources.append(source) }
    }

    /// PEP 503 normalization.
    static func normalize(_ name: String) -> String {
        name.lowercased().replacing(/[-_.]+/, with: "-")
    }

    /// Import names whose distribution is called otherwise.
    static let distributions: [String: [String]] = [
        "yaml": ["pyyaml"], "pil": ["pillow"], "sklearn": ["scikit-learn"], "skimage": ["scikit-image"],
        "cv2": ["opencv-python", "opencv-python-headless"], "bs4": ["beautifulsoup4"], "dateutil": ["python-dateutil"],
        "attr": ["attrs"], "jwt": ["pyjwt"], "crypto": ["pycryptodome", "pycryptodomex"], "serial": ["pyserial"],
        "usb": ["pyusb"], "openssl": ["pyopenssl"], "zmq": ["pyzmq"], "docx": ["python-docx"], "dotenv": ["python-dotenv"],
        "gi": ["pygobject"], "magic": ["python-magic"], "git": ["gitpython"], "google": ["protobuf", "google-api-core"],
        "pkg-resources": ["setuptools"], "setuptools": ["setuptools"], "_pytest": ["pytest"], "mpl-toolkits": ["matplotlib"],
    ]

    /// Whether an import name is declared (by its own name, `python-` and `py` forms, or
    /// a known distribution name).
    func declares(importName: String) -> Bool {
        let name = Self.normalize(importName)
        let candidates = [name, "python-" + name, "py" + name] + (Self.distributions[name] ?? [])
        return candidates.contains(where: names.contains)
    }
}

/// The `undeclared-dependency` check: an import the change adds, of a package that is not
/// the project's, not the standard library's, and not declared by the project's metadata.
/// Only when the project declares its dependencies somewhere; an import inside a `try:`
/// block (an optional dependency) is left alone.
struct DependencyCheck: Sendable {
    let declared: DeclaredDependencies
    let standardLibrary: Set<String>
    let projectNames: Set<String>

    /// - Parameter base: reads the file at base, only when the change adds a candidate import
    ///   (an import that was already there is not the change's).
    func findings(for task: ReviewTask, head: String?, base: () -> String?) -> [Finding] {
        guard !declared.sources.isEmpty, !standardLibrary.isEmpty, let head else { return [] }
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var baseImports: Set<String>?
        func importedAtBase(_ name: String) -> Bool {
            let imports = baseImports ?? Set((base() ?? "").split(separator: "\n").compactMap { Self.importedName(String($0)) })
            baseImports = imports
            return imports.contains(name)
        }
        var findings: [Finding] = []
        var reported = Set<String>()
        for hunk in task.hunks where hunk.newLines > 0 {
            for index in (hunk.newStart - 1)..<min(lines.count, hunk.newStart - 1 + hunk.newLines) where index >= 0 {
                guard let name = Self.importedName(lines[index]), !reported.contains(name),
                    !projectNames.contains(name), !standardLibrary.contains(name), !name.hasPrefix("_"),
                    !declared.declares(importName: name), !Self.isOptional(index, in: lines), !importedAtBase(name)
                else { continue }
                reported.insert(name)
                findings.append(
                    Finding(
                        severity: .warning, kind: .undeclaredDependency, file: task.path, line: index + 1, endLine: index + 1,
                        message: "this change imports `\(name)`, which the project's dependencies (\(declared.sources.joined(separator: ", "))) do not declare; declare it, or the code fails wherever it is not installed"))
            }
        }
        return findings
    }

    /// The top-level name a line imports (`import a.b`, `from a.b import c`), not a relative import.
    static func importedName(_ line: String) -> String? {
        guard let match = line.prefixMatch(of: /\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)/) else { return nil }
        return String(match.1)
    }

    /// Whether the line sits in a `try:` block: the nearest line above it with less indentation is `try:`.
    static func isOptional(_ index: Int, in lines: [String]) -> Bool {
        func indentation(_ line: String) -> Int { line.prefix { $0 == " " || $0 == "\t" }.count }
        let own = indentation(lines[index])
        guard own > 0 else { return false }
        for line in lines[..<index].reversed() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            if indentation(line) < own { return line.trimmingCharacters(in: .whitespaces).hasPrefix("try:") }
        }
        return false
    }
}
