import ReviewGit

/// Resolves a range in a repository and returns its change set: the work behind `review --plan`.
public enum ChangePlanner {
    /// Opens the repository around `directory`, resolves `request` and computes the changes.
    ///
    /// - Parameters:
    ///   - directory: any directory inside the repository.
    ///   - request: the range to review.
    /// - Throws: ``ReviewFailure`` with exit status 2 for input errors, 3 for git failures.
    public static func changeSet(in directory: String, for request: RangeRequest) throws(ReviewFailure) -> ChangeSet {
        do {
            let repository = try Repository.discover(from: directory)
            let range = try repository.resolve(request)
            if range.isTriviallyEmpty { return ChangeSet(range: range, files: []) }
            return try repository.changes(in: range)
        } catch {
            throw ReviewFailure(error)
        }
    }
}
