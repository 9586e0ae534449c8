import ReviewGit

/// The ranges a pre-push hook reviews, for the CLI.
public enum PushReview {
    /// Parses git's pre-push stdin for the repository around `directory`.
    public static func ranges(_ input: String, remote: String, directory: String) throws(ReviewFailure) -> (
        [PushRanges.Entry], [String]
    ) {
        do {
            let repository = try Repository.discover(from: directory)
            if repository.hasNoCommits { return ([], []) }
            let parsed = PushRanges.parse(input, remote: remote, repository: repository)
            return (parsed.entries, parsed.notes)
        } catch {
            throw ReviewFailure(error)
        }
    }

    /// The range the pre-commit framework passes to a pre-push hook: `FROM..TO`, only `TO`
    /// (its first push of a root commit: that commit), or the worktree at commit time.
    public static func preCommitRange(_ environment: [String: String]) -> [PushRanges.Entry] {
        let from = environment["PRE_COMMIT_FROM_REF"].flatMap { $0.isEmpty ? nil : $0 }
        let to = environment["PRE_COMMIT_TO_REF"].flatMap { $0.isEmpty ? nil : $0 }
        let branch = environment["PRE_COMMIT_LOCAL_BRANCH"] ?? "the pushed commits"
        if let from, let to {
            return [PushRanges.Entry(spec: "\(from)..\(to)", refs: [branch], basis: "pre-commit's range")]
        }
        if let to {
            return [PushRanges.Entry(spec: to, refs: [branch], basis: "its last commit")]
        }
        return [PushRanges.Entry(spec: "worktree", refs: ["the working tree"], basis: "HEAD")]
    }
}
