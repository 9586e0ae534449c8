import Foundation

/// A git repository in a fresh temporary directory, driven by the real `git` CLI, which
/// also serves as the independent oracle in tests. Removed when released.
public final class TemporaryRepository: @unchecked Sendable {
    /// The directory of the repository (the worktree, or the repository itself when bare).
    public let path: String
    /// The directory holding `path`; removed in `deinit`.
    public let container: String

    /// The environment for every git call: no user or system config, fixed identity and dates.
    public static let gitEnvironment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("GIT_") { environment[key] = nil }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_AUTHOR_NAME"] = "Test Author"
        environment["GIT_AUTHOR_EMAIL"] = "author@example.invalid"
        environment["GIT_COMMITTER_NAME"] = "Test Committer"
        environment["GIT_COMMITTER_EMAIL"] = "committer@example.invalid"
        environment["GIT_AUTHOR_DATE"] = "2026-01-01T00:00:00Z"
        environment["GIT_COMMITTER_DATE"] = "2026-01-01T00:00:00Z"
        environment["LC_ALL"] = "C"
        return environment
    }()

    /// Creates an empty repository (`git init`, default branch `main`).
    ///
    /// - Parameter bare: create a bare repository.
    public init(bare: Bool = false) throws {
        container = try TemporaryRepository.makeDirectory()
        path = container + "/repo"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var arguments = ["init", "-q", "-b", "main"]
        if bare { arguments.append("--bare") }
        try git(arguments)
    }

    /// Wraps an existing directory inside `container` (e.g. a clone made by a test).
    public init(existing path: String, container: String) {
        self.path = path
        self.container = container
    }

    deinit {
        // REVIEW_TEST_KEEP=1 keeps the repositories of a failing run for inspection.
        if ProcessInfo.processInfo.environment["REVIEW_TEST_KEEP"] == nil {
            try? FileManager.default.removeItem(atPath: container)
        }
    }

    /// A fresh private directory under the system temp dir.
    public static func makeDirectory() throws -> String {
        let base = NSTemporaryDirectory()
        let path = (base.hasSuffix("/") ? base : base + "/") + "review-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Runs git in the repository and returns stdout; throws when git fails.
    @discardableResult
    public func git(_ arguments: [String], input: Data? = nil) throws -> String {
        String(decoding: try gitData(arguments, input: input), as: UTF8.self)
    }

    /// Runs git in the repository and returns stdout as raw bytes; throws when git fails.
    public func gitData(_ arguments: [String], input: Data? = nil) throws -> Data {
        let output = try ProcessRunner.run(
            "git", arguments, in: path, environment: TemporaryRepository.gitEnvironment, input: input)
        guard output.status == 0 else {
            throw TestSupportError("git \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.err)")
        }
        return output.stdout
    }

    /// Writes a file (creating directories), relative to the worktree.
    public func write(_ relativePath: String, _ contents: String, executable: Bool = false) throws {
        try write(relativePath, Data(contents.utf8), executable: executable)
    }

    /// Writes raw bytes to a file (creating directories), relative to the worktree.
    public func write(_ relativePath: String, _ contents: Data, executable: Bool = false) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url)
        try FileManager.default.setAttributes(
            [.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
    }

    /// Reads a file of the worktree as text.
    public func read(_ relativePath: String) throws -> String {
        try String(contentsOfFile: path + "/" + relativePath, encoding: .utf8)
    }

    /// Stages everything and commits; returns the new commit id.
    @discardableResult
    public func commit(_ message: String = "change", files: [String: String] = [:]) throws -> String {
        for (name, contents) in files { try write(name, contents) }
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
        return try head()
    }

    /// The full id of `HEAD` (or any revision).
    public func head(_ revision: String = "HEAD") throws -> String {
        try git(["rev-parse", "--verify", revision]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fingerprint of everything `review` must never change: worktree status, index,
    /// refs, stash and config.
    public func stateFingerprint() throws -> String {
        // --no-optional-locks: git status must not refresh (and so rewrite) the index itself.
        let status = try git(["--no-optional-locks", "status", "--porcelain=v2", "--untracked-files=all", "--ignored"])
        let refs = try git(["for-each-ref", "--format=%(refname) %(objectname)"])
        let index = try gitData(["ls-files", "--stage", "-z"]).base64EncodedString()
        let head = (try? git(["symbolic-ref", "-q", "HEAD"])) ?? "detached"
        let config = (try? String(contentsOfFile: gitDirectory + "/config", encoding: .utf8)) ?? ""
        let indexStat = (try? FileManager.default.attributesOfItem(atPath: gitDirectory + "/index"))?[.modificationDate]
        return [status, refs, index, head, config, "\(String(describing: indexStat))"].joined(separator: "\n--\n")
    }

    /// The repository's git directory.
    public var gitDirectory: String {
        let raw = (try? git(["rev-parse", "--absolute-git-dir"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return raw ?? path + "/.git"
    }
}

/// Locates the built `review` executable for end-to-end tests.
public enum ReviewBinary {
    /// `$REVIEW_BIN`, else `review` next to the test bundle in the build directory.
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["REVIEW_BIN"], !explicit.isEmpty {
            return explicit
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            url = url.deletingLastPathComponent()
            let candidate = url.appendingPathComponent("review").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "review"
    }

    /// Runs `review` with `arguments` in `directory`, with a clean git environment.
    public static func run(
        _ arguments: [String], in directory: String, environment extra: [String: String] = [:], input: Data? = nil
    ) throws -> ProcessOutput {
        var environment = TemporaryRepository.gitEnvironment
        for (key, value) in extra { environment[key] = value }
        return try ProcessRunner.run(path, arguments, in: directory, environment: environment, input: input)
    }
}
