import Foundation
import ReviewGit
import ReviewTestSupport
import Testing

/// Discovery and change sets in every kind of repository a user may have.
@Suite("Repository kinds")
struct RepositoryKindsTests {
    @Test func discoversFromASubdirectory() throws {
        let fixture = try TemporaryRepository()
        try fixture.commit("one", files: ["pkg/deep/mod.py": "a = 1\n"])
        let repository = try Repository.discover(from: fixture.path + "/pkg/deep")
        #expect(repository.workingDirectory == fixture.path + "/")
        #expect(!repository.isBare)
    }

    @Test func notARepository() throws {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: GitError.notARepository(path: directory)) { try Repository.discover(from: directory) }
    }

    @Test func noCommitsIsAClearError() throws {
        let fixture = try TemporaryRepository()
        let repository = try Repository.discover(from: fixture.path)
        #expect(throws: GitError.noCommits) { try repository.resolve(.revisions("HEAD")) }
        #expect(throws: GitError.noCommits) { try repository.resolve(.worktree) }
    }

    @Test func bareRepository() throws {
        let source = try TemporaryRepository()
        try source.commit("one", files: ["a.py": "a = 1\n"])
        try source.commit("two", files: ["a.py": "a = 2\n"])
        let bare = try TemporaryRepository(bare: true)
        try source.git(["push", "-q", bare.path, "main"])
        let repository = try Repository.discover(from: bare.path)
        #expect(repository.isBare)
        let changes = try repository.changes(in: try repository.resolve(.revisions("main~1..main")))
        #expect(changes.files.map(\.path.description) == ["a.py"])
        #expect(throws: GitError.bareRepository(operation: "reviewing the worktree")) {
            try repository.resolve(.worktree)
        }
        let snapshot = try repository.materialize(try repository.resolve(.revisions("main")).head)
        #expect(try String(contentsOfFile: snapshot.root + "/a.py", encoding: .utf8) == "a = 2\n")
    }

    @Test func linkedWorktree() throws {
        let fixture = try TemporaryRepository()
        try fixture.commit("one", files: ["a.py": "a = 1\n"])
        let linked = fixture.container + "/linked"
        try fixture.git(["worktree", "add", "-q", "-b", "feature", linked])
        let other = TemporaryRepository(existing: linked, container: fixture.container + "/unused")
        try other.commit("two", files: ["a.py": "a = 2\n"])
        let repository = try Repository.discover(from: linked)
        #expect(repository.workingDirectory == linked + "/")
        let range = try repository.resolve(.revisions("main..feature"))
        #expect(try repository.changes(in: range).files.map(\.status) == [.modified])
        try other.write("a.py", "a = 3\n")
        let worktree = try repository.changes(in: try repository.resolve(.worktree))
        #expect(worktree.files.first?.hunks == [Hunk(oldStart: 1, oldLines: 1, newStart: 1, newLines: 1)])
    }

    @Test func shallowClone() throws {
        let source = try TemporaryRepository()
        for index in 1...4 { try source.commit("c\(index)", files: ["a.py": "a = \(index)\n"]) }
        let container = try TemporaryRepository.makeDirectory()
        let clonePath = container + "/clone"
        let output = try ProcessRunner.run(
            "git", ["clone", "-q", "--depth", "2", "file://" + source.path, clonePath],
            environment: TemporaryRepository.gitEnvironment)
        try #require(output.status == 0, "\(output.err)")
        let clone = TemporaryRepository(existing: clonePath, container: container)
        let repository = try Repository.discover(from: clone.path)
        #expect(repository.isShallow)
        // Both commits exist: works.
        #expect(try repository.changes(in: try repository.resolve(.revisions("HEAD~1..HEAD"))).files.count == 1)
        #expect(try repository.resolve(.revisions("HEAD")).base != nil)
        // The boundary commit's parent was not fetched: a clear error that says to deepen.
        let error = #expect(throws: GitError.self) { try repository.resolve(.revisions("HEAD~1")) }
        #expect(error?.description.contains("git fetch --deepen") == true)
        let missing = #expect(throws: GitError.self) { try repository.resolve(.revisions("HEAD~3..HEAD")) }
        #expect(missing?.description.contains("shallow") == true)
    }

    @Test func submoduleIsReportedAndMaterializedAsEmptyDirectory() throws {
        let library = try TemporaryRepository()
        try library.commit("lib", files: ["lib.py": "l = 1\n"])
        let fixture = try TemporaryRepository()
        try fixture.commit("one", files: ["a.py": "a = 1\n"])
        try fixture.git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", library.path, "vendor/lib"])
        try fixture.git(["commit", "-q", "-m", "add submodule"])
        let repository = try Repository.discover(from: fixture.path)
        let changes = try repository.changes(in: try repository.resolve(.revisions("HEAD")))
        let submodule = try #require(changes.files.first { $0.path.description == "vendor/lib" })
        #expect(submodule.newMode == .submodule)
        #expect(submodule.status == .added)
        let snapshot = try repository.materialize(try repository.resolve(.revisions("HEAD")).head)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: snapshot.root + "/vendor/lib", isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshot.root + "/vendor/lib").isEmpty)
        // The worktree diff does not crash on the checked-out submodule.
        _ = try repository.changes(in: try repository.resolve(.worktree))
    }

    @Test func repositoryOwnedByAnotherUserNeedsSafeDirectory() throws {
        guard getuid() == 0 else { return }  // needs root to hand the repository to another user
        let fixture = try TemporaryRepository()
        try fixture.commit("one", files: ["a.py": "a = 1\n"])
        try fixture.commit("two", files: ["a.py": "a = 2\n"])
        let chown = try ProcessRunner.run("chown", ["-R", "65534:65534", fixture.path])
        try #require(chown.status == 0)
        let home = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }

        // Untrusted: git's words, not libgit2's "config value 'safe.directory' was not found".
        var output = try ReviewBinary.run(["--plan", "HEAD"], in: fixture.path, environment: ["HOME": home])
        #expect(output.status == 2)
        #expect(output.err.contains("detected dubious ownership in repository at '\(fixture.path)'"))
        #expect(output.err.contains("safe.directory"))
        #expect(!output.err.contains("was not found"))

        // Trusted through the global config, as git honours it.
        try "[safe]\n\tdirectory = \(fixture.path)\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        output = try ReviewBinary.run(["--plan", "HEAD"], in: fixture.path, environment: ["HOME": home])
        #expect(output.status == 0, "\(output.err)")
        #expect(output.out.contains("a.py"))

        try "[safe]\n\tdirectory = *\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        output = try ReviewBinary.run(["--plan", "HEAD"], in: fixture.path, environment: ["HOME": home])
        #expect(output.status == 0, "\(output.err)")
    }
}
