import Foundation
internal import CGit2

/// Writes git trees and worktree files into a snapshot directory with plain POSIX calls.
struct TreeWriter {
    let repository: Repository
    let root: String
    /// Another snapshot's directory whose unchanged files are hard-linked instead of written.
    let sharedRoot: String?
    private(set) var count = 0
    /// Files hard-linked from `sharedRoot`.
    private(set) var linked = 0

    init(repository: Repository, root: String, sharedRoot: String? = nil) {
        self.repository = repository
        self.root = root
        self.sharedRoot = sharedRoot
    }

    /// Writes `tree` below `prefix` (raw path bytes relative to the root, no trailing `/`).
    ///
    /// - Parameter mirror: the tree at the same prefix in the snapshot at `sharedRoot`; a
    ///   file with the same blob and mode there is hard-linked, not inflated and written.
    mutating func write(tree: OpaquePointer, prefix: [UInt8], mirror: OpaquePointer? = nil) throws(GitError) {
        let entries = git_tree_entrycount(tree)
        for index in 0..<entries {
            guard let entry = git_tree_entry_byindex(tree, index), let namePointer = git_tree_entry_name(entry) else {
                continue
            }
            let name = GitPath(cString: namePointer).bytes
            // A hostile tree could name "." or ".."; never write outside the snapshot.
            if name.isEmpty || name == [0x2E] || name == [0x2E, 0x2E] || name.contains(0x2F) { continue }
            let relative = prefix.isEmpty ? name : prefix + [0x2F] + name
            let path = TreeWriter.join(root, relative)
            let mode = UInt32(git_tree_entry_filemode(entry).rawValue)
            guard let oid = git_tree_entry_id(entry) else { continue }
            let twin = mirror.flatMap { git_tree_entry_byname($0, namePointer) }
            let twinMode = twin.map { UInt32(git_tree_entry_filemode($0).rawValue) }
            switch mode {
            case 0o040000:
                try TreeWriter.makeDirectory(path)
                try repository.withSubtree(entry) { (subtree) throws(GitError) in
                    // A mirror that is not a directory or cannot be read only means no hard links below.
                    try repository.withSubtree(ifPresent: twinMode == 0o040000 ? twin : nil) { (mirrorSubtree) throws(GitError) in
                        try write(tree: subtree, prefix: relative, mirror: mirrorSubtree)
                    }
                }
            case 0o160000:
                try TreeWriter.makeDirectory(path)
                count += 1
            case 0o120000:
                let target = try repository.withBlob(oid, Repository.content)
                try TreeWriter.makeSymlink(path, target: target)
                count += 1
            case _ where (mode == 0o100644 || mode == 0o100755) && twinMode == mode
                && twin.flatMap(git_tree_entry_id).map({ git_oid_equal($0, oid) != 0 }) == true
                && linkShared(relative, to: path):
                count += 1
                linked += 1
            default:
                try repository.withBlob(oid) { (blob) throws(GitError) in
                    let size = Int(git_blob_rawsize(blob))
                    try TreeWriter.writeFile(path, bytes: git_blob_rawcontent(blob), count: size, executable: mode == 0o100755)
                }
                count += 1
            }
        }
    }

    /// Hard-links the file at `relative` in the shared snapshot to `path`; false when the
    /// link cannot be made (another file system, a missing file), and the caller writes it.
    private func linkShared(_ relative: [UInt8], to path: [UInt8]) -> Bool {
        guard let sharedRoot else { return false }
        let source = TreeWriter.join(sharedRoot, relative)
        return TreeWriter.withCPath(source) { from in TreeWriter.withCPath(path) { link(from, $0) == 0 } }
    }

    /// Brings a snapshot of `HEAD` to the worktree's state by replaying the worktree diff.
    static func applyWorktreeChanges(_ files: [FileChange], from workdir: String, into root: String) throws(GitError)
        -> Int
    {
        let workdirRoot = workdir.hasSuffix("/") ? String(workdir.dropLast()) : workdir
        var written = 0
        for file in files {
            if let old = file.oldPath, file.status == .deleted || file.status == .renamed || file.status == .typechange {
                let path = join(root, old.bytes)
                _ = withCPath(path) { unlink($0) != 0 && errno == EISDIR ? rmdir($0) : 0 }
            }
            guard let new = file.newPath else { continue }
            let source = join(workdirRoot, new.bytes)
            let target = join(root, new.bytes)
            try makeParents(of: new.bytes, under: root)
            _ = withCPath(target) { unlink($0) }
            var info = stat()
            guard withCPath(source, { lstat($0, &info) }) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let capacity = buffer.count - 1
                let length = withCPath(source) { readlink($0, &buffer, capacity) }
                guard length >= 0 else { continue }
                try makeSymlink(target, target: buffer[0..<length].map { UInt8(bitPattern: $0) })
            case S_IFDIR:
                try makeDirectory(target)
            default:
                try copyFile(source, to: target, executable: (info.st_mode & S_IXUSR) != 0)
            }
            written += 1
        }
        return written
    }

    private static func copyFile(_ source: [UInt8], to target: [UInt8], executable: Bool) throws(GitError) {
        let contents = try readFile(source)
        let failure: GitError? = contents.withUnsafeBytes { buffer in
            do throws(GitError) {
                try writeFile(target, bytes: buffer.baseAddress, count: buffer.count, executable: executable)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Reads a whole file given as raw path bytes.
    static func readFile(_ source: [UInt8]) throws(GitError) -> [UInt8] {
        let input = withCPath(source) { open($0, O_RDONLY | O_CLOEXEC) }
        guard input >= 0 else { throw .io(path: display(source), message: String(cString: strerror(errno))) }
        defer { close(input) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(path: display(source), message: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
        }
        return contents
    }

    // MARK: - POSIX helpers

    /// Joins a root directory and a relative path into raw bytes: a path that is not UTF-8
    /// cannot round-trip through `String`, so every file-system call here takes bytes.
    static func join(_ root: String, _ relative: [UInt8]) -> [UInt8] {
        var bytes = Array(root.utf8)
        bytes.append(0x2F)
        bytes.append(contentsOf: relative)
        return bytes
    }

    /// Calls `body` with `path` as a NUL-terminated C string.
    static func withCPath<T>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        var terminated = path.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return body(terminated)
    }

    static func display(_ path: [UInt8]) -> String {
        GitPath(bytes: path).description
    }

    private static func makeParents(of relative: [UInt8], under root: String) throws(GitError) {
        var components = relative.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        components.removeLast()
        var prefix: [UInt8] = []
        for component in components {
            prefix = prefix.isEmpty ? component : prefix + [0x2F] + component
            let path = join(root, prefix)
            var info = stat()
            if withCPath(path, { lstat($0, &info) }) == 0 {
                if (info.st_mode & S_IFMT) == S_IFDIR { continue }
                _ = withCPath(path) { unlink($0) }
            }
            try makeDirectory(path)
        }
    }

    static func makeDirectory(_ path: [UInt8]) throws(GitError) {
        let failed = withCPath(path) { mkdir($0, 0o755) != 0 && errno != EEXIST }
        if failed { throw .io(path: display(path), message: String(cString: strerror(errno))) }
        // The umask must not make the tree unreadable for the sandbox's user.
        _ = withCPath(path) { chmod($0, 0o755) }
    }

    static func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(GitError) {
        let failed = withCPath(path) { link in
            withCPath(target) { symlink($0, link) != 0 }
        }
        if failed { throw .io(path: display(path), message: String(cString: strerror(errno))) }
    }

    static func writeFile(_ path: [UInt8], bytes: UnsafeRawPointer?, count: Int, executable: Bool) throws(GitError) {
        let descriptor = withCPath(path) {
            open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, executable ? 0o755 : 0o644)
        }
        guard descriptor >= 0 else {
            throw .io(path: display(path), message: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        _ = fchmod(descriptor, executable ? 0o755 : 0o644)
        var offset = 0
        while offset < count, let bytes {
            let written = Foundation.write(descriptor, bytes + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path: display(path), message: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}

