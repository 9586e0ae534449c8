import Synchronization

/// A revision's snapshot written on first use, by whichever thread asks first; the others
/// wait for it. It holds a repository handle of its own, used only under its lock, so it
/// can be shared by concurrent tasks while the caller keeps its own handle.
public final class DeferredSnapshot: Sendable {
    private struct State {
        let repository: Repository
        let commit: ObjectID?
        let sharing: Snapshot?
        var made: Snapshot?
    }

    private let state: Mutex<State>

    fileprivate init(repository: sending Repository, commit: ObjectID?, sharing: Snapshot?) {
        state = Mutex(State(repository: repository, commit: commit, sharing: sharing))
    }

    /// The snapshot's root, written now if it was not yet; `nil` when there is no commit
    /// (a range that starts at the empty tree).
    public func root() throws(GitError) -> String? {
        try state.withLock { (state) throws(GitError) -> String? in
            guard let commit = state.commit else { return nil }
            if let made = state.made { return made.root }
            let made = try state.repository.materialize(.commit(commit), sharingWith: state.sharing)
            state.made = made
            return made.root
        }
    }
}

extension Repository {
    /// A snapshot of `commit` that is written only when first asked for; it hard-links the
    /// files `sharing` already holds (see ``materialize(_:sharingWith:)``).
    public func deferredSnapshot(of commit: ObjectID?, sharingWith sharing: Snapshot?) throws(GitError)
        -> DeferredSnapshot
    {
        DeferredSnapshot(repository: try openAnotherHandle(), commit: commit, sharing: sharing)
    }
}
