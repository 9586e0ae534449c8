import Foundation

/// Runs commands directly on the host, with the same rlimits, timeouts and output caps
/// but no isolation: only when the user asks for `--sandbox none`.
///
/// Mounts are emulated by path rewriting only for the snapshot root: the command runs in
/// the host directory that would have been mounted at its working directory (for a scratch
/// mount, a fresh copy of it, deleted after the run).
public final class UnsandboxedRunner: Sandbox, @unchecked Sendable {
    public let name = "none"
    private let prlimit: String?

    /// Creates the runner.
    public init() {
        prlimit = Interpreter.resolveExecutable("prlimit", searchPath: "/usr/bin:/bin")
    }

    public func run(_ command: SandboxCommand) throws(SandboxError) -> ExecutionResult {
        let (mounts, scratch) = try scratchCopies(command.mounts)
        defer { scratch.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        var command = command
        command.mounts = mounts
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

    /// The mounts with each scratch mount replaced by a fresh host copy of its source (and
    /// the file mounts below it copied into that copy), and the directories to delete after.
    private func scratchCopies(_ mounts: [Mount]) throws(SandboxError) -> ([Mount], [String]) {
        var result: [Mount] = []
        var made: [String] = []
        for mount in mounts {
            if let copy = result.last(where: { $0.access == .scratch && mount.target.hasPrefix($0.target + "/") }) {
                let destination = copy.source + mount.target.dropFirst(copy.target.count)
                _ = try? FileManager.default.removeItem(atPath: destination)
                do {
                    try FileManager.default.copyItem(atPath: mount.source, toPath: destination)
                } catch {
                    throw .io("copy \(mount.source) into the scratch tree: \(error.localizedDescription)")
                }
                continue
            }
            guard mount.access == .scratch else {
                result.append(mount)
                continue
            }
            let parent = try SandboxDirectories.makeOutputDirectory()
            let tree = parent + "/tree"
            let copy = try ProcessLauncher.run(
                ["/bin/cp", "-R", "-p", mount.source, tree], environment: ["PATH": "/usr/bin:/bin"], wallSeconds: 600,
                outputBytes: 1 << 16)
            made.append((parent as NSString).deletingLastPathComponent)
            guard copy.exitCode == 0 else {
                made.forEach { try? FileManager.default.removeItem(atPath: $0) }
                throw .io("copy \(mount.source) for the run: \(copy.stderr)")
            }
            result.append(Mount(source: tree, target: mount.target, access: .scratch))
        }
        return (result, made)
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
