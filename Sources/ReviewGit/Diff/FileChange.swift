/// How a file changed between the two sides of a range, as git names it.
public enum ChangeStatus: String, Sendable, Hashable, CaseIterable {
    /// The file exists only on the new side.
    case added
    /// The file exists on both sides with different content or mode.
    case modified
    /// The file exists only on the old side.
    case deleted
    /// The file moved (and possibly changed); see ``FileChange/similarity``.
    case renamed
    /// The file was copied from another file (and possibly changed).
    case copied
    /// The kind of the entry changed, e.g. a regular file became a symlink.
    case typechange

    /// The one-letter code of `git diff --raw`.
    public var letter: Character {
        switch self {
        case .added: return "A"
        case .modified: return "M"
        case .deleted: return "D"
        case .renamed: return "R"
        case .copied: return "C"
        case .typechange: return "T"
        }
    }
}

/// The kind of a tree entry, from its git file mode.
public enum FileMode: String, Sendable, Hashable, CaseIterable {
    /// A non-executable file, mode `100644`.
    case regular
    /// An executable file, mode `100755`.
    case executable
    /// A symbolic link, mode `120000`; the blob holds the link target.
    case symlink
    /// A submodule (gitlink), mode `160000`; the id is a commit in another repository.
    case submodule

    /// The octal mode as git prints it.
    public var octal: String {
        switch self {
        case .regular: return "100644"
        case .executable: return "100755"
        case .symlink: return "120000"
        case .submodule: return "160000"
        }
    }

    /// Maps a raw git mode; `nil` for "no entry" and for trees.
    init?(rawMode: UInt32) {
        switch rawMode {
        case 0o100644, 0o100664: self = .regular
        case 0o100755: self = .executable
        case 0o120000: self = .symlink
        case 0o160000: self = .submodule
        default: return nil
        }
    }
}

/// One hunk of a zero-context diff: the lines that changed, on both sides.
///
/// Lines are 1-based. A pure insertion has `oldLines == 0` and `oldStart` is the line
/// *after which* the new lines go (0 for the top of the file); a pure deletion has
/// `newLines == 0` likewise. This is exactly the `@@ -oldStart,oldLines +newStart,newLines @@`
/// header of `git diff -U0`.
///
/// For example, replacing line 7 of a file with two lines gives
/// `Hunk(oldStart: 7, oldLines: 1, newStart: 7, newLines: 2)`.
public struct Hunk: Hashable, Sendable {
    /// First changed line on the old side (1-based), or the line before an insertion.
    public var oldStart: Int
    /// Number of lines removed.
    public var oldLines: Int
    /// First changed line on the new side (1-based), or the line before a deletion.
    public var newStart: Int
    /// Number of lines added.
    public var newLines: Int

    /// Creates a hunk from its header numbers.
    public init(oldStart: Int, oldLines: Int, newStart: Int, newLines: Int) {
        self.oldStart = oldStart
        self.oldLines = oldLines
        self.newStart = newStart
        self.newLines = newLines
    }

    /// The new-side lines this hunk covers, for locating findings; a pure deletion maps to
    /// the line after which lines were removed (at least 1).
    public var newLineRange: ClosedRange<Int> {
        if newLines == 0 { return max(newStart, 1)...max(newStart, 1) }
        return newStart...(newStart + newLines - 1)
    }
}

/// One changed file in a range: everything git knows about it, copied out of libgit2.
public struct FileChange: Hashable, Sendable {
    /// How the file changed.
    public var status: ChangeStatus
    /// Path on the old side; `nil` when the file was added.
    public var oldPath: GitPath?
    /// Path on the new side; `nil` when the file was deleted.
    public var newPath: GitPath?
    /// Mode on the old side; `nil` when the file was added.
    public var oldMode: FileMode?
    /// Mode on the new side; `nil` when the file was deleted.
    public var newMode: FileMode?
    /// Blob id on the old side; `nil` when the file was added.
    public var oldID: ObjectID?
    /// Blob id on the new side; `nil` when deleted, or for a worktree file git has not hashed.
    public var newID: ObjectID?
    /// Similarity in percent (0...100) for renames and copies, else `nil`.
    public var similarity: Int?
    /// Whether git treats either side as binary (then there are no hunks).
    public var isBinary: Bool
    /// The changed line ranges, in order.
    public var hunks: [Hunk]

    /// Creates a file change.
    public init(
        status: ChangeStatus, oldPath: GitPath?, newPath: GitPath?, oldMode: FileMode?, newMode: FileMode?,
        oldID: ObjectID?, newID: ObjectID?, similarity: Int?, isBinary: Bool, hunks: [Hunk]
    ) {
        self.status = status
        self.oldPath = oldPath
        self.newPath = newPath
        self.oldMode = oldMode
        self.newMode = newMode
        self.oldID = oldID
        self.newID = newID
        self.similarity = similarity
        self.isBinary = isBinary
        self.hunks = hunks
    }

    /// The path that names the file in a review: the new path, or the old one for a deletion.
    public var path: GitPath {
        newPath ?? oldPath ?? GitPath(bytes: [])
    }

    /// Number of lines added over all hunks.
    public var addedLines: Int { hunks.reduce(0) { $0 + $1.newLines } }
    /// Number of lines removed over all hunks.
    public var removedLines: Int { hunks.reduce(0) { $0 + $1.oldLines } }
}

/// The two sides of a resolved range and the files that differ between them.
public struct ChangeSet: Hashable, Sendable {
    /// The resolved range the change set was computed for.
    public var range: ResolvedRange
    /// The changed files, in git's order (by path).
    public var files: [FileChange]

    /// Creates a change set.
    public init(range: ResolvedRange, files: [FileChange]) {
        self.range = range
        self.files = files
    }

    /// Whether nothing changed.
    public var isEmpty: Bool { files.isEmpty }
}
