import ReviewGit

/// The repository a command works on, discovered once from the directory the command
/// started in and passed down to every stage (range, plan, review, hook, CI).
public final class Project {
    let repository: Repository

    /// The top of the working tree without a trailing `/`, where configuration files are
    /// read; `nil` for a bare repository.
    public let root: String?

    private init(_ repository: Repository) {
        self.repository = repository
        root = repository.workingDirectory.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Opens the repository around `directory`.
    ///
    /// - Throws: ``ReviewFailure``: exit 2 when it is not a repository (or one git would
    ///   refuse), 3 when libgit2 fails.
    public static func open(_ directory: String) throws(ReviewFailure) -> Project {
        do {
            return Project(try Repository.discover(from: directory))
        } catch {
            throw ReviewFailure(error)
        }
    }

    /// The repository around `directory`, or `nil` outside one (for commands that also work
    /// without a repository, such as `review config`).
    public static func find(_ directory: String) -> Project? {
        try? open(directory)
    }

    /// How many times this process has discovered a repository: once per command.
    public static var discoveries: Int { Repository.discoveries }

    /// Whether the repository has no commits yet.
    public var hasNoCommits: Bool { repository.hasNoCommits }

    /// The git directory shared by all worktrees (refs, objects, review's cache).
    public var commonDirectory: String { repository.commonDirectory }
}
