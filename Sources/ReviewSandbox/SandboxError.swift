/// Why a sandboxed execution could not happen (as opposed to user code that failed,
/// which is an ``ExecutionResult`` with a non-zero exit code).
public enum SandboxError: Error, CustomStringConvertible, Sendable, Equatable {
    /// bubblewrap is not installed.
    case bubblewrapMissing
    /// bubblewrap is installed but cannot create namespaces here; carries its message.
    case namespacesUnavailable(String)
    /// A helper program (`setpriv`, `prlimit`) is missing.
    case helperMissing(String)
    /// No Python interpreter the sandbox can run; carries the reason.
    case noUsableInterpreter(String)
    /// Starting the process failed (errno text).
    case spawnFailed(String)
    /// A host directory for the run could not be prepared.
    case io(String)

    public var description: String {
        switch self {
        case .bubblewrapMissing:
            return "bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap), "
                + "or pass --sandbox none to run the code without isolation"
        case .namespacesUnavailable(let message):
            return "bubblewrap cannot create namespaces here (\(message)); allow unprivileged user namespaces "
                + "(sysctl -w kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04+ "
                + "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap), "
                + "or run in a container that permits them"
        case .helperMissing(let name):
            return "'\(name)' is not installed (it is part of util-linux); it is needed to drop privileges "
                + "and set resource limits for the sandbox"
        case .noUsableInterpreter(let reason):
            return reason
        case .spawnFailed(let message):
            return "cannot start the sandbox: \(message)"
        case .io(let message):
            return "cannot prepare the sandbox: \(message)"
        }
    }
}
