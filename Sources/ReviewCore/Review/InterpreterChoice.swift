import Foundation
import ReviewSandbox

/// Picks the Python interpreter for the sandbox.
enum InterpreterChoice {
    /// The interpreter to use, and a note when an automatic choice skipped one.
    ///
    /// Order: the configured one (`--python`, `REVIEW_PYTHON`, `python` in config), else the
    /// project's `.venv`, then `python3` on `PATH`, then `/usr/bin/python3`. When the sandbox
    /// drops root privileges, the interpreter must be readable by an unprivileged user.
    static func choose(configured: String?, worktree: String?, droppingPrivileges: Bool) throws(ReviewFailure) -> (
        Interpreter, String?
    ) {
        if let configured {
            guard let interpreter = Interpreter.locate(configured) else {
                throw ReviewFailure("python interpreter '\(configured)' not found or not executable", status: .usage)
            }
            if droppingPrivileges && !interpreter.isUsableByOtherUsers {
                throw ReviewFailure(unreadable(interpreter), status: .infrastructure)
            }
            return (interpreter, nil)
        }
        var candidates: [String] = []
        if let worktree {
            let root = worktree.hasSuffix("/") ? String(worktree.dropLast()) : worktree
            candidates.append(root + "/.venv/bin/python")
        }
        candidates += ["python3", "/usr/bin/python3"]
        var skipped: Interpreter?
        for candidate in candidates {
            guard let interpreter = Interpreter.locate(candidate) else { continue }
            if droppingPrivileges && !interpreter.isUsableByOtherUsers {
                if skipped == nil { skipped = interpreter }
                continue
            }
            let note = skipped.map {
                "using \(interpreter.path): \($0.path) lies where the sandbox's unprivileged user cannot read it"
            }
            return (interpreter, note)
        }
        if let skipped { throw ReviewFailure(unreadable(skipped), status: .infrastructure) }
        throw ReviewFailure(
            "no Python interpreter found; install python3 (apt-get install python3 python3-pytest) or pass --python",
            status: .infrastructure)
    }

    private static func unreadable(_ interpreter: Interpreter) -> String {
        "the sandbox runs code as an unprivileged user when review runs as root, and that user cannot read "
            + "\(interpreter.path) (under \(interpreter.basePrefix)); install Debian's python3 and python3-pytest "
            + "(apt-get install python3 python3-pytest), or pass --python with a virtualenv outside /root"
    }
}

extension Configuration {
    /// The limits of one execution: the standard ones, with `timeout` as its wall-clock and
    /// CPU seconds.
    var limits: Limits {
        var limits = Limits.standard
        limits.wallSeconds = Double(timeout)
        limits.cpuSeconds = timeout
        return limits
    }
}
