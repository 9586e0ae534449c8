import Foundation
import ReviewTestSupport
import Testing

/// The pre-push hook, through real `git push`es to a local bare remote.
@Suite("Pre-push hook")
struct PrePushHookTests {
    let project: PythonProject
    let remote: TemporaryRepository

    init() throws {
        project = try PythonProject()
        remote = try TemporaryRepository(bare: true)
        let repo = project.repository
        try repo.git(["remote", "add", "origin", remote.path])
        try repo.git(["push", "-q", "origin", "main"])
        try repo.git(["fetch", "-q", "origin"])
        try repo.git(["remote", "set-head", "origin", "main"])
        let install = try ReviewBinary.run(["install-hook"], in: repo.path)
        try #require(install.status == 0, "\(install.err)")
    }

    func push(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
        var env = TemporaryRepository.gitEnvironment
        env["REVIEW_BIN"] = ReviewBinary.path
        for (key, value) in environment { env[key] = value }
        return try ProcessRunner.run("git", ["push"] + arguments, in: project.repository.path, environment: env)
    }

    func remoteHas(_ branch: String) -> Bool {
        (try? remote.git(["rev-parse", "--verify", "-q", "refs/heads/\(branch)"])) != nil
    }

    @Test func newBranchWithARegressionIsBlocked() throws {
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let output = try push(["origin", "feature"])
        #expect(output.status != 0, "\(output.err)")
        #expect(output.err.contains("test-regression"), "\(output.err)")
        #expect(output.err.contains("from the merge base with origin/HEAD"), "\(output.err)")
        #expect(output.err.contains("push blocked"))
        #expect(!remoteHas("feature"))
    }

    @Test func cleanPushGoesThrough() throws {
        try project.replace("calc/ops.py", "def add(a, b):\n", with: "def add(a, b):\n    # sum\n")
        let output = try push(["origin", "feature"])
        #expect(output.status == 0, "\(output.err)")
        #expect(remoteHas("feature"))
    }

    @Test func updateOfAnExistingBranchReviewsOnlyTheNewCommits() throws {
        try project.replace("calc/ops.py", "def add(a, b):\n", with: "def add(a, b):\n    # sum\n")
        #expect(try push(["origin", "feature"]).status == 0)
        try project.replace("calc/ops.py", "return a * b", with: "return a * b + 1")
        let output = try push(["origin", "feature"])
        #expect(output.status != 0)
        #expect(output.err.contains("from the remote's refs/heads/feature"), "\(output.err)")
        #expect(output.err.contains("calc/ops.py:11"), "\(output.err)")
    }

    @Test func deletingABranchIsNotReviewed() throws {
        try project.replace("calc/ops.py", "def add(a, b):\n", with: "def add(a, b):\n    # sum\n")
        #expect(try push(["origin", "feature"]).status == 0)
        let output = try push(["origin", "--delete", "feature"])
        #expect(output.status == 0, "\(output.err)")
        #expect(!remoteHas("feature"))
    }

    @Test func twoRefsAtOnce() throws {
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        try project.repository.git(["branch", "feature2"])
        let output = try push(["origin", "feature", "feature2"])
        #expect(output.status != 0)
        #expect(output.err.contains("review of refs/heads/feature, refs/heads/feature2"), "one review for one range: \(output.err)")
        #expect(!remoteHas("feature") && !remoteHas("feature2"))
    }

    @Test func skipAndNoVerify() throws {
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let skipped = try push(["origin", "feature"], environment: ["REVIEW_SKIP": "1"])
        #expect(skipped.status == 0)
        #expect(skipped.err.contains("review: skipped (REVIEW_SKIP=1)"))
        try project.repository.git(["branch", "other"])
        let unverified = try push(["--no-verify", "origin", "other"])
        #expect(unverified.status == 0)
        #expect(remoteHas("other"))
    }

    @Test func pushWithoutPythonChangesAnswersAtOnce() throws {
        try project.change(["README.md": "docs\n"])
        let output = try push(["origin", "feature"])
        #expect(output.status == 0, "\(output.err)")
        #expect(!output.err.contains("review of"))
    }

    @Test func foreignHookIsKeptAndChainedOnlyWithForce() throws {
        let hooks = project.repository.path + "/.git/hooks"
        let marker = project.repository.container + "/foreign-ran"
        try FileManager.default.removeItem(atPath: hooks + "/pre-push")
        try "#!/bin/sh\ncat > /dev/null\ntouch '\(marker)'\nexit 0\n".write(
            toFile: hooks + "/pre-push", atomically: true, encoding: .utf8)
        chmod(hooks + "/pre-push", 0o755)
        let refused = try ReviewBinary.run(["install-hook"], in: project.repository.path)
        #expect(refused.status == 2)
        #expect(refused.err.contains("--force"))
        let forced = try ReviewBinary.run(["install-hook", "--force"], in: project.repository.path)
        #expect(forced.status == 0, "\(forced.err)")
        #expect(FileManager.default.fileExists(atPath: hooks + "/pre-push.local"))
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let output = try push(["origin", "feature"])
        #expect(output.status != 0)
        #expect(FileManager.default.fileExists(atPath: marker), "the foreign hook ran first")
        let removed = try ReviewBinary.run(["uninstall-hook"], in: project.repository.path)
        #expect(removed.status == 0)
        #expect(try String(contentsOfFile: hooks + "/pre-push", encoding: .utf8).contains("foreign-ran"))
    }

    @Test func hooksPathIsRespected() throws {
        try project.repository.git(["config", "core.hooksPath", ".githooks"])
        let install = try ReviewBinary.run(["install-hook"], in: project.repository.path)
        #expect(install.status == 0)
        #expect(FileManager.default.fileExists(atPath: project.repository.path + "/.githooks/pre-push"))
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        #expect(try push(["origin", "feature"]).status != 0)
    }
}
