import Foundation
import ReviewSandbox

/// `review sandbox`: run one command in the sandbox review uses, or print its argv.
public enum SandboxDiagnostics {
    /// The bubblewrap argv for `arguments` with `source` (if any) at the project mount point.
    ///
    /// - Throws: ``ReviewFailure`` (exit 3) when bubblewrap cannot work here.
    public static func invocation(
        _ arguments: [String], source: String?, configuration: Configuration
    ) throws(ReviewFailure) -> [String] {
        let (sandbox, command) = try prepare(arguments, source: source, configuration: configuration)
        return sandbox.invocation(for: command).arguments
    }

    /// Runs `arguments` in the sandbox and returns the result.
    public static func run(_ arguments: [String], source: String?, configuration: Configuration) throws(ReviewFailure)
        -> ExecutionResult
    {
        let (sandbox, command) = try prepare(arguments, source: source, configuration: configuration)
        do {
            return try sandbox.run(command)
        } catch {
            throw ReviewFailure(error.description, status: .infrastructure)
        }
    }

    private static func prepare(_ arguments: [String], source: String?, configuration: Configuration)
        throws(ReviewFailure) -> (BubblewrapSandbox, SandboxCommand)
    {
        let (interpreter, _) = try InterpreterChoice.choose(
            configured: configuration.python, worktree: nil, droppingPrivileges: geteuid() == 0)
        let sandbox: BubblewrapSandbox
        do {
            sandbox = try BubblewrapSandbox(interpreter: interpreter)
        } catch {
            throw ReviewFailure(error.description, status: .infrastructure)
        }
        var argv = arguments
        if argv.first == "python3" || argv.first == "python" { argv[0] = interpreter.path }
        var limits = Limits.standard
        limits.wallSeconds = Double(configuration.timeout)
        var mounts: [Mount] = []
        var directory = "/tmp"
        if let source {
            let absolute = URL(fileURLWithPath: source).standardizedFileURL.path
            mounts.append(Mount(source: absolute, target: PythonToolbox.sourceRoot))
            directory = PythonToolbox.sourceRoot
        }
        let command = SandboxCommand(
            arguments: argv, workingDirectory: directory, mounts: mounts,
            environment: source == nil ? [:] : ["PYTHONPATH": PythonToolbox.sourceRoot], limits: limits)
        return (sandbox, command)
    }
}
