/// The argv that runs one command under bubblewrap: a pure value, so its exact shape is
/// tested without running anything.
///
/// When `review` runs as root, bwrap started by root would leave the sandboxed process
/// with nearly all capabilities in its namespace (enough to remount `/` read-write), so
/// the chain first drops to an unprivileged, per-run uid with `setpriv`, then sets the
/// rlimits with `prlimit`, then starts `bwrap`:
///
///     setpriv --reuid=U --regid=U --clear-groups --inh-caps=-all -- \
///     prlimit --cpu=S:H --as=... --nproc=... --fsize=... -- \
///     bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL ... -- argv
public struct BubblewrapInvocation: Hashable, Sendable {
    /// Where the helper programs live.
    public struct Tools: Hashable, Sendable {
        public var bwrap: String
        public var prlimit: String
        public var setpriv: String?

        /// Creates the tool paths; `setpriv` is needed only when dropping privileges.
        public init(bwrap: String, prlimit: String, setpriv: String?) {
            self.bwrap = bwrap
            self.prlimit = prlimit
            self.setpriv = setpriv
        }
    }

    /// How the host's top-level system directories look: real directories are bound,
    /// symlinks (merged `/usr`) are recreated.
    public enum SystemEntry: Hashable, Sendable {
        case directory(String)
        case symlink(String, target: String)
    }

    public var tools: Tools
    public var command: SandboxCommand
    /// The uid and gid to drop to before bwrap, or `nil` when not running as root.
    public var dropToUser: UInt32?
    /// The top-level system entries to expose (`/usr`, `/bin`, `/lib*`, `/sbin`).
    public var system: [SystemEntry]
    /// Interpreter prefixes outside the system directories (a venv, a home-made build).
    public var interpreterPrefixes: [String]
    /// `PATH` inside the sandbox.
    public var path: String

    /// Creates an invocation.
    public init(
        tools: Tools, command: SandboxCommand, dropToUser: UInt32?, system: [SystemEntry],
        interpreterPrefixes: [String], path: String = "/usr/local/bin:/usr/bin:/bin"
    ) {
        self.tools = tools
        self.command = command
        self.dropToUser = dropToUser
        self.system = system
        self.interpreterPrefixes = interpreterPrefixes
        self.path = path
    }

    /// The descriptor on which bwrap reports `{"child-pid": N}` once the sandbox is set up;
    /// without that line, a failure was bwrap's own and not the code's.
    public static let statusDescriptor: Int32 = 3

    /// Files under `/etc` that are never visible, even if they were readable.
    public static let hiddenSecrets = ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"]

    /// Where the source of the first scratch mount is bound, read-only (`-1`, `-2`, ... for
    /// more).
    public static let stagingRoot = "/.review-source"

    /// The exit status of a run whose scratch copy could not be made (no space left in
    /// `Limits.scratchBytes`): no reviewed code ran.
    public static let copyFailedStatus: Int32 = 125

    /// `sh -c` text that copies each staging tree into its tmpfs (modes and times kept, the
    /// sandbox's user the owner), enters the working directory and runs the command.
    static func copyPrelude(_ copies: [(staging: String, target: String)], workingDirectory: String) -> String {
        var script = ""
        for copy in copies {
            let source = ShellQuoting.quote(copy.staging + "/.")
            let target = ShellQuoting.quote(copy.target + "/")
            script += "cp -R -p \(source) \(target) || { echo \"review: could not copy the source tree into the "
                + "sandbox's scratch space (\(copy.target))\" >&2; exit \(copyFailedStatus); }; "
        }
        return script + "cd \(ShellQuoting.quote(workingDirectory)) && exec \"$@\""
    }

    /// The complete argv, starting with an absolute program path.
    public var arguments: [String] {
        var argv: [String] = []
        if let user = dropToUser, let setpriv = tools.setpriv {
            argv += [setpriv, "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--inh-caps=-all", "--"]
        }
        let limits = command.limits
        let softCPU = max(1, limits.cpuSeconds - 1)
        argv += [
            tools.prlimit,
            "--cpu=\(softCPU):\(limits.cpuSeconds)",
            "--as=\(limits.memoryBytes)",
            "--nproc=\(limits.processes)",
            "--fsize=\(limits.fileSizeBytes)",
            "--core=0",
            "--",
        ]
        argv += [
            tools.bwrap,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--cap-drop", "ALL",
            "--json-status-fd", String(Self.statusDescriptor),
        ]
        for entry in system {
            switch entry {
            case .directory(let path): argv += ["--ro-bind", path, path]
            case .symlink(let path, let target): argv += ["--symlink", target, path]
            }
        }
        argv += ["--ro-bind", "/etc", "/etc"]
        for secret in Self.hiddenSecrets {
            argv += ["--ro-bind-try", "/dev/null", secret]
        }
        // An interpreter under /tmp (a virtualenv made there) is bound after the private
        // /tmp, which would cover it otherwise.
        let underTmp = { (path: String) in path == "/tmp" || path.hasPrefix("/tmp/") }
        for prefix in interpreterPrefixes where !underTmp(prefix) {
            argv += ["--ro-bind", prefix, prefix]
        }
        argv += ["--proc", "/proc", "--dev", "/dev"]
        // The tmpfs must come before any bind below /tmp, or it would cover it.
        argv += ["--size", String(limits.tmpBytes), "--tmpfs", "/tmp"]
        for prefix in interpreterPrefixes where underTmp(prefix) {
            argv += ["--ro-bind", prefix, prefix]
        }
        // A scratch mount: the source read-only at a staging path, a tmpfs at the target,
        // and the copy made by the prelude below, as the sandbox's user.
        var copies: [(staging: String, target: String)] = []
        for mount in command.mounts {
            var target = mount.target
            if let copy = copies.last(where: { target.hasPrefix($0.target + "/") }) {
                target = copy.staging + target.dropFirst(copy.target.count)
            }
            switch mount.access {
            case .readOnly: argv += ["--ro-bind", mount.source, target]
            case .writable: argv += ["--bind", mount.source, target]
            case .scratch:
                let staging = Self.stagingRoot + (copies.isEmpty ? "" : "-\(copies.count)")
                argv += ["--ro-bind", mount.source, staging, "--size", String(limits.scratchBytes), "--tmpfs", target]
                copies.append((staging, target))
            }
        }
        argv += ["--chdir", copies.isEmpty ? command.workingDirectory : "/", "--clearenv"]
        var environment: [String: String] = [
            "PATH": path,
            "LANG": "C.UTF-8",
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
        ]
        for (key, value) in command.environment { environment[key] = value }
        for key in environment.keys.sorted() {
            argv += ["--setenv", key, environment[key]!]
        }
        argv += ["--"]
        if !copies.isEmpty {
            argv += ["/bin/sh", "-c", Self.copyPrelude(copies, workingDirectory: command.workingDirectory), "sh"]
        }
        argv += command.arguments
        return argv
    }
}
