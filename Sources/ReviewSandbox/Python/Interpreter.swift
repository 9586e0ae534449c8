import Foundation

/// A Python interpreter for the sandbox, located without running it on the host.
///
/// Running the user's interpreter outside the sandbox would execute whatever
/// `sitecustomize` or `.pth` file its environment holds, so the prefixes are read from
/// the file system: a virtual environment is recognised by its `pyvenv.cfg` (whose `home`
/// names the base interpreter), anything else by the directory above its `bin`.
public struct Interpreter: Hashable, Sendable {
    /// The interpreter's path as given (a venv's `bin/python` stays the venv's).
    public var path: String
    /// `sys.prefix`: the venv directory, or the installation prefix.
    public var prefix: String
    /// `sys.base_prefix`: the installation the venv was made from (equal to `prefix` otherwise).
    public var basePrefix: String

    /// Creates an interpreter description.
    public init(path: String, prefix: String, basePrefix: String) {
        self.path = path
        self.prefix = prefix
        self.basePrefix = basePrefix
    }

    /// Describes the interpreter at `path` (absolute, or a name looked up in `PATH`).
    ///
    /// - Returns: `nil` when there is no executable file there.
    public static func locate(_ path: String, searchPath: String? = ProcessInfo.processInfo.environment["PATH"])
        -> Interpreter?
    {
        guard let executable = resolveExecutable(path, searchPath: searchPath) else { return nil }
        let directory = (executable as NSString).deletingLastPathComponent
        let candidatePrefix = (directory as NSString).deletingLastPathComponent
        if let settings = venvSettings(at: candidatePrefix) {
            let base = settings["home"].map { ($0 as NSString).deletingLastPathComponent } ?? "/usr"
            return Interpreter(path: executable, prefix: candidatePrefix, basePrefix: realPath(base))
        }
        let real = realPath(executable)
        let realPrefix = ((real as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return Interpreter(path: executable, prefix: realPrefix, basePrefix: realPrefix)
    }

    /// The prefixes the sandbox must show, outside the system directories it always shows.
    public func prefixesOutside(systemRoots: [String]) -> [String] {
        var result: [String] = []
        for candidate in [prefix, basePrefix] {
            let real = Interpreter.realPath(candidate)
            let covered = systemRoots.contains { real == $0 || real.hasPrefix($0 + "/") }
            if !covered && !result.contains(real) { result.append(real) }
        }
        return result
    }

    /// Whether a user who is neither the owner nor in the group could run this interpreter:
    /// every directory on the way must be searchable by others, the file executable by them.
    public var isUsableByOtherUsers: Bool {
        for path in [Interpreter.realPath(self.path), Interpreter.realPath(prefix), Interpreter.realPath(basePrefix)] {
            if !Interpreter.othersCanReach(path) { return false }
        }
        return true
    }

    static func othersCanReach(_ path: String) -> Bool {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard stat(current, &info) == 0 else { return false }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            let needed: mode_t = isDirectory ? S_IXOTH : (S_IROTH | S_IXOTH)
            if current == path && !isDirectory {
                if (info.st_mode & S_IXOTH) == 0 { return false }
            } else if (info.st_mode & needed) == 0 {
                return false
            }
        }
        return true
    }

    static func resolveExecutable(_ path: String, searchPath: String?) -> String? {
        if path.contains("/") {
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            return FileManager.default.isExecutableFile(atPath: absolute) ? lexicallyNormalized(absolute) : nil
        }
        for directory in (searchPath ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = String(directory) + "/" + path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Removes `.` and `..` components and repeated slashes without following symlinks
    /// (Foundation's `standardizingPath` follows them, which turns a venv's `bin/python`
    /// into the base interpreter).
    static func lexicallyNormalized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The `key = value` settings of the virtual environment at `prefix` (its
    /// `pyvenv.cfg`), or `nil` when `prefix` is not one.
    static func venvSettings(at prefix: String) -> [String: String]? {
        guard let text = try? String(contentsOfFile: prefix + "/pyvenv.cfg", encoding: .utf8) else { return nil }
        var settings: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { settings[parts[0]] = parts[1] }
        }
        return settings
    }

    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
