import Foundation
internal import CGit2

extension Repository {
    /// Computes the files that differ between the two sides of a range.
    ///
    /// Matches `git diff -M -U0 <base> <head>` exactly: libgit2 lists the changed paths,
    /// then renames are paired with git's own algorithm and scores (``RenameDetector``),
    /// copies are not searched for (as with `-M`), type changes stay single entries, a
    /// file is binary when either side has a NUL byte in its first 8000 bytes and the
    /// content changed, and hunks have no context lines (with git's indent heuristic).
    /// For the worktree side, untracked files that are not ignored count as added, so a
    /// new module is reviewed before it is staged.
    ///
    /// - Parameter range: a range from ``resolve(_:)``.
    /// - Throws: a library error when an object cannot be read.
    public func changes(in range: ResolvedRange) throws(GitError) -> ChangeSet {
        let entries = try rawEntries(in: range)
        let workdir = range.head == .worktree ? workingDirectory : nil
        let reader = ContentReader(repository: self, workdir: workdir)
        let paired = try pairRenames(entries, reader: reader)
        var files: [FileChange] = []
        files.reserveCapacity(paired.count)
        for entry in paired {
            files.append(try reader.fileChange(for: entry))
        }
        return ChangeSet(range: range, files: files)
    }

    /// The renamed limit git uses (`diff.renameLimit`, default 1000).
    var renameLimit: Int {
        let limit = withConfigSnapshot { config -> Int? in
            var value: Int32 = 0
            return succeeded(git_config_get_int32(&value, config, "diff.renameLimit")) ? Int(value) : nil
        }
        return limit ?? 1000
    }

    /// The changed paths from libgit2, before rename pairing, in path order.
    func rawEntries(in range: ResolvedRange) throws(GitError) -> [RawEntry] {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        var flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        if range.head == .worktree {
            flags |= GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
        }
        options.flags = flags
        options.ignore_submodules = GIT_SUBMODULE_IGNORE_DIRTY

        return try withOptionalTree(of: range.base) { (baseTree) throws(GitError) in
            switch range.head {
            case .commit(let id):
                return try withTree(of: id) { (headTree) throws(GitError) in
                    try withHandle(
                        "git_diff_tree_to_tree", make: { git_diff_tree_to_tree(&$0, pointer, baseTree, headTree, &options) },
                        free: git_diff_free, Self.entries)
                }
            case .worktree:
                return try withHandle(
                    "git_diff_tree_to_workdir_with_index",
                    make: { git_diff_tree_to_workdir_with_index(&$0, pointer, baseTree, &options) }, free: git_diff_free,
                    Self.entries)
            }
        }
    }

    /// The deltas of a diff as raw entries.
    private static func entries(of diff: OpaquePointer) -> [RawEntry] {
        var entries: [RawEntry] = []
        let count = git_diff_num_deltas(diff)
        entries.reserveCapacity(count)
        for index in 0..<count {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let status: ChangeStatus
            switch delta.status {
            case GIT_DELTA_ADDED, GIT_DELTA_UNTRACKED: status = .added
            case GIT_DELTA_DELETED: status = .deleted
            case GIT_DELTA_TYPECHANGE: status = .typechange
            case GIT_DELTA_MODIFIED: status = .modified
            default: continue
            }
            let old = status == .added ? nil : RawSide(delta.old_file)
            let new = status == .deleted ? nil : RawSide(delta.new_file)
            entries.append(RawEntry(status: status, old: old, new: new, score: nil))
        }
        return entries
    }

    /// Joins deletions and additions into renames, as `git diff -M` does.
    private func pairRenames(_ entries: [RawEntry], reader: ContentReader) throws(GitError) -> [RawEntry] {
        var sourceEntries: [Int] = []
        var destinationEntries: [Int] = []
        for (index, entry) in entries.enumerated() {
            if entry.status == .deleted { sourceEntries.append(index) }
            if entry.status == .added { destinationEntries.append(index) }
        }
        guard !sourceEntries.isEmpty, !destinationEntries.isEmpty else { return entries }
        var detector = RenameDetector()
        detector.renameLimit = renameLimit
        let sources = sourceEntries.map { entries[$0].old!.candidate }
        var destinations: [RenameDetector.Candidate] = []
        for index in destinationEntries {
            let side = entries[index].new!
            var candidate = side.candidate
            if side.id == nil { candidate.id = try reader.hash(of: side) }
            destinations.append(candidate)
        }
        let pairs = try detector.detect(sources: sources, destinations: destinations) {
            (candidate, isDestination) throws(GitError) -> [UInt8] in
            try reader.bytes(
                of: RawSide(path: candidate.path, mode: candidate.mode, id: candidate.id), isNewSide: isDestination)
        }
        guard !pairs.isEmpty else { return entries }
        var result = entries
        var dropped = Set<Int>()
        for pair in pairs {
            let sourceIndex = sourceEntries[pair.source]
            let destinationIndex = destinationEntries[pair.destination]
            result[destinationIndex] = RawEntry(
                status: .renamed, old: entries[sourceIndex].old, new: entries[destinationIndex].new,
                score: pair.score)
            dropped.insert(sourceIndex)
        }
        return result.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
    }
}

/// One side of a changed path, copied out of a `git_diff_file`.
struct RawSide {
    var path: [UInt8]
    var mode: UInt32
    /// The blob id, or `nil` for a worktree file libgit2 did not hash.
    var id: ObjectID?

    init(path: [UInt8], mode: UInt32, id: ObjectID?) {
        self.path = path
        self.mode = mode
        self.id = id
    }

    init(_ file: git_diff_file) {
        path = file.path.map { GitPath(cString: $0).bytes } ?? []
        mode = UInt32(file.mode)
        let valid = (file.flags & GIT_DIFF_FLAG_VALID_ID.rawValue) != 0
        let id = ObjectID(file.id)
        self.id = valid && !id.isZero ? id : nil
    }

    var candidate: RenameDetector.Candidate {
        RenameDetector.Candidate(path: path, mode: mode, id: id ?? ObjectID(hex: String(repeating: "0", count: 40)))
    }

    var isGitlink: Bool { mode == 0o160000 }
}

/// A changed path before it becomes a ``FileChange``.
struct RawEntry {
    var status: ChangeStatus
    var old: RawSide?
    var new: RawSide?
    /// Git's similarity score (0...60000) for renames.
    var score: Int?
}

/// Receives hunk headers from libgit2's callback.
private final class HunkCollector {
    var hunks: [Hunk] = []
}

/// Reads the content of either side: blobs from the object database, worktree files from disk.
///
/// Blobs are cached by id for the life of one ``Repository/changes(in:)`` call, so a file
/// compared during rename detection is not inflated again for its hunks.
final class ContentReader {
    let repository: Repository
    /// The worktree root when the new side is the worktree.
    let workdir: String?
    private var blobs: [ObjectID: [UInt8]]

    init(repository: Repository, workdir: String?, cache: [ObjectID: [UInt8]] = [:]) {
        self.repository = repository
        self.workdir = workdir
        self.blobs = cache
    }

    /// The blobs read so far, to seed the readers of other threads.
    var cachedBlobs: [ObjectID: [UInt8]] { blobs }

    /// The bytes of a side: a blob, a symlink target, or a worktree file.
    func bytes(of side: RawSide, isNewSide: Bool) throws(GitError) -> [UInt8] {
        if isNewSide, let workdir, !side.isGitlink {
            return try worktreeBytes(side, root: workdir)
        }
        guard let id = side.id, !side.isGitlink else { return [] }
        if let cached = blobs[id] { return cached }
        var oid = id.raw
        let found = withOptionalHandle(
            make: { git_blob_lookup(&$0, repository.pointer, &oid) }, free: git_blob_free, Repository.content)
        guard let bytes = found else {
            // A worktree file found only through the rename search (never hashed into the odb).
            if let workdir { return try worktreeBytes(side, root: workdir) }
            throw GitError.library(function: "git_blob_lookup", code: -1, message: "blob \(id.hex) not found")
        }
        blobs[id] = bytes
        return bytes
    }

    private func worktreeBytes(_ side: RawSide, root: String) throws(GitError) -> [UInt8] {
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        let path = TreeWriter.join(base, side.path)
        if side.mode == 0o120000 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let capacity = buffer.count - 1
            let length = TreeWriter.withCPath(path) { readlink($0, &buffer, capacity) }
            guard length >= 0 else { return [] }
            return buffer[0..<length].map { UInt8(bitPattern: $0) }
        }
        return try TreeWriter.readFile(path)
    }

    /// The blob id the content of a worktree side would have (without writing it).
    func hash(of side: RawSide) throws(GitError) -> ObjectID {
        if side.isGitlink { return side.id ?? ObjectID(hex: String(repeating: "0", count: 40)) }
        let content = try bytes(of: side, isNewSide: true)
        var oid = git_oid()
        try check(
            content.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }, "git_odb_hash")
        return ObjectID(oid)
    }

    /// Builds the final value for an entry, with hunks computed by libgit2's xdiff.
    func fileChange(for entry: RawEntry) throws(GitError) -> FileChange {
        let old = entry.old
        let new = entry.new
        var isBinary = false
        var hunks: [Hunk] = []
        let sameContent = old != nil && new != nil && old?.id != nil && old?.id == new?.id
        if sameContent, let new, !new.isGitlink {
            // An exact rename or a mode change: no hunks, but git still counts a binary
            // file as binary (`git diff --numstat` prints `-\t-`).
            isBinary = SimilarityIndex.isBinary(try bytes(of: new, isNewSide: true))
        } else if !sameContent {
            if let old, let new, entry.status == .typechange {
                // Git prints a type change as a deletion and an addition; keep both halves.
                let (oldBinary, oldHunks) = try diff(old, nil)
                let (newBinary, newHunks) = try diff(nil, new)
                isBinary = oldBinary || newBinary
                hunks = oldHunks + newHunks
            } else {
                (isBinary, hunks) = try diff(old, new)
            }
        }
        let similarity = entry.score.map { $0 * 100 / SimilarityIndex.maxScore }
        return FileChange(
            status: entry.status,
            oldPath: old.map { GitPath(bytes: $0.path) },
            newPath: new.map { GitPath(bytes: $0.path) },
            oldMode: old.flatMap { FileMode(rawMode: $0.mode) },
            newMode: new.flatMap { FileMode(rawMode: $0.mode) },
            oldID: old?.id,
            newID: new?.id,
            similarity: similarity,
            isBinary: isBinary,
            hunks: hunks)
    }

    /// Zero-context hunks between two sides (either may be absent), or binary.
    private func diff(_ old: RawSide?, _ new: RawSide?) throws(GitError) -> (Bool, [Hunk]) {
        if old?.isGitlink == true || new?.isGitlink == true {
            // Git shows a submodule as one "Subproject commit <id>" line per side.
            let oldLines = old?.isGitlink == true ? 1 : 0
            let newLines = new?.isGitlink == true ? 1 : 0
            if old != nil && new != nil && !(old!.isGitlink && new!.isGitlink) {
                // A type change between a gitlink and a file: each half on its own.
                let (a, first) = try diff(old, nil)
                let (b, second) = try diff(nil, new)
                return (a || b, first + second)
            }
            return (
                false,
                [Hunk(oldStart: oldLines, oldLines: oldLines, newStart: newLines, newLines: newLines)]
            )
        }
        // The new blob first: in a pack it is usually a delta against the old one, and
        // resolving it leaves the old one in libgit2's delta-base cache.
        let newBytes = try new.map { side throws(GitError) in try bytes(of: side, isNewSide: true) } ?? []
        let oldBytes = try old.map { side throws(GitError) in try bytes(of: side, isNewSide: false) } ?? []
        if SimilarityIndex.isBinary(oldBytes) || SimilarityIndex.isBinary(newBytes) {
            return (true, [])
        }
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.context_lines = 0
        options.interhunk_lines = 0
        options.flags = GIT_DIFF_FORCE_TEXT.rawValue | GIT_DIFF_INDENT_HEURISTIC.rawValue
        // Only the hunk headers are needed, so use the callback API rather than a patch
        // object that would also store every line.
        let collector = HunkCollector()
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        let code = oldBytes.withUnsafeBytes { oldBuffer in
            newBytes.withUnsafeBytes { newBuffer in
                git_diff_buffers(
                    oldBuffer.baseAddress, oldBuffer.count, nil, newBuffer.baseAddress, newBuffer.count, nil,
                    &options, nil, nil,
                    { _, hunk, payload in
                        guard let hunk = hunk?.pointee, let payload else { return 0 }
                        let collector = Unmanaged<HunkCollector>.fromOpaque(payload).takeUnretainedValue()
                        collector.hunks.append(
                            Hunk(
                                oldStart: Int(hunk.old_start), oldLines: Int(hunk.old_lines),
                                newStart: Int(hunk.new_start), newLines: Int(hunk.new_lines)))
                        return 0
                    }, nil, payload)
            }
        }
        try check(code, "git_diff_buffers")
        let hunks = withExtendedLifetime(collector) { collector.hunks }
        return (false, hunks)
    }
}

extension Repository {
    /// The id of a commit's tree: two commits with the same tree have the same files.
    public func treeID(of commit: ObjectID) throws(GitError) -> ObjectID {
        try withTree(of: commit) { (tree) throws(GitError) -> ObjectID in
            guard let id = git_tree_id(tree) else {
                throw .library(function: "git_tree_id", code: -1, message: "tree has no id")
            }
            return ObjectID(id.pointee)
        }
    }
}
