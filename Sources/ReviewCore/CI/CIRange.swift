import Foundation
import ReviewGit

/// Finds the range a CI job reviews from its environment.
public enum CIRange {
    /// The range and where it came from.
    public struct Resolved: Sendable {
        public var request: RangeRequest
        /// E.g. `GitHub Actions pull_request: merge base of main and <sha>`.
        public var origin: String
        /// Whether the job runs on GitHub Actions (annotations and step summary apply).
        public var onGitHub: Bool
    }

    /// Resolves the range from `--base`, GitHub Actions or GitLab CI variables.
    ///
    /// - Throws: ``ReviewFailure`` (exit 2) when the environment names no range, or when the
    ///   base commit is missing from a shallow clone (with the fix).
    public static func resolve(base: String?, environment: [String: String], directory: String) throws(ReviewFailure)
        -> Resolved
    {
        let onGitHub = environment["GITHUB_ACTIONS"] == "true"
        let repository: Repository
        do {
            repository = try Repository.discover(from: directory)
        } catch {
            throw ReviewFailure(error)
        }
        if let base {
            try require(base, in: repository, what: "--base \(base)")
            return Resolved(request: .revisions("\(base)...HEAD"), origin: "--base \(base): from its merge base with HEAD", onGitHub: onGitHub)
        }
        if onGitHub {
            return try github(environment, repository: repository)
        }
        if environment["GITLAB_CI"] == "true" {
            return try gitlab(environment, repository: repository)
        }
        throw ReviewFailure(
            "no CI range found: not on GitHub Actions or GitLab CI; pass --base REV (e.g. --base origin/main)",
            status: .usage)
    }

    private static func github(_ environment: [String: String], repository: Repository) throws(ReviewFailure) -> Resolved {
        let event = environment["GITHUB_EVENT_NAME"] ?? ""
        let head = environment["GITHUB_SHA"].flatMap { $0.isEmpty ? nil : $0 } ?? "HEAD"
        let payload = environment["GITHUB_EVENT_PATH"].flatMap { FileManager.default.contents(atPath: $0) }
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        if event.hasPrefix("pull_request"), let baseRef = environment["GITHUB_BASE_REF"], !baseRef.isEmpty {
            // The PR head; GITHUB_SHA is the test merge commit, whose first parent is the base.
            let prHead = ((payload["pull_request"] as? [String: Any])?["head"] as? [String: Any])?["sha"] as? String
            let tip = prHead.flatMap { repository.hasCommit(ObjectID(hex: $0)) ? $0 : nil } ?? head
            let baseName = repository.commit(named: "refs/remotes/origin/\(baseRef)") != nil ? "origin/\(baseRef)" : baseRef
            try require(baseName, in: repository, what: "the pull request's base branch \(baseRef)")
            return Resolved(
                request: .revisions("\(baseName)...\(tip)"),
                origin: "GitHub Actions \(event): from the merge base of \(baseName) and \(tip.prefix(7))", onGitHub: true)
        }
        if event == "push" {
            let before = payload["before"] as? String ?? ""
            if !before.isEmpty && !ObjectID(hex: before).isZero {
                try require(before, in: repository, what: "the push's previous commit \(before.prefix(7))")
                return Resolved(
                    request: .revisions("\(before)..\(head)"), origin: "GitHub Actions push: \(before.prefix(7))..\(head.prefix(7))",
                    onGitHub: true)
            }
            // A new branch: from the merge base with the default branch.
            let defaultBranch = (payload["repository"] as? [String: Any])?["default_branch"] as? String ?? "main"
            if repository.commit(named: "refs/remotes/origin/\(defaultBranch)") != nil {
                return Resolved(
                    request: .revisions("origin/\(defaultBranch)...\(head)"),
                    origin: "GitHub Actions push of a new branch: from its merge base with origin/\(defaultBranch)",
                    onGitHub: true)
            }
            return Resolved(
                request: .revisions(head), origin: "GitHub Actions push of a new branch: its last commit", onGitHub: true)
        }
        throw ReviewFailure(
            "GitHub Actions event '\(event)' names no range; run review ci on pull_request or push, or pass --base REV",
            status: .usage)
    }

    private static func gitlab(_ environment: [String: String], repository: Repository) throws(ReviewFailure) -> Resolved {
        let head = environment["CI_COMMIT_SHA"].flatMap { $0.isEmpty ? nil : $0 } ?? "HEAD"
        if let base = environment["CI_MERGE_REQUEST_DIFF_BASE_SHA"], !base.isEmpty {
            try require(base, in: repository, what: "the merge request's base \(base.prefix(7))")
            return Resolved(
                request: .revisions("\(base)..\(head)"), origin: "GitLab merge request: \(base.prefix(7))..\(head.prefix(7))",
                onGitHub: false)
        }
        if let before = environment["CI_COMMIT_BEFORE_SHA"], !before.isEmpty, !ObjectID(hex: before).isZero {
            try require(before, in: repository, what: "the push's previous commit \(before.prefix(7))")
            return Resolved(
                request: .revisions("\(before)..\(head)"), origin: "GitLab push: \(before.prefix(7))..\(head.prefix(7))",
                onGitHub: false)
        }
        let defaultBranch = environment["CI_DEFAULT_BRANCH"] ?? "main"
        if repository.commit(named: "refs/remotes/origin/\(defaultBranch)") != nil {
            return Resolved(
                request: .revisions("origin/\(defaultBranch)...\(head)"),
                origin: "GitLab push of a new branch: from its merge base with origin/\(defaultBranch)", onGitHub: false)
        }
        return Resolved(request: .revisions(head), origin: "GitLab push of a new branch: its last commit", onGitHub: false)
    }

    /// A clear error when a commit the range needs is not in the clone.
    private static func require(_ revision: String, in repository: Repository, what: String) throws(ReviewFailure) {
        guard repository.commit(named: revision) == nil else { return }
        var message = "\(what) is not in this clone"
        if repository.isShallow {
            message += "; it is a shallow clone: use actions/checkout with fetch-depth: 0 (GitLab: GIT_DEPTH: 0), or run 'git fetch --deepen=200 origin' before review"
        } else {
            message += "; fetch it first (git fetch origin)"
        }
        throw ReviewFailure(message, status: .usage)
    }
}
