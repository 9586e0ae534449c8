import ReviewGit

/// Finds the worktree root for reading configuration files.
public enum RepositoryRoot {
    /// The top of the worktree around `directory` without a trailing `/`, or `nil` (bare
    /// repository, or not a repository: the review itself reports that).
    public static func find(from directory: String) -> String? {
        guard let repository = try? Repository.discover(from: directory), let root = repository.workingDirectory
        else { return nil }
        return root.hasSuffix("/") ? String(root.dropLast()) : root
    }
}
