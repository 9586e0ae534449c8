import ReviewGit

/// What a push asks to review, from the lines git gives a pre-push hook on stdin:
/// `<local ref> <local sha> <remote ref> <remote sha>`.
public enum PushRanges {
    /// One reviewable range of a push.
    public struct Entry: Hashable, Sendable {
        /// The range: two commits (or one commit and its parent), by id.
        public var request: RangeRequest
        /// The local refs this range covers.
        public var refs: [String]
        /// How the base was chosen, for the report.
        public var basis: String

        /// Creates an entry.
        public init(request: RangeRequest, refs: [String], basis: String) {
            self.request = request
            self.refs = refs
            self.basis = basis
        }
    }

    /// The distinct ranges to review, and notes on what was skipped.
    ///
    /// - Deleted refs (local sha all zeros) are skipped.
    /// - An existing remote ref is reviewed from its old commit.
    /// - A new branch (remote sha all zeros, or an old commit we do not have) is reviewed
    ///   from its merge base with the remote's default branch (`refs/remotes/<remote>/HEAD`,
    ///   else `<remote>/main` or `<remote>/master`, else local `main` or `master`), else from
    ///   the first commit not on any remote-tracking ref; never the whole history.
    public static func parse(_ input: String, remote: String, repository: Repository) -> (
        entries: [Entry], notes: [String]
    ) {
        var entries: [Entry] = []
        var notes: [String] = []
        for rawLine in input.split(whereSeparator: \.isNewline) {
            let fields = rawLine.split(separator: " ").map(String.init)
            guard fields.count == 4 else { continue }
            let (localRef, localSHA, _, remoteSHA) = (fields[0], ObjectID(hex: fields[1]), fields[2], ObjectID(hex: fields[3]))
            if localSHA.isZero {
                notes.append("\(fields[2]) is deleted: nothing to review")
                continue
            }
            let entry: Entry
            if !remoteSHA.isZero && repository.hasCommit(remoteSHA) {
                entry = Entry(
                    request: .commits(base: remoteSHA, head: localSHA), refs: [localRef], basis: "the remote's \(fields[2])")
            } else {
                entry = newBranch(localSHA, ref: localRef, remote: remote, repository: repository)
            }
            if let index = entries.firstIndex(where: { $0.request == entry.request }) {
                entries[index].refs.append(localRef)
            } else {
                entries.append(entry)
            }
        }
        return (entries, notes)
    }

    private static func newBranch(_ tip: ObjectID, ref: String, remote: String, repository: Repository) -> Entry {
        let candidates: [(String, ObjectID?)] = [
            ("\(remote)/HEAD", repository.remoteDefaultBranch(remote)),
            ("\(remote)/main", repository.commit(named: "refs/remotes/\(remote)/main")),
            ("\(remote)/master", repository.commit(named: "refs/remotes/\(remote)/master")),
            ("main", repository.commit(named: "refs/heads/main")),
            ("master", repository.commit(named: "refs/heads/master")),
        ]
        for (name, commit) in candidates {
            guard let commit, commit != tip, let base = repository.mergeBase(of: commit, and: tip) else { continue }
            return Entry(request: .commits(base: base, head: tip), refs: [ref], basis: "the merge base with \(name)")
        }
        let remotes = repository.remoteTrackingReferences
        if !remotes.isEmpty, let base = repository.baseOfUnpublishedCommits(from: tip, hiding: remotes), base != tip {
            return Entry(
                request: .commits(base: base, head: tip), refs: [ref], basis: "the commits on no remote-tracking ref")
        }
        return Entry(
            request: .commit(tip), refs: [ref], basis: "its last commit (no published history to compare with)")
    }
}
