import Foundation
internal import CGit2

extension Repository {
    /// Resolves what the user asked to review into two exact sides.
    ///
    /// - `A..B`: A's tree against B's; `A...B`: the merge base of A and B against B;
    ///   `X`: X's first parent (the empty tree for a root commit) against X; a missing side
    ///   means `HEAD`. Tags are peeled to their commits.
    /// - ``RangeRequest/upstream``: `@{upstream}..HEAD`.
    /// - ``RangeRequest/worktree``: `HEAD` against the current index and worktree.
    ///
    /// - Throws: an input error (``GitError/isInputError``) for anything the user can fix.
    public func resolve(_ request: RangeRequest) throws(GitError) -> ResolvedRange {
        var range = try resolveSides(request)
        range.baseTree = range.base.flatMap { try? treeID(of: $0) }
        range.headTree = range.head.commitID.flatMap { try? treeID(of: $0) }
        return range
    }

    private func resolveSides(_ request: RangeRequest) throws(GitError) -> ResolvedRange {
        if hasNoCommits { throw .noCommits }
        switch request {
        case .worktree:
            if isBare { throw .bareRepository(operation: "reviewing the worktree") }
            let head = try commitID(of: "HEAD", range: "HEAD")
            return ResolvedRange(base: head, head: .worktree, spec: "HEAD..worktree")
        case .upstream:
            let branch = currentBranch
            guard branch != nil, (try? commitID(of: "@{upstream}", range: "@{upstream}")) != nil else {
                throw .noUpstream(branch: branch)
            }
            return try resolveRevisions("@{upstream}..HEAD")
        case .revisions(let spec):
            return try resolveRevisions(spec)
        case .commits(let base, let head):
            for id in [base, head].compactMap({ $0 }) where !hasCommit(id) {
                throw .unknownRevision(id.hex, range: nil, shallow: isShallow)
            }
            return ResolvedRange(base: base, head: .commit(head), spec: spelling(base, "..", head))
        case .commit(let head):
            guard hasCommit(head) else { throw .unknownRevision(head.hex, range: nil, shallow: isShallow) }
            return ResolvedRange(base: try firstParent(of: head, revision: head.hex), head: .commit(head), spec: head.hex)
        case .fromMergeBase(let other, let head):
            let spec = spelling(other, "...", head)
            return ResolvedRange(base: try mergeBase(other, head, range: spec), head: .commit(head), spec: spec)
        }
    }

    /// How a range of commits given by id is shown in messages and reports: as git spells it.
    private func spelling(_ base: ObjectID?, _ separator: String, _ head: ObjectID) -> String {
        base.map { [$0.hex, head.hex].joined(separator: separator) } ?? head.hex
    }

    private func resolveRevisions(_ spec: String) throws(GitError) -> ResolvedRange {
        let syntax = try RangeSyntax.parse(spec)
        switch syntax.kind {
        case .twoDot:
            let base = try commitID(of: syntax.left, range: spec)
            let head = try commitID(of: syntax.right, range: spec)
            return ResolvedRange(base: base, head: .commit(head), spec: spec)
        case .threeDot:
            let left = try commitID(of: syntax.left, range: spec)
            let head = try commitID(of: syntax.right, range: spec)
            let base = try mergeBase(left, head, range: spec)
            return ResolvedRange(base: base, head: .commit(head), spec: spec)
        case .single:
            let head = try commitID(of: syntax.left, range: spec)
            let base = try firstParent(of: head, revision: syntax.left)
            return ResolvedRange(base: base, head: .commit(head), spec: spec)
        }
    }

    /// Resolves one revision and peels it to a commit.
    func commitID(of revision: String, range: String) throws(GitError) -> ObjectID {
        let peeled: ObjectID?
        do {
            peeled = try withHandle(
                "git_revparse_single", make: { git_revparse_single(&$0, pointer, revision) }, free: git_object_free
            ) { object in
                withOptionalHandle(make: { git_object_peel(&$0, object, GIT_OBJECT_COMMIT) }, free: git_object_free) {
                    ObjectID(git_object_id($0).pointee)
                }
            }
        } catch {
            if isUpstreamSyntax(revision) {
                throw .noUpstream(branch: currentBranch)
            }
            switch error.libraryCode {
            case GIT_ENOTFOUND.rawValue?, GIT_EINVALIDSPEC.rawValue?:
                throw .unknownRevision(revision, range: range, shallow: isShallow)
            case GIT_EAMBIGUOUS.rawValue?:
                throw .invalidRange(range, reason: "revision '\(revision)' is ambiguous")
            default:
                throw error
            }
        }
        guard let peeled else { throw .notACommit(revision) }
        return peeled
    }

    private func isUpstreamSyntax(_ revision: String) -> Bool {
        let lowered = revision.lowercased()
        return lowered.hasSuffix("@{u}") || lowered.hasSuffix("@{upstream}")
    }

    /// The first parent of a commit, `nil` for a root commit.
    ///
    /// - Throws: ``GitError/shallowHistory(revision:)`` when the parent lies beyond a
    ///   shallow clone's boundary.
    func firstParent(of id: ObjectID, revision: String) throws(GitError) -> ObjectID? {
        if isShallow, shallowBoundary.contains(id) {
            throw .shallowHistory(revision: revision)
        }
        let parent = try withCommit(id) { commit -> ObjectID? in
            guard git_commit_parentcount(commit) > 0, let parentID = git_commit_parent_id(commit, 0) else { return nil }
            return ObjectID(parentID.pointee)
        }
        // The parent may be named in the commit but absent from the object database.
        if let parent, !hasCommit(parent) { throw .shallowHistory(revision: revision) }
        return parent
    }

    /// The best common ancestor of two commits, as `git merge-base` computes it.
    func mergeBase(_ left: ObjectID, _ right: ObjectID, range: String) throws(GitError) -> ObjectID {
        var out = git_oid()
        var one = left.raw
        var two = right.raw
        let code = git_merge_base(&out, pointer, &one, &two)
        if code == GIT_ENOTFOUND.rawValue {
            _ = succeeded(code)
            if isShallow { throw .shallowHistory(revision: range) }
            throw .invalidRange(range, reason: "the two sides have no common ancestor")
        }
        if code < 0 {
            let error = GitError.last(code, function: "git_merge_base")
            if isShallow { throw .shallowHistory(revision: range) }
            throw error
        }
        return ObjectID(out)
    }

    /// The commits listed in `.git/shallow`: their parents were not fetched.
    var shallowBoundary: Set<ObjectID> {
        let path = commonDirectory + "shallow"
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        return Set(lines.map { ObjectID(hex: String($0)) })
    }
}
