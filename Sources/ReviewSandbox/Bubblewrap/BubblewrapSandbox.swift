import Foundation

/// The real sandbox: every command runs under bubblewrap with no network, a read-only
/// system, a private `/tmp`, resource limits and, when `review` is root, an unprivileged
/// per-run uid.
public final class BubblewrapSandbox: Sandbox, @unchecked Sendable {
    public let name = "bubblewrap"
    private let tools: BubblewrapInvocation.Tools
    private let system: [BubblewrapInvocation.SystemEntry]
    private let interpreterPrefixes: [String]
    private let runningAsRoot: Bool
    private let lock = NSLock()
    private var counter: UInt32 = 0

    /// The system directories always shown read-only (their real paths).
    public static let systemRoots = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]

    /// Prepares a sandbox. Whether bubblewrap really works here shows on the first run, which
    /// then throws ``SandboxError/namespacesUnavailable(_:)`` with bwrap's own message.
    ///
    /// - Parameter interpreter: the Python the commands will use; its prefixes are shown
    ///   read-only when they lie outside the system directories.
    /// - Throws: ``SandboxError`` naming the cause and the fix when it cannot work.
    public init(interpreter: Interpreter?) throws(SandboxError) {
        // REVIEW_BWRAP names another bwrap binary (a newer build, or a test of the missing case).
        let requested = ProcessInfo.processInfo.environment["REVIEW_BWRAP"].flatMap { $0.isEmpty ? nil : $0 } ?? "bwrap"
        guard let bwrap = Interpreter.resolveExecutable(requested, searchPath: BubblewrapSandbox.toolPath) else {
            throw .bubblewrapMissing
        }
        guard let prlimit = Interpreter.resolveExecutable("prlimit", searchPath: BubblewrapSandbox.toolPath) else {
            throw .helperMissing("prlimit")
        }
        runningAsRoot = geteuid() == 0
        var setpriv: String?
        if runningAsRoot {
            setpriv = Interpreter.resolveExecutable("setpriv", searchPath: BubblewrapSandbox.toolPath)
            if setpriv == nil { throw .helperMissing("setpriv") }
        }
        tools = BubblewrapInvocation.Tools(bwrap: bwrap, prlimit: prlimit, setpriv: setpriv)
        system = BubblewrapSandbox.systemLayout()
        interpreterPrefixes = interpreter?.prefixesOutside(systemRoots: BubblewrapSandbox.systemRoots) ?? []
    }

    private static let toolPath = "/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin"

    /// The top-level system entries of this host: directories to bind, symlinks to recreate.
    static func systemLayout() -> [BubblewrapInvocation.SystemEntry] {
        var entries: [BubblewrapInvocation.SystemEntry] = []
        for path in ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                    entries.append(.symlink(path, target: target))
                }
            } else if (info.st_mode & S_IFMT) == S_IFDIR {
                entries.append(.directory(path))
            }
        }
        return entries
    }

    /// The invocation for a command, with a fresh uid when running as root.
    public func invocation(for command: SandboxCommand) -> BubblewrapInvocation {
        BubblewrapInvocation(
            tools: tools, command: command, dropToUser: runningAsRoot ? nextUser() : nil, system: system,
            interpreterPrefixes: interpreterPrefixes)
    }

    /// A uid of its own for each run, so that RLIMIT_NPROC counts exactly that run's
    /// processes (the limit counts all processes of a uid, system-wide).
    private func nextUser() -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        counter &+= 1
        // 100,000,000 + pid * 64 + n: unique among concurrent runs of all review processes,
        // far above ordinary and container sub-uid ranges, below 2^31 (larger ids fail in
        // bwrap's uid map).
        return 100_000_000 + (UInt32(truncatingIfNeeded: getpid()) % 4_000_000) * 64 + counter % 64
    }

    public func run(_ command: SandboxCommand) throws(SandboxError) -> ExecutionResult {
        let invocation = invocation(for: command)
        if let user = invocation.dropToUser {
            for mount in command.mounts where mount.writable {
                if chown(mount.source, user, user) != 0 {
                    throw .io("chown \(mount.source): \(String(cString: strerror(errno)))")
                }
            }
        }
        var status = ""
        var result = try ProcessLauncher.run(
            invocation.arguments, environment: ["PATH": BubblewrapSandbox.toolPath, "LANG": "C.UTF-8"],
            wallSeconds: command.limits.wallSeconds, outputBytes: command.limits.outputBytes,
            statusDescriptor: BubblewrapInvocation.statusDescriptor, status: &status)
        // No child pid reported: bwrap failed while setting up, before any reviewed code ran
        // (typically: user namespaces are not allowed here).
        if !status.contains("child-pid") && !result.timedOut {
            let line = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            throw .namespacesUnavailable(line.isEmpty ? result.statusDescription : line)
        }
        // bwrap reports a child killed by signal N as exit status 128 + N.
        if let code = result.exitCode, code > 128, code <= 128 + 64, result.signal == nil {
            result.signal = code - 128
            result.exitCode = nil
        }
        return result
    }

    public func makeOutputDirectory() throws(SandboxError) -> String {
        try SandboxDirectories.makeOutputDirectory()
    }
}

/// Host directories that sandboxed code may write to.
enum SandboxDirectories {
    /// A fresh directory `<parent>/out`: the parent (0711) cannot be listed by other users,
    /// the child is what gets mounted (and handed to the sandbox's uid).
    static func makeOutputDirectory() throws(SandboxError) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base = [environment["REVIEW_TMPDIR"], environment["TMPDIR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "/tmp"
        var template = Array((base + "/review-run-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw .io("mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        let parent = String(cString: made)
        // Others may pass through (bwrap resolves mounts as the sandbox's uid) but not list.
        chmod(parent, 0o711)
        let out = parent + "/out"
        guard mkdir(out, 0o700) == 0 else { throw .io("mkdir \(out): \(String(cString: strerror(errno)))") }
        return out
    }
}
