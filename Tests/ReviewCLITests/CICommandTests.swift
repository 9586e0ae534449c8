import Foundation
import ReviewTestSupport
import Testing

/// `review ci` with simulated CI environments and event files.
@Suite("review ci")
struct CICommandTests {
    let project: PythonProject
    let feature: String
    let main: String

    init() throws {
        project = try PythonProject()
        main = try project.repository.head("main")
        feature = try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        // What actions/checkout leaves: the base branch as a remote-tracking ref.
        try project.repository.git(["update-ref", "refs/remotes/origin/main", main])
    }

    func ci(_ arguments: [String] = [], environment: [String: String]) throws -> ProcessOutput {
        var env: [String: String] = ["GITHUB_ACTIONS": "", "GITLAB_CI": ""]
        for (key, value) in environment { env[key] = value }
        return try ReviewBinary.run(["ci"] + arguments, in: project.repository.path, environment: env)
    }

    func event(_ object: [String: Any]) throws -> String {
        let path = project.repository.container + "/event-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func githubPullRequestWritesSummaryAnnotationsAndSarif() throws {
        let summary = project.repository.container + "/summary.md"
        try "previous step\n".write(toFile: summary, atomically: true, encoding: .utf8)
        let sarif = project.repository.container + "/review.sarif"
        let output = try ci(
            ["--sarif", sarif],
            environment: [
                "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main",
                "GITHUB_SHA": feature, "GITHUB_STEP_SUMMARY": summary,
                "GITHUB_EVENT_PATH": try event(["pull_request": ["head": ["sha": feature]]]),
            ])
        #expect(output.status == 1, "\(output.err)")
        #expect(output.out.hasPrefix("::error file=calc/ops.py,line=6,endLine=6,title=review%3A Test regression::"), "\(output.out)")
        #expect(output.err.contains("merge base of origin/main"))
        // A pull request's pushes share its base: the map stays there.
        #expect(output.err.contains("run which functions, at base"), "\(output.err)")
        let text = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(text.hasPrefix("previous step\n## review: 1 error"), "appended: \(text)")
        #expect(FileManager.default.fileExists(atPath: sarif))
    }

    @Test func githubPushUsesBeforeAndHandlesNewBranches() throws {
        let push = try ci(
            environment: [
                "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_SHA": feature,
                "GITHUB_EVENT_PATH": try event(["before": main]),
            ])
        #expect(push.status == 1)
        #expect(push.err.contains("GitHub Actions push: \(main.prefix(7))..\(feature.prefix(7))"), "\(push.err)")
        // The pushed commit is the next push's base: the map is recorded there.
        #expect(push.err.contains("run which functions, at head"), "\(push.err)")
        let newBranch = try ci(
            environment: [
                "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_SHA": feature,
                "GITHUB_EVENT_PATH": try event([
                    "before": String(repeating: "0", count: 40), "repository": ["default_branch": "main"],
                ]),
            ])
        #expect(newBranch.status == 1)
        #expect(newBranch.err.contains("new branch: from its merge base with origin/main"), "\(newBranch.err)")
    }

    @Test func gitlabMergeRequest() throws {
        let output = try ci(
            environment: ["GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": main, "CI_COMMIT_SHA": feature])
        #expect(output.status == 1)
        #expect(output.out.contains("error   test-regression  calc/ops.py:6"), "\(output.out)")
    }

    @Test func baseAnywhereAndNoRangeError() throws {
        let explicit = try ci(["--base", "main"], environment: [:])
        #expect(explicit.status == 1)
        let none = try ci(environment: [:])
        #expect(none.status == 2)
        #expect(none.err.contains("pass --base REV"))
    }

    @Test func shallowCloneWithoutTheBaseSaysHowToFixIt() throws {
        let container = try TemporaryRepository.makeDirectory()
        let clone = container + "/clone"
        let made = try ProcessRunner.run(
            "git", ["clone", "-q", "--depth", "1", "--branch", "feature", "file://" + project.repository.path, clone],
            environment: TemporaryRepository.gitEnvironment)
        try #require(made.status == 0, "\(made.err)")
        defer { try? FileManager.default.removeItem(atPath: container) }
        let output = try ReviewBinary.run(
            ["ci"], in: clone,
            environment: ["GITHUB_ACTIONS": "", "GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": main, "CI_COMMIT_SHA": feature])
        #expect(output.status == 2, "\(output.err)")
        #expect(output.err.contains("fetch-depth: 0"), "\(output.err)")
        #expect(output.err.contains("git fetch --deepen"))
    }
}
