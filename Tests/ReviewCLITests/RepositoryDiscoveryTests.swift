import Foundation
import ReviewTestSupport
import Testing

/// Every command discovers the repository once and passes it down: counted by the binary
/// itself (`REVIEW_DEBUG_DISCOVERIES=1`), on real repositories and a real `git push`.
@Suite("One repository discovery per command")
struct RepositoryDiscoveryTests {
    static let debug = ["REVIEW_DEBUG_DISCOVERIES": "1"]
    static let once = "review: debug: repository discovered 1 time(s)"

    @Test func reviewPlanConfigAndCIEachDiscoverOnce() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let path = project.repository.path
        let runs: [[String]] = [
            ["main..feature", "--format", "json"],
            ["main..feature", "--plan"],
            ["--worktree", "--plan"],
            ["config"],
            ["ci", "--base", "main", "--json", path + "/../ci.json"],
        ]
        for arguments in runs {
            let output = try ReviewBinary.run(arguments, in: path, environment: Self.debug)
            #expect(output.err.contains(Self.once), "review \(arguments.joined(separator: " ")): \(output.err)")
        }
        let bad = try ReviewBinary.run(["nope..feature"], in: path, environment: Self.debug)
        #expect(bad.status == 2)
        #expect(bad.err.contains(Self.once), "\(bad.err)")
    }

    @Test func aPushOfTwoBranchesDiscoversOnce() throws {
        let project = try PythonProject()
        let remote = try TemporaryRepository(bare: true)
        let repo = project.repository
        try repo.git(["remote", "add", "origin", remote.path])
        try repo.git(["push", "-q", "origin", "main"])
        try repo.git(["fetch", "-q", "origin"])
        try repo.git(["remote", "set-head", "origin", "main"])
        #expect(try ReviewBinary.run(["install-hook"], in: repo.path).status == 0)
        try project.replace("calc/ops.py", "def add(a, b):\n", with: "def add(a, b):\n    # sum\n")
        try repo.git(["branch", "second", "main"])
        var environment = TemporaryRepository.gitEnvironment
        environment["REVIEW_BIN"] = ReviewBinary.path
        environment.merge(Self.debug) { $1 }
        let output = try ProcessRunner.run(
            "git", ["push", "origin", "feature", "second"], in: repo.path, environment: environment)
        #expect(output.status == 0, "\(output.err)")
        #expect(output.err.contains(Self.once), "\(output.err)")
    }
}
