internal import CGit2

/// Runs `body` with a handle that `make` creates and `free` releases afterwards.
///
/// - Throws: the library error of `make` (named `function`), or what `body` throws.
func withHandle<T>(
    _ function: StaticString, make: (inout OpaquePointer?) -> Int32, free: (OpaquePointer) -> Void,
    _ body: (OpaquePointer) throws(GitError) -> T
) throws(GitError) -> T {
    var handle: OpaquePointer?
    try check(make(&handle), function)
    guard let handle else { throw .library(function: "\(function)", code: -1, message: "no object returned") }
    defer { free(handle) }
    return try body(handle)
}

/// Like ``withHandle(_:make:free:_:)`` for an object that may be missing: `nil` when
/// `make` fails (the failure is an answer, not an error).
func withOptionalHandle<T>(
    make: (inout OpaquePointer?) -> Int32, free: (OpaquePointer) -> Void, _ body: (OpaquePointer) -> T?
) -> T? {
    var handle: OpaquePointer?
    guard succeeded(make(&handle)), let handle else { return nil }
    defer { free(handle) }
    return body(handle)
}

/// Temporary libgit2 objects, each alive only inside the closure that uses it: nothing that
/// must be freed leaves the function that made it.
extension Repository {
    /// A commit, looked up by id.
    func withCommit<T>(_ id: ObjectID, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var oid = id.raw
        return try withHandle(
            "git_commit_lookup", make: { git_commit_lookup(&$0, pointer, &oid) }, free: git_commit_free, body)
    }

    /// A commit's tree.
    func withTree<T>(of commit: ObjectID, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        try withCommit(commit) { (commitHandle) throws(GitError) -> T in
            try withHandle("git_commit_tree", make: { git_commit_tree(&$0, commitHandle) }, free: git_tree_free, body)
        }
    }

    /// A commit's tree, or `nil` for no commit (the empty tree).
    func withOptionalTree<T>(of commit: ObjectID?, _ body: (OpaquePointer?) throws(GitError) -> T) throws(GitError) -> T {
        guard let commit else { return try body(nil) }
        return try withTree(of: commit) { (tree: OpaquePointer) throws(GitError) -> T in try body(tree) }
    }

    /// The tree a tree entry points to.
    func withSubtree<T>(_ entry: OpaquePointer, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        try withHandle(
            "git_tree_lookup",
            make: { git_tree_lookup(&$0, pointer, git_tree_entry_id(entry)) }, free: git_tree_free, body)
    }

    /// The tree an entry points to, or `nil` without an entry or when it cannot be read.
    func withSubtree<T>(ifPresent entry: OpaquePointer?, _ body: (OpaquePointer?) throws(GitError) -> T)
        throws(GitError) -> T
    {
        var handle: OpaquePointer?
        guard let entry, succeeded(git_tree_lookup(&handle, pointer, git_tree_entry_id(entry))), let handle else {
            return try body(nil)
        }
        defer { git_tree_free(handle) }
        return try body(handle)
    }

    /// A blob, looked up by id.
    func withBlob<T>(_ oid: UnsafePointer<git_oid>, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        try withHandle("git_blob_lookup", make: { git_blob_lookup(&$0, pointer, oid) }, free: git_blob_free, body)
    }

    /// A read-only snapshot of the repository's configuration; `nil` when it cannot be read.
    func withConfigSnapshot<T>(_ body: (OpaquePointer) -> T?) -> T? {
        withOptionalHandle(make: { git_repository_config_snapshot(&$0, pointer) }, free: git_config_free, body)
    }
}
