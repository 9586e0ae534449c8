import Foundation
import ReviewGit
import ReviewTestSupport
import Testing

/// Snapshots hold exactly a revision's files and never touch the user's repository.
@Suite("Snapshots")
struct SnapshotTests {
    @Test func commitSnapshotMatchesGitArchive() throws {
        let fixture = try TemporaryRepository()
        var generator = HistoryGenerator(seed: 42)
        let commits = try generator.generate(into: fixture, commitCount: 10)
        let repository = try Repository.discover(from: fixture.path)
        for commit in commits.suffix(3) {
            let snapshot = try repository.materialize(.commit(ObjectID(hex: commit.id)))
            try Self.expectMatchesGitArchive(snapshot, of: commit.id, in: fixture)
        }
    }

    /// git archive is the oracle: same paths, same bytes, same symlinks and exec bits.
    static func expectMatchesGitArchive(_ snapshot: ReviewGit.Snapshot, of commit: String, in fixture: TemporaryRepository) throws {
        let oracle = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: oracle) }
        let archive = try fixture.gitData(["archive", "--format=tar", commit])
        let tar = try ProcessRunner.run("tar", ["-x", "-C", oracle], input: archive)
        try #require(tar.status == 0, "\(tar.err)")
        #expect(try listing(snapshot.root) == (try listing(oracle)), "commit \(commit)")
        #expect(try sameContents(snapshot.root, oracle), "commit \(commit)")
    }

    @Test func aSnapshotSharingAnotherStillMatchesGitArchiveAndLinksOnlyUnchangedFiles() throws {
        let fixture = try TemporaryRepository()
        var generator = HistoryGenerator(seed: 7)
        let commits = try generator.generate(into: fixture, commitCount: 12)
        let repository = try Repository.discover(from: fixture.path)
        let head = try repository.materialize(.commit(ObjectID(hex: commits.last!.id)))
        for base in commits.dropLast().suffix(4) {
            let snapshot = try repository.materialize(.commit(ObjectID(hex: base.id)), sharingWith: head)
            try Self.expectMatchesGitArchive(snapshot, of: base.id, in: fixture)
        }
        // Unchanged files share an inode; a changed file and a mode-only change do not.
        let small = try TemporaryRepository()
        try small.commit("base", files: ["same.py": "x = 1\n", "edited.py": "y = 1\n", "tool.sh": "echo\n"])
        let baseID = try small.head()
        try small.write("edited.py", "y = 2\n")
        try small.write("tool.sh", "echo\n", executable: true)
        try small.commit("head")
        let smallRepository = try Repository.discover(from: small.path)
        let smallHead = try smallRepository.materialize(.commit(ObjectID(hex: try small.head())))
        let smallBase = try smallRepository.materialize(.commit(ObjectID(hex: baseID)), sharingWith: smallHead)
        func inode(_ path: String) throws -> UInt64 {
            UInt64(try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int))
        }
        #expect(try inode(smallBase.root + "/same.py") == (try inode(smallHead.root + "/same.py")))
        #expect(try inode(smallBase.root + "/edited.py") != (try inode(smallHead.root + "/edited.py")))
        #expect(try inode(smallBase.root + "/tool.sh") != (try inode(smallHead.root + "/tool.sh")))
        #expect(!FileManager.default.isExecutableFile(atPath: smallBase.root + "/tool.sh"))
        #expect(FileManager.default.isExecutableFile(atPath: smallHead.root + "/tool.sh"))
        #expect(try String(contentsOfFile: smallBase.root + "/edited.py", encoding: .utf8) == "y = 1\n")
    }

    @Test func snapshotIsRemovedWhenReleased() throws {
        let fixture = try TemporaryRepository()
        try fixture.commit("one", files: ["a.py": "a = 1\n"])
        let repository = try Repository.discover(from: fixture.path)
        var root = ""
        do {
            let snapshot = try repository.materialize(try repository.resolve(.revisions("HEAD")).head)
            root = snapshot.root
            #expect(FileManager.default.fileExists(atPath: root + "/a.py"))
        }
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test func worktreeSnapshotAndDiffMatchGit() throws {
        let fixture = try TemporaryRepository()
        try fixture.commit("one", files: ["a.py": "a = 1\n", "b.py": "b = 1\n", "c.py": "c = 1\n", "keep.py": "k\n"])
        try fixture.write("a.py", "a = 2\n")  // unstaged edit
        try fixture.write("b.py", "b = 2\n")
        try fixture.git(["add", "b.py"])  // staged edit
        try fixture.git(["rm", "-q", "c.py"])  // staged deletion
        try fixture.write("new.py", "n = 1\n")  // untracked
        try fixture.write(".gitignore", "ignored.py\n")
        try fixture.write("ignored.py", "secret = 1\n")
        let before = try fixture.stateFingerprint()

        let repository = try Repository.discover(from: fixture.path)
        let range = try repository.resolve(.worktree)
        let changes = try repository.changes(in: range)
        #expect(
            changes.files.map { "\($0.status.letter) \($0.path)" } == [
                "A .gitignore", "M a.py", "M b.py", "D c.py", "A new.py",
            ])
        // Tracked changes equal `git diff HEAD`.
        let tracked = try GitOracle.diff(fixture, base: "HEAD", head: "HEAD")
        #expect(tracked.isEmpty)
        let gitNames = try fixture.git(["diff", "--name-status", "HEAD"]).split(separator: "\n").map {
            $0.replacingOccurrences(of: "\t", with: " ")
        }
        let mine = changes.files.filter { $0.path.description != "new.py" && $0.path.description != ".gitignore" }
            .map { "\($0.status.letter) \($0.path)" }
        #expect(mine == gitNames)

        let snapshot = try repository.materialize(.worktree)
        #expect(try String(contentsOfFile: snapshot.root + "/a.py", encoding: .utf8) == "a = 2\n")
        #expect(try String(contentsOfFile: snapshot.root + "/b.py", encoding: .utf8) == "b = 2\n")
        #expect(!FileManager.default.fileExists(atPath: snapshot.root + "/c.py"))
        #expect(try String(contentsOfFile: snapshot.root + "/new.py", encoding: .utf8) == "n = 1\n")
        #expect(!FileManager.default.fileExists(atPath: snapshot.root + "/ignored.py"))
        #expect(FileManager.default.fileExists(atPath: snapshot.root + "/keep.py"))
        #expect(try fixture.stateFingerprint() == before, "the worktree, index and refs are untouched")
    }

    @Test func worktreeRenameOfUntrackedFileIsDetected() throws {
        let fixture = try TemporaryRepository()
        let body = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try fixture.commit("one", files: ["old_name.py": body])
        try FileManager.default.moveItem(atPath: fixture.path + "/old_name.py", toPath: fixture.path + "/new_name.py")
        let repository = try Repository.discover(from: fixture.path)
        let changes = try repository.changes(in: try repository.resolve(.worktree))
        #expect(changes.files.count == 1)
        #expect(changes.files.first?.status == .renamed)
        #expect(changes.files.first?.similarity == 100)
    }

    /// Every path under `root` with its type and permissions, as raw bytes from `find`
    /// (Foundation cannot name paths that are not UTF-8).
    static func listing(_ root: String) throws -> String {
        // Type, link target, and whether the owner may execute (tar applies its own umask).
        let output = try ProcessRunner.run(
            "find", [root, "-mindepth", "1", "(", "-type", "f", "-perm", "-u=x", "-printf", "%P x\\n", ")", "-o",
                "-printf", "%P %y %l\\n"])
        let lines = output.stdout.split(separator: 0x0A).map { Array($0) }
        return lines.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: "\n")
    }

    /// Whether two trees have equal contents (`diff -r` without following symlinks).
    static func sameContents(_ a: String, _ b: String) throws -> Bool {
        try ProcessRunner.run("diff", ["-r", "--no-dereference", a, b]).status == 0
    }
}
