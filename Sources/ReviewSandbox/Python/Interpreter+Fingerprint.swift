import Foundation

extension Interpreter {
    /// A description of the interpreter and its installed packages that changes when either
    /// does, read from the file system only (no interpreter is started, so it costs a few
    /// `stat` calls): the executable's real path, size and modification time, and the
    /// modification time and inode of every package directory under its prefixes.
    ///
    /// Installing, upgrading or removing a package adds or removes entries in a package
    /// directory (its `*.dist-info`), which changes that directory's modification time.
    /// Editing an installed package's files in place is not seen.
    public var packageFingerprint: String {
        var parts = [Interpreter.statLine(Interpreter.realPath(path))]
        let real = Interpreter.realPath(prefix)
        let base = Interpreter.realPath(basePrefix)
        for root in base == real ? [real] : [real, base] {
            for directory in Interpreter.packageDirectories(under: root) {
                parts.append(Interpreter.statLine(directory))
            }
        }
        return parts.joined(separator: "\n")
    }

    /// What the interpreter is and holds, portably: the real path of its executable and the
    /// installed distributions (`*.dist-info` and `*.egg-info` names, which carry name and
    /// version) of the package directories it sees. Unlike ``packageFingerprint`` it is the
    /// same for two virtualenvs made alike on two machines, as in two CI jobs, so a map
    /// recorded in one serves the other.
    public var distributionFingerprint: String {
        var names: [String] = []
        for root in visiblePrefixes {
            for directory in Interpreter.packageDirectories(under: root) {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                names += entries.filter { $0.hasSuffix(".dist-info") || $0.hasSuffix(".egg-info") }
            }
        }
        return (["python " + Interpreter.realPath(path)] + names.sorted()).joined(separator: "\n")
    }

    /// Whether a package (a directory with `__init__.py`) named `name` lies in one of the
    /// interpreter's package directories.
    /// A virtual environment sees its base installation's packages only when its
    /// `pyvenv.cfg` says `include-system-site-packages = true`.
    public func hasPackageOnDisk(_ name: String) -> Bool {
        return visiblePrefixes.contains { root in
            Interpreter.packageDirectories(under: root).contains {
                FileManager.default.fileExists(atPath: $0 + "/" + name + "/__init__.py")
            }
        }
    }

    /// The prefixes whose packages the interpreter sees: its own, and a virtual
    /// environment's base installation only when its `pyvenv.cfg` says
    /// `include-system-site-packages = true`.
    var visiblePrefixes: [String] {
        var roots = [Interpreter.realPath(prefix)]
        let base = Interpreter.realPath(basePrefix)
        if base != roots[0],
            Interpreter.venvSettings(at: prefix)?["include-system-site-packages"]?.lowercased() == "true"
        {
            roots.append(base)
        }
        return roots
    }

    /// `site-packages` and `dist-packages` directories below a prefix (`lib/python3.X/...`,
    /// `lib/python3/dist-packages`, `local/lib/python3.X/...`), sorted.
    static func packageDirectories(under root: String) -> [String] {
        var found: [String] = []
        for library in [root + "/lib", root + "/local/lib"] {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: library) else { continue }
            for entry in entries.sorted() where entry.hasPrefix("python") {
                for leaf in ["site-packages", "dist-packages"] {
                    let candidate = library + "/" + entry + "/" + leaf
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                        found.append(candidate)
                    }
                }
            }
        }
        return found
    }

    private static func statLine(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return path + " missing" }
        return "\(path) \(info.st_ino) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}
