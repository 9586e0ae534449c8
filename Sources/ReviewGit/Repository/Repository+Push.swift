internal import CGit2

extension Repository {
    /// Whether a commit is in the object database.
    public func hasCommit(_ id: ObjectID) -> Bool {
        var oid = id.raw
        return withOptionalHandle(make: { git_commit_lookup(&$0, pointer, &oid) }, free: git_commit_free) { _ in true }
            ?? false
    }

    /// The commit a revision names.
    ///
    /// - Throws: an input error when it names nothing, or something that is not a commit.
    public func commitID(of revision: String) throws(GitError) -> ObjectID {
        try commitID(of: revision, range: revision)
    }

    /// The commit a reference or revision names, or `nil`.
    public func commit(named name: String) -> ObjectID? {
        try? commitID(of: name)
    }

    /// The merge base of two commits, or `nil` when they share no history.
    public func mergeBase(of left: ObjectID, and right: ObjectID) -> ObjectID? {
        try? mergeBase(left, right, range: "\(left.short)...\(right.short)")
    }

    /// The remote's default branch: the target of `refs/remotes/<remote>/HEAD`.
    public func remoteDefaultBranch(_ remote: String) -> ObjectID? {
        commit(named: "refs/remotes/\(remote)/HEAD")
    }

    /// The names of all remote-tracking references (`refs/remotes/...`).
    public var remoteTrackingReferences: [String] {
        var names = git_strarray()
        guard succeeded(git_reference_list(&names, pointer)) else { return [] }
        defer { git_strarray_dispose(&names) }
        var result: [String] = []
        for index in 0..<names.count {
            guard let name = names.strings[index].map({ String(cString: $0) }) else { continue }
            if name.hasPrefix("refs/remotes/") && !name.hasSuffix("/HEAD") { result.append(name) }
        }
        return result
    }

    /// The parent of the oldest commit reachable from `tip` but from none of `hidden`: the
    /// base that reviews exactly the commits nobody else has. `nil` when that is the whole
    /// history (no hidden ref shares any of it).
    public func baseOfUnpublishedCommits(from tip: ObjectID, hiding hidden: [String]) -> ObjectID? {
        let oldest = withOptionalHandle(make: { git_revwalk_new(&$0, pointer) }, free: git_revwalk_free) { walker -> ObjectID? in
            git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
            var start = tip.raw
            guard succeeded(git_revwalk_push(walker, &start)) else { return nil }
            // A ref that cannot be hidden (not a commit) hides nothing.
            for name in hidden { _ = succeeded(git_revwalk_hide_ref(walker, name)) }
            var oid = git_oid()
            return succeeded(git_revwalk_next(&oid, walker)) ? ObjectID(oid) : nil
        }
        // The oldest unpublished commit; its first parent is published (or it is a root).
        return oldest.flatMap { try? firstParent(of: $0, revision: $0.hex) }
    }
}

extension Repository {
    /// A configuration value as git reads it for this repository, or `nil`.
    public func configValue(_ name: String) -> String? {
        withConfigSnapshot { config in
            var value: UnsafePointer<CChar>?
            guard succeeded(git_config_get_string(&value, config, name)), let value else { return nil }
            return String(cString: value)
        }
    }
}
