import ReviewGit

/// What a push asks to review, from the lines git gives a pre-push hook on stdin:
/// `<local ref> <local sha> <remote ref> <remote sha>`.
public enum PushRanges {
    /// One reviewable range of a push.
    public struct Entry: Hashable, Sendable {
        /// The range, as revisions review resolves (`base..head`, or one commit).
        public var spec: String
        /// The local refs this range covers.
        public var refs: [String]
        /// How the base was chosen, for the report.
        public var basis: String

        /// Creates an entry.
        public init(spec: String, refs: [String], basis: String) {
            self.spec = spec
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
                entry = Entry(spec: "\(remoteSHA.hex)..\(localSHA.hex)", refs: [localRef], basis: "the remote's \(fields[2])")
            } else {
                entry = newBranch(localSHA, ref: localRef, remote: remote, repository: repository)
            }
            if let index = entries.firstIndex(where: { $0.spec == entry.spec }) {
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
            return Entry(spec: "\(base.hex)..\(tip.hex)", refs: [ref], basis: "the merge base with \(name)")
        }
        let remotes = repository.remoteTrackingReferences
        if !remotes.isEmpty, let base = repository.baseOfUnpublishedCommits(from: tip, hiding: remotes), base != tip {
            return Entry(spec: "\(base.hex)..\(tip.hex)", refs: [ref], basis: "the commits on no remote-tracking ref")
        }
        return Entry(spec: tip.hex, refs: [ref], basis: "its last commit (no published history to compare with)")
    }
}
