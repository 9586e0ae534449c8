internal import CGit2
internal import CGitShims

/// Everything that can go wrong in the git layer, each with a message in git's own words.
///
/// Cases split into *input* errors (the user named something that does not exist or cannot
/// be reviewed; exit code 2) and *infrastructure* errors (the repository or libgit2 failed;
/// exit code 3). See ``isInputError``.
public enum GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No git repository was found at or above the path.
    case notARepository(path: String)
    /// The repository is owned by another user and is not listed in `safe.directory`.
    case dubiousOwnership(path: String)
    /// The repository exists but `HEAD` points to a branch without commits.
    case noCommits
    /// A revision in the range could not be resolved.
    case unknownRevision(String, range: String?, shallow: Bool)
    /// A revision resolved to an object that is not (and does not peel to) a commit.
    case notACommit(String)
    /// The range argument is not valid range syntax.
    case invalidRange(String, reason: String)
    /// No range was given and the current branch has no upstream.
    case noUpstream(branch: String?)
    /// The operation needs a working tree but the repository is bare.
    case bareRepository(operation: String)
    /// A commit needed for the range is missing from a shallow clone.
    case shallowHistory(revision: String)
    /// A file-system operation failed while materializing a snapshot.
    case io(path: String, message: String)
    /// Any other failure reported by libgit2: the C function, its return code and libgit2's message.
    case library(function: String, code: Int32, message: String)

    /// Whether the error was caused by the user's input (exit code 2) rather than by
    /// the repository or the library (exit code 3).
    public var isInputError: Bool {
        switch self {
        case .notARepository, .dubiousOwnership, .noCommits, .unknownRevision, .notACommit,
            .invalidRange, .noUpstream, .bareRepository, .shallowHistory:
            return true
        case .io, .library:
            return false
        }
    }

    public var description: String {
        switch self {
        case .notARepository(let path):
            return "not a git repository (or any of the parent directories): \(path)"
        case .dubiousOwnership(let path):
            return "detected dubious ownership in repository at '\(path)'; "
                + "if you trust it, run: git config --global --add safe.directory '\(path)'"
        case .noCommits:
            return "the repository has no commits yet; commit something first"
        case .unknownRevision(let revision, let range, let shallow):
            var text = "unknown revision '\(revision)'"
            if let range, range != revision { text += " (in range '\(range)')" }
            if shallow {
                text += "; this is a shallow clone, the commit may not have been fetched: "
                    + "run 'git fetch --deepen=50' (or 'git fetch --unshallow'; in CI use fetch-depth: 0)"
            }
            return text
        case .notACommit(let revision):
            return "revision '\(revision)' does not name a commit"
        case .invalidRange(let range, let reason):
            return "invalid range '\(range)': \(reason)"
        case .noUpstream(let branch):
            let name = branch.map { "branch '\($0)'" } ?? "HEAD (detached)"
            return "no range given and \(name) has no upstream; pass a range such as 'main..HEAD', "
                + "or set one with 'git branch --set-upstream-to=origin/main'"
        case .bareRepository(let operation):
            return "\(operation) needs a working tree, but the repository is bare"
        case .shallowHistory(let revision):
            return "the history needed for '\(revision)' is missing from this shallow clone; "
                + "run 'git fetch --deepen=50' (or 'git fetch --unshallow'; in CI use fetch-depth: 0)"
        case .io(let path, let message):
            return "cannot write '\(path)': \(message)"
        case .library(let function, _, let message):
            return "\(message) (\(function))"
        }
    }

    /// Reads and clears libgit2's last error for a failed call.
    static func last(_ code: Int32, function: String) -> GitError {
        var message = "unknown libgit2 error"
        if let error = git_error_last(), let text = error.pointee.message {
            message = String(cString: text)
        }
        git_error_clear()
        return .library(function: function, code: code, message: message)
    }

    /// The libgit2 return code, when the error came from libgit2.
    var libraryCode: Int32? {
        if case .library(_, let code, _) = self { return code }
        return nil
    }
}

/// A libgit2 call whose failure is an answer, not an error (a lookup that finds nothing,
/// an iterator at its end): whether it succeeded. libgit2's message for a failure is read
/// and dropped here, so no stale message reaches a later error.
@inline(__always)
func succeeded(_ code: Int32) -> Bool {
    guard code < 0 else { return true }
    git_error_clear()
    return false
}

/// The one path from a libgit2 return code to a Swift error.
///
/// - Parameters:
///   - code: the value returned by a libgit2 function; negative means failure.
///   - function: the name of the C function, recorded in the error.
/// - Throws: ``GitError/library(function:code:message:)`` carrying `git_error_last()`'s message.
@inline(__always)
func check(_ code: Int32, _ function: StaticString) throws(GitError) {
    guard code < 0 else { return }
    throw GitError.last(code, function: "\(function)")
}

/// libgit2's global initialization, run once per process before any other call.
enum Libgit2 {
    static let initialized: Bool = {
        let ok = git_libgit2_init() >= 0
        // Like git, trust the object database's hashes on read; re-hashing every blob
        // costs a tenth of a large diff.
        _ = review_git_set_strict_hash_verification(0)
        return ok
    }()

    @inline(__always)
    static func ensureInitialized() {
        _ = initialized
    }
}
