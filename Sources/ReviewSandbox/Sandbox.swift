/// Runs commands in isolation. The seam between the review logic and the operating system:
/// ``BubblewrapSandbox`` is the real one, ``UnsandboxedRunner`` the one users opt into.
public protocol Sandbox: Sendable {
    /// A short name for reports and traces (`bubblewrap`, `none`).
    var name: String { get }

    /// Runs a command and waits for it.
    ///
    /// - Returns: what happened; user code that fails is a result, not an error.
    /// - Throws: ``SandboxError`` when the command could not be run at all.
    func run(_ command: SandboxCommand) throws(SandboxError) -> ExecutionResult

    /// A directory the sandboxed code may write and the host may read afterwards.
    func makeOutputDirectory() throws(SandboxError) -> String
}
