import Foundation
internal import CGit2

/// A revision written out as plain files in a private temporary directory.
///
/// Regular files keep their executable bit, symlinks stay symlinks, and submodules
/// become empty directories. The directory is removed when the snapshot is released,
/// at process exit, and on SIGINT/SIGTERM. The user's worktree, index and refs are
/// never touched: content comes from the object database (or, for the worktree side,
/// is copied from the working tree).
public final class Snapshot: Sendable {
    /// The absolute path of the directory that holds the files, without a trailing `/`.
    public let root: String
    /// The private directory that contains `root`, removed with the snapshot.
    let container: String
    /// The revision the files come from.
    public let revision: Revision
    /// Number of files, symlinks and submodule directories written.
    public let entryCount: Int

    init(container: String, root: String, revision: Revision, entryCount: Int) {
        self.container = container
        self.root = root
        self.revision = revision
        self.entryCount = entryCount
    }

    deinit {
        TemporaryDirectories.remove(container)
    }
}

extension Repository {
    /// Writes a revision's files into a fresh private directory.
    ///
    /// - Parameter revision: a commit, or ``Revision/worktree`` for `HEAD` plus the
    ///   uncommitted (staged, unstaged and untracked, not ignored) changes.
    /// - Returns: the snapshot; its directory lives as long as the returned object.
    /// - Throws: a library error or ``GitError/io(path:message:)``.
    public func materialize(_ revision: Revision) throws(GitError) -> Snapshot {
        try materialize(revision, sharingWith: nil)
    }

    /// Writes a revision's files, hard-linking from `other` every file that is the same blob
    /// with the same mode at the same path there (so base and head share unchanged files
    /// instead of holding two full trees). Both snapshots are read-only to the sandbox, and
    /// review never writes into a snapshot after creating it, so a shared inode is safe.
    ///
    /// - Parameter other: a snapshot of a commit (a worktree snapshot is not shared from).
    public func materialize(_ revision: Revision, sharingWith other: Snapshot?) throws(GitError) -> Snapshot {
        // The parent may be passed through but not listed (0711): bwrap resolves the mount
        // source as the sandbox's unprivileged uid. The tree is world-readable (0755) so
        // that uid can read it at its mount point.
        let container = try TemporaryDirectories.make(prefix: "review-snapshot-")
        chmod(container, 0o711)
        let root = container + "/tree"
        do throws(GitError) {
            try TreeWriter.makeDirectory(Array(root.utf8))
            chmod(root, 0o755)
            let count: Int
            if case .commit(let id) = revision, let other, case .commit(let otherID) = other.revision {
                count = try writeTree(of: id, into: root, sharingWith: (other.root, otherID))
            } else {
                count = try export(revision, into: root)
            }
            return Snapshot(container: container, root: root, revision: revision, entryCount: count)
        } catch {
            TemporaryDirectories.remove(container)
            throw error
        }
    }

    /// Writes a revision's files into an existing, empty directory that the caller owns
    /// (used by `review export`); unlike ``materialize(_:)`` nothing is removed afterwards.
    ///
    /// - Returns: the number of files, symlinks and submodule directories written.
    public func export(_ revision: Revision, into directory: String) throws(GitError) -> Int {
        switch revision {
        case .commit(let id):
            return try writeTree(of: id, into: directory)
        case .worktree:
            guard let workdir = workingDirectory else {
                throw GitError.bareRepository(operation: "exporting the worktree")
            }
            let headID = try commitID(of: "HEAD", range: "HEAD")
            let written = try writeTree(of: headID, into: directory)
            let changes = try changes(in: ResolvedRange(base: headID, head: .worktree, spec: "worktree"))
            return written + (try TreeWriter.applyWorktreeChanges(changes.files, from: workdir, into: directory))
        }
    }

    private func writeTree(
        of commit: ObjectID, into root: String, sharingWith shared: (root: String, commit: ObjectID)? = nil
    ) throws(GitError) -> Int {
        var writer = TreeWriter(repository: self, root: root, sharedRoot: shared?.root)
        try withTree(of: commit) { (tree) throws(GitError) in
            try withOptionalTree(of: shared?.commit) { (mirror) throws(GitError) in
                try writer.write(tree: tree, prefix: [], mirror: mirror)
            }
        }
        return writer.count
    }
}
