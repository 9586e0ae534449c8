internal import CGit2

/// One file of a revision's tree.
public struct TreeEntry: Hashable, Sendable {
    /// The kind of file.
    public var mode: FileMode
    /// The blob id (a commit id for submodules).
    public var id: ObjectID
}

/// Every file of a revision by path, read from the object database without writing
/// anything: enough to plan a review (find tests, packages, shebangs) before, or without,
/// materializing the revision.
public struct TreeListing: Sendable {
    /// Files by repository-relative path; paths that are not UTF-8 are left out.
    public let entries: [String: TreeEntry]
}

extension Repository {
    /// Lists the files of a commit's tree.
    public func listing(of commit: ObjectID) throws(GitError) -> TreeListing {
        var entries: [String: TreeEntry] = [:]
        try withTree(of: commit) { (tree) throws(GitError) in try collect(tree, prefix: "", into: &entries) }
        return TreeListing(entries: entries)
    }

    private func collect(_ tree: OpaquePointer, prefix: String, into entries: inout [String: TreeEntry]) throws(GitError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let rawName = git_tree_entry_name(entry),
                let oid = git_tree_entry_id(entry)
            else { continue }
            guard let name = GitPath(cString: rawName).string else { continue }
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let mode = UInt32(git_tree_entry_filemode(entry).rawValue)
            if mode == 0o040000 {
                try withSubtree(entry) { (subtree) throws(GitError) in try collect(subtree, prefix: path, into: &entries) }
            } else if let fileMode = FileMode(rawMode: mode) {
                entries[path] = TreeEntry(mode: fileMode, id: ObjectID(oid.pointee))
            }
        }
    }

    /// The content of a blob.
    public func blob(_ id: ObjectID) throws(GitError) -> [UInt8] {
        var oid = id.raw
        return try withBlob(&oid, Self.content)
    }

    /// The bytes of a blob handle.
    static func content(of blob: OpaquePointer) -> [UInt8] {
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }
}
