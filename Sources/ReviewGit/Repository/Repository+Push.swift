internal import CGit2

extension Repository {
    /// Whether a commit is in the object database.
    public func hasCommit(_ id: ObjectID) -> Bool {
        var oid = id.raw
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, pointer, &oid) == 0 else {
            git_error_clear()
            return false
        }
        git_commit_free(commit)
        return true
    }

    /// The commit a reference or revision names, or `nil`.
    public func commit(named name: String) -> ObjectID? {
        try? commitID(of: name, range: name)
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
        guard git_reference_list(&names, pointer) == 0 else {
            git_error_clear()
            return []
        }
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
        var walker: OpaquePointer?
        guard git_revwalk_new(&walker, pointer) == 0, let walker else {
            git_error_clear()
            return nil
        }
        defer { git_revwalk_free(walker) }
        git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        var start = tip.raw
        guard git_revwalk_push(walker, &start) == 0 else {
            git_error_clear()
            return nil
        }
        for name in hidden { _ = git_revwalk_hide_ref(walker, name) }
        git_error_clear()
        var oid = git_oid()
        guard git_revwalk_next(&oid, walker) == 0 else {
            git_error_clear()
            return nil
        }
        // The oldest unpublished commit; its first parent is published (or it is a root).
        return try? firstParent(of: ObjectID(oid), revision: ObjectID(oid).hex)
    }
}

extension Repository {
    /// A configuration value as git reads it for this repository, or `nil`.
    public func configValue(_ name: String) -> String? {
        var config: OpaquePointer?
        guard git_repository_config_snapshot(&config, pointer) == 0, let config else {
            git_error_clear()
            return nil
        }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, name) == 0, let value else {
            git_error_clear()
            return nil
        }
        return String(cString: value)
    }
}
