import Foundation

/// Which project modules import which (a static scan of every Python file of a revision),
/// to find the test files that reach a changed module directly or through other modules.
///
/// Imports are read from the source text: `import a.b`, `from a.b import c` (also `c` when
/// it is a submodule), relative imports resolved against the importing module's package,
/// and parenthesized import lists over several lines. Importing `a.b.c` runs `a` and `a.b`
/// too, so parents count as imported. A `conftest.py` that reaches the module reaches every
/// test below its directory (pytest loads it for them). Imports made at run time
/// (`importlib`, plugins) are not seen; the impact map sees those.
struct ImportGraph {
    /// Module name -> file path, for the project's importable modules.
    private var fileOf: [String: String] = [:]
    /// Imported module -> the modules that import it.
    private var importers: [String: Set<String>] = [:]
    /// Test file -> the project modules it imports.
    private var testImports: [String: Set<String>] = [:]
    /// `conftest.py` module names -> their directory ("" for the root).
    private var conftests: [String: String] = [:]
    private let testFiles: [String]
    /// Text doctest files whose examples import no project module: their names come from a
    /// conftest's `doctest_namespace`, which no static scan follows, so they count as
    /// reaching every module.
    private var opaqueDoctests: Set<String> = []
    /// Module -> the names other files take from it (`from m import a` -> `a`; `*` for a
    /// star import).
    private(set) var namesTaken: [String: Set<String>] = [:]

    init(files: ProjectFiles, tests: [String]) {
        testFiles = tests
        let testSet = Set(tests)
        var scanned: [(path: String, module: String?, imports: [ImportScanner.Import])] = []
        let layouts = ModuleLayouts(files: files)
        // Text files collected for their doctests import through their examples.
        for path in tests where !path.hasSuffix(".py") {
            scanned.append((path, nil, ImportScanner.imports(in: ImportScanner.doctestSource(files.bytes(path) ?? []), module: nil, isPackage: false)))
        }
        for path in files.paths where path.hasSuffix(".py") {
            if path.split(separator: "/").dropLast().contains(where: IgnoredDirectories.contains) { continue }
            let module = layouts.module(of: path)
            if let module, !testSet.contains(path) { fileOf[module] = path }
            if (path as NSString).lastPathComponent == "conftest.py", let module {
                conftests[module] = (path as NSString).deletingLastPathComponent
            }
            guard testSet.contains(path) || module != nil else { continue }
            let isPackage = (path as NSString).lastPathComponent == "__init__.py"
            let imports = ImportScanner.imports(in: files.bytes(path) ?? [], module: module, isPackage: isPackage)
            scanned.append((path, module, imports))
        }
        for entry in scanned {
            for item in entry.imports where !item.names.isEmpty {
                namesTaken[item.module, default: []].formUnion(item.names)
            }
            let resolved = resolve(entry.imports)
            if testSet.contains(entry.path) {
                testImports[entry.path] = resolved
                if resolved.isEmpty && !entry.path.hasSuffix(".py") { opaqueDoctests.insert(entry.path) }
            } else if let module = entry.module {
                for imported in resolved where imported != module { importers[imported, default: []].insert(module) }
            }
        }
    }

    /// The project modules an import list names: each module, its parents, and for
    /// `from X import y` the submodule `X.y` when it exists.
    private func resolve(_ imports: [ImportScanner.Import]) -> Set<String> {
        var result = Set<String>()
        for item in imports {
            var parts = item.module.split(separator: ".").map(String.init)
            while !parts.isEmpty {
                let name = parts.joined(separator: ".")
                if fileOf[name] != nil { result.insert(name) }
                parts.removeLast()
            }
            for name in item.names {
                let candidate = item.module.isEmpty ? name : item.module + "." + name
                if fileOf[candidate] != nil { result.insert(candidate) }
            }
        }
        return result
    }

    /// The test files that import `module` directly or through other project modules, with
    /// the reason for each, in the order of the test list.
    func tests(reaching module: String) -> [(test: String, reason: String)] {
        // Every module that imports `module`, however indirectly, with the first hop seen.
        var through: [String: String] = [module: module]
        var queue = [module]
        while let current = queue.popLast() {
            for importer in importers[current, default: []].sorted() where through[importer] == nil {
                through[importer] = importer
                queue.append(importer)
            }
        }
        var reached: [(String, String)] = []
        let conftestDirectories = conftests.filter { through[$0.key] != nil }.map(\.value)
        for test in testFiles {
            let imports = testImports[test] ?? []
            if imports.contains(where: { $0 == module || $0.hasPrefix(module + ".") }) {
                reached.append((test, "imports the module"))
            } else if let via = imports.filter({ through[$0] != nil }).sorted(by: {
                $0.count != $1.count ? $0.count > $1.count : $0 < $1
            }).first {
                // The most specific module named (`pkg.extra` rather than its parent `pkg`).
                reached.append((test, "imports it through \(via)"))
            } else if let directory = conftestDirectories.first(where: { $0.isEmpty || test.hasPrefix($0 + "/") }) {
                reached.append((test, "its conftest.py imports it\(directory.isEmpty ? "" : " (\(directory))")"))
            } else if opaqueDoctests.contains(test) {
                reached.append((test, "doctests that import nothing (their names come from a conftest's doctest_namespace)"))
            }
        }
        return reached
    }
}

/// Reads import statements from Python source text.
enum ImportScanner {
    struct Import: Equatable {
        /// The absolute module (`a.b`); for `from . import x` the package itself.
        var module: String
        /// The names of a `from` import (`from a import b, c` -> `b`, `c`).
        var names: [String]
    }

    /// The code of a text file's doctest examples: the lines after `>>> ` and `... `.
    static func doctestSource(_ bytes: [UInt8]) -> [UInt8] {
        var code: [UInt8] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let text = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            for prompt in [Array(">>> ".utf8), Array("... ".utf8)] where text.starts(with: prompt) {
                code += text.dropFirst(prompt.count)
                code.append(UInt8(ascii: "\n"))
            }
        }
        return code
    }

    /// The imports of a module's source bytes. Only lines that start (after indentation)
    /// with `import ` or `from ` become text, so large files cost a byte scan.
    static func imports(in source: [UInt8], module: String?, isPackage: Bool) -> [Import] {
        var candidates: [String] = []
        var lineStart = 0
        var index = 0
        let count = source.count
        while lineStart < count {
            index = lineStart
            while index < count && (source[index] == 0x20 || source[index] == 0x09) { index += 1 }
            var lineEnd = index
            while lineEnd < count && source[lineEnd] != 0x0A { lineEnd += 1 }
            if startsWith(source, at: index, "import ") || startsWith(source, at: index, "from ") {
                candidates.append(String(decoding: source[index..<lineEnd], as: UTF8.self))
            } else if !candidates.isEmpty, let last = candidates.last, last.contains("("), !last.contains(")") {
                // The continuation of a parenthesized list.
                candidates[candidates.count - 1] += "\n" + String(decoding: source[index..<lineEnd], as: UTF8.self)
            }
            lineStart = lineEnd + 1
        }
        return imports(in: candidates.joined(separator: "\n"), module: module, isPackage: isPackage)
    }

    private static func startsWith(_ bytes: [UInt8], at offset: Int, _ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard offset + length <= bytes.count else { return false }
        return word.withUTF8Buffer { buffer in
            for position in 0..<length where bytes[offset + position] != buffer[position] { return false }
            return true
        }
    }

    /// The imports of a module's source.
    ///
    /// - Parameters:
    ///   - module: the importing module's dotted name (for relative imports).
    ///   - isPackage: whether it is a package's `__init__.py` (its own package is itself).
    static func imports(in source: String, module: String?, isPackage: Bool) -> [Import] {
        var result: [Import] = []
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        while let raw = lines.next() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("import ") {
                for part in line.dropFirst(7).split(separator: ",") {
                    let name = part.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                    if !name.isEmpty { result.append(Import(module: name, names: [])) }
                }
            } else if line.hasPrefix("from ") {
                // A parenthesized list may continue on the following lines.
                while line.contains("(") && !line.contains(")"), let next = lines.next() {
                    var continued = next.trimmingCharacters(in: .whitespaces)
                    if let hash = continued.firstIndex(of: "#") { continued = String(continued[..<hash]) }
                    line += " " + continued
                }
                let rest = line.dropFirst(5).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
                guard rest.count == 3, rest[1] == "import" else { continue }
                guard let absolute = absolute(String(rest[0]), module: module, isPackage: isPackage) else { continue }
                let names = rest[2].replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")
                    .replacingOccurrences(of: "\\", with: "")
                    .split(separator: ",").compactMap {
                        $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
                    }
                result.append(Import(module: absolute, names: names.filter { $0 != "*" }))
            }
        }
        return result
    }

    /// `from .x` inside `a.b.c` -> `a.b.x`; `nil` when the dots climb above the top package.
    static func absolute(_ target: String, module: String?, isPackage: Bool) -> String? {
        let dots = target.prefix { $0 == "." }.count
        guard dots > 0 else { return target }
        guard let module else { return nil }
        var package = module.split(separator: ".").map(String.init)
        if !isPackage { package.removeLast() }
        guard dots - 1 <= package.count else { return nil }
        package.removeLast(dots - 1)
        let remainder = target.dropFirst(dots)
        if !remainder.isEmpty { package.append(String(remainder)) }
        return package.isEmpty ? nil : package.joined(separator: ".")
    }
}

/// Module names of many files, remembering for each directory whether it is a package.
final class ModuleLayouts {
    let files: ProjectFiles
    private var isPackage: [String: Bool] = [:]

    init(files: ProjectFiles) {
        self.files = files
    }

    /// The name ``ModuleLayout`` gives, with one `__init__.py` lookup per directory.
    func module(of path: String) -> String? {
        ModuleLayout(path: path) { directory in
            if let cached = self.isPackage[directory] { return cached }
            let found = self.files.exists(directory + "/__init__.py")
            self.isPackage[directory] = found
            return found
        }.module
    }
}
