import ReviewGit

/// The process exit statuses of `review`, identical for every entry point.
public enum ExitStatus: Int32, Sendable {
    /// No finding at or above the `--fail-on` level (or nothing to review).
    case clean = 0
    /// At least one finding at or above the `--fail-on` level.
    case findings = 1
    /// A usage, input or configuration error: a bad range, not a repository, a bad config file.
    case usage = 2
    /// An infrastructure failure: git, the sandbox or the model server.
    case infrastructure = 3
}

/// An error that ends a run, with the one-line message to print and the exit status.
public struct ReviewFailure: Error, CustomStringConvertible, Sendable {
    /// The message, a lowercase sentence without the `review:` prefix.
    public let message: String
    /// The exit status that the failure maps to.
    public let status: ExitStatus

    /// Creates a failure.
    public init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    /// Wraps a git-layer error: input errors exit 2, library failures 3.
    public init(_ error: GitError) {
        self.init(error.description, status: error.isInputError ? .usage : .infrastructure)
    }

    public var description: String { message }
}
