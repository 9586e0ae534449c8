import ReviewGit

/// The ranges a pre-push hook reviews, for the CLI.
public enum PushReview {
    /// Parses git's pre-push stdin for the project's repository.
    public static func ranges(_ input: String, remote: String, in project: Project) -> ([PushRanges.Entry], [String]) {
        if project.hasNoCommits { return ([], []) }
        let parsed = PushRanges.parse(input, remote: remote, repository: project.repository)
        return (parsed.entries, parsed.notes)
    }

    /// The range the pre-commit framework passes to a pre-push hook: `FROM..TO`, only `TO`
    /// (its first push of a root commit: that commit), or the worktree at commit time.
    ///
    /// - Throws: ``ReviewFailure`` (exit 2) when a ref it names is not a commit here.
    public static func preCommitRange(_ environment: [String: String], in project: Project) throws(ReviewFailure)
        -> [PushRanges.Entry]
    {
        let from = environment["PRE_COMMIT_FROM_REF"].flatMap { $0.isEmpty ? nil : $0 }
        let to = environment["PRE_COMMIT_TO_REF"].flatMap { $0.isEmpty ? nil : $0 }
        let branch = environment["PRE_COMMIT_LOCAL_BRANCH"] ?? "the pushed commits"
        func commit(_ name: String) throws(ReviewFailure) -> ObjectID {
            do {
                return try project.repository.commitID(of: name)
            } catch {
                throw ReviewFailure(error)
            }
        }
        if let from, let to {
            let request = RangeRequest.commits(base: try commit(from), head: try commit(to))
            return [PushRanges.Entry(request: request, refs: [branch], basis: "pre-commit's range")]
        }
        if let to {
            return [PushRanges.Entry(request: .commit(try commit(to)), refs: [branch], basis: "its last commit")]
        }
        return [PushRanges.Entry(request: .worktree, refs: ["the working tree"], basis: "HEAD")]
    }
}
