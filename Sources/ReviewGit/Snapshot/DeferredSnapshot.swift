import Synchronization

/// A revision's snapshot written on first use, by whichever thread asks first; the others
/// wait for it. It opens a repository handle of its own only then, so concurrent tasks can
/// share it while the caller keeps its own handle, and a review that never needs it opens
/// nothing.
public final class DeferredSnapshot: Sendable {
    private let gitDirectory: String
    private let commit: ObjectID?
    private let sharing: Snapshot?
    private let made = Mutex<Snapshot?>(nil)

    fileprivate init(gitDirectory: String, commit: ObjectID?, sharing: Snapshot?) {
        self.gitDirectory = gitDirectory
        self.commit = commit
        self.sharing = sharing
    }

    /// The snapshot's root, written now if it was not yet; `nil` when there is no commit
    /// (a range that starts at the empty tree).
    public func root() throws(GitError) -> String? {
        guard let commit else { return nil }
        return try made.withLock { (made) throws(GitError) -> String in
            if let made { return made.root }
            let snapshot = try Repository.reopen(gitDirectory).materialize(.commit(commit), sharingWith: sharing)
            made = snapshot
            return snapshot.root
        }
    }
}

extension Repository {
    /// A snapshot of `commit` that is written only when first asked for; it hard-links the
    /// files `sharing` already holds (see ``materialize(_:sharingWith:)``).
    public func deferredSnapshot(of commit: ObjectID?, sharingWith sharing: Snapshot?) -> DeferredSnapshot {
        DeferredSnapshot(gitDirectory: gitDirectory, commit: commit, sharing: sharing)
    }
}
