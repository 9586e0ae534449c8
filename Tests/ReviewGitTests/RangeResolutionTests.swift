import Foundation
import ReviewGit
import ReviewTestSupport
import Testing

/// Every range form resolves to the commits `git rev-parse` and `git merge-base` name.
@Suite("Range resolution")
struct RangeResolutionTests {
    /// main: c1 - c2 - c3 (tag v1 on c2, annotated tag v2 on c3); topic from c2: t1 - t2.
    let fixture: TemporaryRepository
    let commits: [String: String]

    init() throws {
        fixture = try TemporaryRepository()
        var ids: [String: String] = [:]
        ids["c1"] = try fixture.commit("c1", files: ["app.py": "x = 1\n"])
        ids["c2"] = try fixture.commit("c2", files: ["app.py": "x = 2\n"])
        try fixture.git(["tag", "v1"])
        ids["c3"] = try fixture.commit("c3", files: ["app.py": "x = 3\n"])
        try fixture.git(["tag", "-a", "v2", "-m", "release"])
        try fixture.git(["checkout", "-q", "-b", "topic", ids["c2"]!])
        ids["t1"] = try fixture.commit("t1", files: ["topic.py": "y = 1\n"])
        ids["t2"] = try fixture.commit("t2", files: ["topic.py": "y = 2\n"])
        commits = ids
    }

    func resolve(_ spec: String) throws -> ResolvedRange {
        try Repository.discover(from: fixture.path).resolve(.revisions(spec))
    }

    @Test func twoDot() throws {
        let range = try resolve("main..topic")
        #expect(range.base?.hex == commits["c3"])
        #expect(range.head == .commit(ObjectID(hex: commits["t2"]!)))
    }

    @Test func threeDotUsesMergeBase() throws {
        let range = try resolve("main...topic")
        #expect(range.base?.hex == commits["c2"])
        #expect(range.base?.hex == (try fixture.git(["merge-base", "main", "topic"])).trimmed)
        #expect(range.head.commitID?.hex == commits["t2"])
    }

    @Test func singleRevisionIsFirstParentToIt() throws {
        let range = try resolve("topic~1")
        #expect(range.base?.hex == commits["c2"])
        #expect(range.head.commitID?.hex == commits["t1"])
    }

    @Test func rootCommitComparesWithEmptyTree() throws {
        let range = try resolve(commits["c1"]!)
        #expect(range.base == nil)
        let changes = try Repository.discover(from: fixture.path).changes(in: range)
        #expect(changes.files.map(\.status) == [.added])
    }

    @Test func missingSidesMeanHead() throws {
        // HEAD is topic (t2).
        let left = try resolve("main..")
        #expect(left.base?.hex == commits["c3"])
        #expect(left.head.commitID?.hex == commits["t2"])
        let right = try resolve("..main")
        #expect(right.base?.hex == commits["t2"])
        #expect(right.head.commitID?.hex == commits["c3"])
    }

    @Test func relativeAndTagsAndShas() throws {
        #expect(try resolve("HEAD~2..HEAD").base?.hex == commits["c2"])
        #expect(try resolve("v1..v2").base?.hex == commits["c2"])
        #expect(try resolve("v1..v2").head.commitID?.hex == commits["c3"], "annotated tag is peeled to its commit")
        let short = String(commits["c1"]!.prefix(7))
        #expect(try resolve("\(short)..\(commits["c3"]!)").base?.hex == commits["c1"])
    }

    @Test func upstreamForms() throws {
        try fixture.git(["branch", "--set-upstream-to=main"])
        let repository = try Repository.discover(from: fixture.path)
        let defaultRange = try repository.resolve(.upstream)
        #expect(defaultRange.base?.hex == commits["c3"])
        #expect(defaultRange.head.commitID?.hex == commits["t2"])
        #expect(try resolve("@{u}..HEAD").base?.hex == commits["c3"])
        #expect(try resolve("@{upstream}..").base?.hex == commits["c3"])
    }

    @Test func noUpstreamIsAClearInputError() throws {
        let repository = try Repository.discover(from: fixture.path)
        #expect(throws: GitError.noUpstream(branch: "topic")) { try repository.resolve(.upstream) }
        #expect(throws: GitError.noUpstream(branch: "topic")) { try repository.resolve(.revisions("@{u}..HEAD")) }
    }

    @Test func unknownRevisionNamesTheRevisionAndRange() throws {
        let error = #expect(throws: GitError.self) { try resolve("fo0..HEAD") }
        #expect(error?.description == "unknown revision 'fo0' (in range 'fo0..HEAD')")
        #expect(error?.isInputError == true)
    }

    @Test func badSyntax() throws {
        #expect(throws: GitError.self) { try resolve("a..b..c") }
        #expect(throws: GitError.self) { try resolve("   ") }
        #expect(throws: GitError.notACommit("HEAD^{tree}")) { try resolve("HEAD^{tree}") }
    }

    @Test func rangeSyntaxSplitsAtFirstSeparator() throws {
        #expect(try resolve("v1...v2").base?.hex == commits["c2"])
    }

    @Test func worktreeRangeIsHeadAgainstWorktree() throws {
        let range = try Repository.discover(from: fixture.path).resolve(.worktree)
        #expect(range.base?.hex == commits["t2"])
        #expect(range.head == .worktree)
    }
}
