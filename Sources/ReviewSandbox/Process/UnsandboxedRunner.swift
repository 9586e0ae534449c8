import Foundation

/// Runs commands directly on the host, with the same rlimits, timeouts and output caps
/// but no isolation: only when the user asks for `--sandbox none`.
///
/// Mounts are emulated by path rewriting only for the snapshot root: the command runs in
/// the host directory that would have been mounted at its working directory.
public final class UnsandboxedRunner: Sandbox, @unchecked Sendable {
    public let name = "none"
    private let prlimit: String?

    /// Creates the runner.
    public init() {
        prlimit = Interpreter.resolveExecutable("prlimit", searchPath: "/usr/bin:/bin")
    }

    public func run(_ command: SandboxCommand) throws(SandboxError) -> ExecutionResult {
        var arguments = command.arguments.map { rewrite($0, command.mounts) }
        if let prlimit {
            let limits = command.limits
            arguments = [
                prlimit, "--cpu=\(max(1, limits.cpuSeconds - 1)):\(limits.cpuSeconds)", "--as=\(limits.memoryBytes)",
                "--fsize=\(limits.fileSizeBytes)", "--core=0", "--",
            ] + [resolve(arguments[0])] + arguments.dropFirst()
        }
        var environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": NSTemporaryDirectory(),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1",
        ]
        for (key, value) in command.environment { environment[key] = rewrite(value, command.mounts) }
        let directory = rewrite(command.workingDirectory, command.mounts)
        // posix_spawn has no chdir action we can rely on everywhere; go through env(1).
        arguments = ["/usr/bin/env", "-C", directory] + arguments
        return try ProcessLauncher.run(
            arguments, environment: environment, wallSeconds: command.limits.wallSeconds,
            outputBytes: command.limits.outputBytes)
    }

    public func makeOutputDirectory() throws(SandboxError) -> String {
        try SandboxDirectories.makeOutputDirectory()
    }

    private func resolve(_ program: String) -> String {
        Interpreter.resolveExecutable(program, searchPath: "/usr/local/bin:/usr/bin:/bin") ?? program
    }

    /// Maps a sandbox path to the host path of the mount that contains it (longest match).
    private func rewrite(_ value: String, _ mounts: [Mount]) -> String {
        var result = value
        for mount in mounts.sorted(by: { $0.target.count > $1.target.count }) {
            result = result.replacingOccurrences(of: mount.target, with: mount.source)
        }
        return result
    }
}
