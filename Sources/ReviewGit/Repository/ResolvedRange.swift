import Foundation

/// One side of a range: a commit, or the working tree's current state.
public enum Revision: Hashable, Sendable, CustomStringConvertible {
    /// A commit (tags and other names are peeled to it when the range is resolved).
    case commit(ObjectID)
    /// The working tree as it is now (index and worktree changes on top of `HEAD`).
    case worktree

    /// The commit id, or `nil` for the worktree.
    public var commitID: ObjectID? {
        if case .commit(let id) = self { return id }
        return nil
    }

    public var description: String {
        switch self {
        case .commit(let id): return id.hex
        case .worktree: return "worktree"
        }
    }
}

/// What the user asked to review, before resolution.
public enum RangeRequest: Hashable, Sendable {
    /// A revision range in git syntax: `A..B`, `A...B`, `X`, `A..`, `..B`, `@{u}`.
    case revisions(String)
    /// The default range, `@{upstream}..HEAD`.
    case upstream
    /// Uncommitted changes (index and worktree) against `HEAD`.
    case worktree
    /// Two commits already known by id (a push, a CI event): `base` (`nil`: the empty tree)
    /// against `head`.
    case commits(base: ObjectID?, head: ObjectID)
    /// One commit against its first parent (the empty tree for a root commit), as `X` is.
    case commit(ObjectID)
    /// From the merge base of `other` and `head` to `head`, as `other...head` is.
    case fromMergeBase(of: ObjectID, head: ObjectID)
}

/// A range with both sides resolved to exact commits.
public struct ResolvedRange: Hashable, Sendable {
    /// The old side: a commit, or `nil` for the empty tree (the range starts at a root commit).
    public var base: ObjectID?
    /// The new side.
    public var head: Revision
    /// The range as the user wrote it (or as the default was spelled), for messages.
    public var spec: String
    /// The tree of the base commit; `nil` for the empty tree or when it cannot be read.
    public var baseTree: ObjectID?
    /// The tree of the head commit; `nil` for the worktree or when it cannot be read.
    public var headTree: ObjectID?

    /// Creates a resolved range.
    public init(base: ObjectID?, head: Revision, spec: String, baseTree: ObjectID? = nil, headTree: ObjectID? = nil) {
        self.base = base
        self.head = head
        self.spec = spec
        self.baseTree = baseTree
        self.headTree = headTree
    }

    /// Both sides in short form, `a1b2c3d..e4f5a6b` (`(empty tree)` for no base, `worktree`
    /// for the working tree), for plans and messages.
    public var shortSides: String {
        let head: String
        switch self.head {
        case .commit(let id): head = id.short
        case .worktree: head = "worktree"
        }
        return (base.map(\.short) ?? "(empty tree)") + ".." + head
    }

    /// Whether the head is the working tree rather than a commit.
    public var isWorktree: Bool { head == .worktree }

    /// Whether both sides are the same commit, so nothing can have changed.
    public var isTriviallyEmpty: Bool {
        if case .commit(let id) = head { return id == base }
        return false
    }
}

/// The syntax of a revision range, split into its parts without touching a repository.
struct RangeSyntax: Equatable {
    enum Kind: Equatable {
        /// `A..B`: compare A's tree with B's.
        case twoDot
        /// `A...B`: compare the merge base of A and B with B.
        case threeDot
        /// `X`: compare X's first parent (or the empty tree) with X.
        case single
    }

    var kind: Kind
    var left: String
    var right: String

    /// Splits `spec` at its first `...` or `..`; an empty side means `HEAD`.
    ///
    /// Ref names cannot contain `..`, so the first occurrence is the separator.
    static func parse(_ spec: String) throws(GitError) -> RangeSyntax {
        let trimmed = spec.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw .invalidRange(spec, reason: "the range is empty")
        }
        for (separator, kind) in [("...", Kind.threeDot), ("..", Kind.twoDot)] {
            if let found = trimmed.range(of: separator) {
                let left = String(trimmed[..<found.lowerBound])
                let right = String(trimmed[found.upperBound...])
                if left.contains("..") || right.contains("..") {
                    throw .invalidRange(spec, reason: "expected one '..' or '...' separator")
                }
                return RangeSyntax(
                    kind: kind, left: left.isEmpty ? "HEAD" : left, right: right.isEmpty ? "HEAD" : right)
            }
        }
        if trimmed.hasPrefix("^") {
            throw .invalidRange(spec, reason: "exclusions ('^A') are not supported; use 'A..B'")
        }
        return RangeSyntax(kind: .single, left: trimmed, right: trimmed)
    }
}
