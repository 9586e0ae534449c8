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
}
