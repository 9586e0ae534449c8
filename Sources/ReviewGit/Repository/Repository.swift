import Foundation
import Synchronization
internal import CGit2
internal import CGitShims

/// An open git repository: the single owner of libgit2's `git_repository` handle.
///
/// Not `Sendable`: all git work happens up front on one thread, and what leaves this
/// module are value types (``ChangeSet``, ``ResolvedRange``) and directories (``Snapshot``).
public final class Repository {
    let pointer: OpaquePointer

    /// The `.git` directory (for a linked worktree, its private git dir), with a trailing `/`.
    public let gitDirectory: String
    /// The git directory shared by all worktrees (where refs and objects live).
    public let commonDirectory: String
    /// The top of the working tree with a trailing `/`, or `nil` for a bare repository.
    public let workingDirectory: String?

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
        self.gitDirectory = String(cString: git_repository_path(pointer))
        self.commonDirectory = String(cString: git_repository_commondir(pointer))
        self.workingDirectory = git_repository_workdir(pointer).map { String(cString: $0) }
    }

    deinit {
        git_repository_free(pointer)
    }

    /// How many times this process has discovered a repository (each command should do it
    /// once and pass the repository down).
    public static var discoveries: Int { discoveryCount.load(ordering: .relaxed) }
    private static let discoveryCount = Atomic<Int>(0)

    /// Whether the repository has no working tree.
    public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

    /// Whether the repository is a shallow clone (`.git/shallow` exists).
    public var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

    /// Whether `HEAD` points to a branch that has no commits yet.
    public var hasNoCommits: Bool {
        git_repository_head_unborn(pointer) == 1 || git_repository_is_empty(pointer) == 1
    }

    /// Opens the repository that contains `path`, searching parent directories like git.
    ///
    /// Works from any subdirectory, in bare repositories and linked worktrees. A
    /// repository owned by another user is opened only when git would open it, i.e. when
    /// `safe.directory` (system or global config) lists it or is `*`.
    ///
    /// - Parameter path: a directory inside the repository (or the bare repository itself).
    /// - Throws: ``GitError/notARepository(path:)``, ``GitError/dubiousOwnership(path:)``,
    ///   or a library error.
    public static func discover(from path: String) throws(GitError) -> Repository {
        Libgit2.ensureInitialized()
        discoveryCount.add(1, ordering: .relaxed)
        do {
            return try open(path)
        } catch let error where Self.isOwnershipFailure(error) {
            // libgit2 1.5 reports "config value 'safe.directory' was not found" here; say what
            // git says, and honour `safe.directory` the way git does.
            let top = OwnershipPolicy.repositoryTop(containing: path) ?? path
            guard OwnershipPolicy.isTrusted(top) else {
                throw .dubiousOwnership(path: top)
            }
            _ = review_git_set_owner_validation(0)
            return try open(path)
        } catch let error where error.libraryCode == GIT_ENOTFOUND.rawValue {
            throw .notARepository(path: path)
        }
    }

    /// Opens another handle on a repository already discovered (its git directory), for
    /// work on another thread.
    static func reopen(_ gitDirectory: String) throws(GitError) -> Repository {
        var raw: OpaquePointer?
        let flags = GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        try check(git_repository_open_ext(&raw, gitDirectory, flags, nil), "git_repository_open_ext")
        guard let raw else { throw .notARepository(path: gitDirectory) }
        return Repository(pointer: raw)
    }

    private static func open(_ path: String) throws(GitError) -> Repository {
        var raw: OpaquePointer?
        try check(git_repository_open_ext(&raw, path, 0, nil), "git_repository_open_ext")
        guard let raw else { throw .notARepository(path: path) }
        return Repository(pointer: raw)
    }

    private static func isOwnershipFailure(_ error: GitError) -> Bool {
        guard case .library(_, let code, let message) = error else { return false }
        // libgit2 1.5 fails with GIT_ENOTFOUND and "config value 'safe.directory' was not found".
        return code == GIT_EOWNER.rawValue || message.contains("safe.directory")
            || message.contains("not owned by current user")
    }

    /// The short name of the branch `HEAD` points to, or `nil` when detached or unborn.
    public var currentBranch: String? {
        withOptionalHandle(make: { git_repository_head(&$0, pointer) }, free: git_reference_free) { reference in
            git_reference_is_branch(reference) == 1 ? String(cString: git_reference_shorthand(reference)) : nil
        }
    }
}

/// Git's `safe.directory` rule, applied when libgit2 refuses a repository owned by another user.
enum OwnershipPolicy {
    /// The directory git names in its "dubious ownership" message: the top of the working
    /// tree, or the repository itself when it is bare.
    static func repositoryTop(containing path: String) -> String? {
        let manager = FileManager.default
        var url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        while true {
            let candidate = url.path
            if manager.fileExists(atPath: candidate + "/.git") { return candidate }
            if manager.fileExists(atPath: candidate + "/HEAD"), manager.fileExists(atPath: candidate + "/objects"),
                manager.fileExists(atPath: candidate + "/refs")
            {
                return candidate
            }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { return nil }
            url = parent
        }
    }

    /// Whether `safe.directory` in the system, XDG or global configuration allows `top`.
    ///
    /// As in git: values are read in order, an empty value clears the list, `*` allows
    /// every directory, and a value ending in `/*` allows everything below it.
    static func isTrusted(_ top: String) -> Bool {
        let target = normalize(top)
        var trusted = false
        for value in safeDirectoryValues() {
            if value.isEmpty {
                trusted = false
            } else if value == "*" {
                trusted = true
            } else if value.hasSuffix("/*") {
                let prefix = normalize(String(value.dropLast(2)))
                if target == prefix || target.hasPrefix(prefix + "/") { trusted = true }
            } else if normalize(value) == target {
                trusted = true
            }
        }
        return trusted
    }

    private static func normalize(_ path: String) -> String {
        var expanded = path
        if expanded.hasPrefix("~/") {
            expanded = NSHomeDirectory() + expanded.dropFirst(1)
        }
        var result = URL(fileURLWithPath: expanded).standardizedFileURL.resolvingSymlinksInPath().path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// All `safe.directory` values from the configuration files git consults for it
    /// (never the repository's own config, which an attacker could write).
    private static func safeDirectoryValues() -> [String] {
        let values = withOptionalHandle(make: { git_config_open_default(&$0) }, free: git_config_free) { config in
            withOptionalHandle(
                make: { git_config_multivar_iterator_new(&$0, config, "safe.directory", nil) },
                free: git_config_iterator_free
            ) { iterator -> [String]? in
                var values: [String] = []
                var entry: UnsafeMutablePointer<git_config_entry>?
                // The iteration ends with GIT_ITEROVER, which is not an error.
                while succeeded(git_config_next(&entry, iterator)), let entry {
                    values.append(entry.pointee.value.map { String(cString: $0) } ?? "")
                }
                return values
            }
        }
        return values ?? []
    }
}
