import Foundation
import ReviewJSON
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
        /// Whether it reviews a push to a branch (not a pull or merge request, not `--base`):
        /// its head is where the branch's next push starts.
        public var isPush = false
    }

    /// Resolves the range from `--base`, GitHub Actions or GitLab CI variables.
    ///
    /// - Throws: ``ReviewFailure`` (exit 2) when the environment names no range, or when the
    ///   base commit is missing from a shallow clone (with the fix).
    public static func resolve(base: String?, environment: [String: String], in project: Project) throws(ReviewFailure)
        -> Resolved
    {
        let onGitHub = environment["GITHUB_ACTIONS"] == "true"
        let repository = project.repository
        if let base {
            let request = RangeRequest.fromMergeBase(
                of: try require(base, in: repository, what: "--base \(base)"),
                head: try require("HEAD", in: repository, what: "HEAD"))
            return Resolved(request: request, origin: "--base \(base): from its merge base with HEAD", onGitHub: onGitHub)
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
            .flatMap { try? JSONValue.parse(bytes: $0) } ?? .object([])
        if event.hasPrefix("pull_request"), let baseRef = environment["GITHUB_BASE_REF"], !baseRef.isEmpty {
            // The PR head; GITHUB_SHA is the test merge commit, whose first parent is the base.
            let prHead = payload["pull_request"]?["head"]?["sha"]?.stringValue
            let tip = prHead.flatMap { repository.hasCommit(ObjectID(hex: $0)) ? $0 : nil } ?? head
            let baseName = repository.commit(named: "refs/remotes/origin/\(baseRef)") != nil ? "origin/\(baseRef)" : baseRef
            let request = RangeRequest.fromMergeBase(
                of: try require(baseName, in: repository, what: "the pull request's base branch \(baseRef)"),
                head: try require(tip, in: repository, what: "the pull request's head \(tip.prefix(7))"))
            return Resolved(
                request: request,
                origin: "GitHub Actions \(event): from the merge base of \(baseName) and \(tip.prefix(7))", onGitHub: true)
        }
        if event == "push" {
            let before = payload["before"]?.stringValue ?? ""
            if !before.isEmpty && !ObjectID(hex: before).isZero {
                let request = RangeRequest.commits(
                    base: try require(before, in: repository, what: "the push's previous commit \(before.prefix(7))"),
                    head: try require(head, in: repository, what: "the pushed commit \(head.prefix(7))"))
                return Resolved(
                    request: request, origin: "GitHub Actions push: \(before.prefix(7))..\(head.prefix(7))",
                    onGitHub: true, isPush: true)
            }
            // A new branch: from the merge base with the default branch.
            let defaultBranch = payload["repository"]?["default_branch"]?.stringValue ?? "main"
            let tip = try require(head, in: repository, what: "the pushed commit \(head.prefix(7))")
            if let mainline = repository.commit(named: "refs/remotes/origin/\(defaultBranch)") {
                return Resolved(
                    request: .fromMergeBase(of: mainline, head: tip),
                    origin: "GitHub Actions push of a new branch: from its merge base with origin/\(defaultBranch)",
                    onGitHub: true, isPush: true)
            }
            return Resolved(
                request: .commit(tip), origin: "GitHub Actions push of a new branch: its last commit", onGitHub: true,
                isPush: true)
        }
        throw ReviewFailure(
            "GitHub Actions event '\(event)' names no range; run review ci on pull_request or push, or pass --base REV",
            status: .usage)
    }

    private static func gitlab(_ environment: [String: String], repository: Repository) throws(ReviewFailure) -> Resolved {
        let head = environment["CI_COMMIT_SHA"].flatMap { $0.isEmpty ? nil : $0 } ?? "HEAD"
        let tip = try require(head, in: repository, what: "the commit under review \(head.prefix(7))")
        if let base = environment["CI_MERGE_REQUEST_DIFF_BASE_SHA"], !base.isEmpty {
            let request = RangeRequest.commits(
                base: try require(base, in: repository, what: "the merge request's base \(base.prefix(7))"), head: tip)
            return Resolved(
                request: request, origin: "GitLab merge request: \(base.prefix(7))..\(head.prefix(7))", onGitHub: false)
        }
        if let before = environment["CI_COMMIT_BEFORE_SHA"], !before.isEmpty, !ObjectID(hex: before).isZero {
            let request = RangeRequest.commits(
                base: try require(before, in: repository, what: "the push's previous commit \(before.prefix(7))"), head: tip)
            return Resolved(
                request: request, origin: "GitLab push: \(before.prefix(7))..\(head.prefix(7))", onGitHub: false, isPush: true)
        }
        let defaultBranch = environment["CI_DEFAULT_BRANCH"] ?? "main"
        if let mainline = repository.commit(named: "refs/remotes/origin/\(defaultBranch)") {
            return Resolved(
                request: .fromMergeBase(of: mainline, head: tip),
                origin: "GitLab push of a new branch: from its merge base with origin/\(defaultBranch)", onGitHub: false,
                isPush: true)
        }
        return Resolved(
            request: .commit(tip), origin: "GitLab push of a new branch: its last commit", onGitHub: false, isPush: true)
    }

    /// The commit a revision names; a clear error when it is not in the clone.
    private static func require(_ revision: String, in repository: Repository, what: String) throws(ReviewFailure)
        -> ObjectID
    {
        if let id = repository.commit(named: revision) { return id }
        var message = "\(what) is not in this clone"
        if repository.isShallow {
            message += "; it is a shallow clone: use actions/checkout with fetch-depth: 0 (GitLab: GIT_DEPTH: 0), or run 'git fetch --deepen=200 origin' before review"
        } else {
            message += "; fetch it first (git fetch origin)"
        }
        throw ReviewFailure(message, status: .usage)
    }
}
