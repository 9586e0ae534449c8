import Foundation
import ReviewTestSupport
import Testing

/// `review --plan` end to end: the built binary on real repositories.
@Suite("review --plan")
struct PlanCommandTests {
    let fixture: TemporaryRepository

    init() throws {
        fixture = try TemporaryRepository()
        try fixture.commit("base", files: ["app/core.py": "def f():\n    return 1\n", "README.md": "hello\n"])
        try fixture.write("app/core.py", "def f():\n    return 2\n\n\ndef g():\n    return 3\n")
        try fixture.git(["mv", "README.md", "NOTES.md"])
        try fixture.write(Data([0x00, 0x01, 0x02]), to: "blob.bin")
        try fixture.commit("change")
    }

    @Test func jsonShape() throws {
        let output = try ReviewBinary.run(["--plan", "--format", "json", "HEAD~1..HEAD"], in: fixture.path)
        #expect(output.status == 0, "\(output.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any])
        #expect(object["base"] as? String == (try fixture.head("HEAD~1")))
        #expect(object["head"] as? String == (try fixture.head()))
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["path"] as? String } == ["NOTES.md", "app/core.py", "blob.bin"])
        let renamed = files[0]
        #expect(renamed["status"] as? String == "renamed")
        #expect(renamed["oldPath"] as? String == "README.md")
        #expect(renamed["similarity"] as? Int == 100)
        let modified = files[1]
        #expect(modified["status"] as? String == "modified")
        #expect(modified["oldMode"] as? String == "regular")
        #expect(modified["binary"] as? Bool == false)
        #expect(modified["oldPath"] as? String == "app/core.py")
        let hunks = try #require(modified["hunks"] as? [[String: Int]])
        #expect(hunks == [["oldStart": 2, "oldLines": 1, "newStart": 2, "newLines": 5]])
        let binary = files[2]
        #expect(binary["binary"] as? Bool == true)
        #expect(binary["oldPath"] is NSNull)
        #expect(binary["oldMode"] is NSNull)
        #expect((binary["hunks"] as? [Any])?.isEmpty == true)
    }

    /// A module of a package with a shebang (`#!/usr/bin/env python3`, runnable and imported
    /// by its package) is a module: it is imported and probed; so is a top-level shebang
    /// module that a test imports (sqlitedict's `sqlitedict.py`). A shebang file outside a
    /// package that nothing imports, or one without `.py`, is a script: compiled, never imported.
    @Test func shebangModulesOfAPackageAreModules() throws {
        let repository = try TemporaryRepository()
        let shebang = "#!/usr/bin/env python3\n"
        try repository.commit(
            "base",
            files: [
                "pkg/__init__.py": "from pkg.core import f\n", "pkg/core.py": shebang + "def f():\n    return 1\n",
                "scripts/run.py": shebang + "print(1)\n", "bin/tool": shebang + "print(1)\n",
                "single.py": shebang + "def g():\n    return 1\n",
                "tests/test_single.py": "from single import g\n\ndef test_g():\n    assert g()\n",
            ])
        try repository.write("single.py", shebang + "def g():\n    return 2\n")
        try repository.write("pkg/core.py", shebang + "def f():\n    return 2\n")
        try repository.write("scripts/run.py", shebang + "print(2)\n")
        try repository.write("bin/tool", shebang + "print(2)\n")
        try repository.commit("change")
        let output = try ReviewBinary.run(["--plan", "--format", "json", "HEAD~1..HEAD"], in: repository.path)
        #expect(output.status == 0, "\(output.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any])
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        let modules = Dictionary(uniqueKeysWithValues: tasks.map { ($0["path"] as? String ?? "", $0["module"] as? String) })
        #expect(modules["pkg/core.py"] == .some("pkg.core"), "\(tasks)")
        #expect(modules["single.py"] == .some("single"), "\(tasks)")
        #expect(modules["scripts/run.py"] == .some(nil), "\(tasks)")
        #expect(modules["bin/tool"] == .some(nil), "\(tasks)")
    }

    @Test func textOutput() throws {
        let output = try ReviewBinary.run(["--plan", "HEAD"], in: fixture.path + "/app")
        #expect(output.status == 0, "\(output.err)")
        #expect(output.out.contains("R100  README.md -> NOTES.md"))
        #expect(output.out.contains("M     app/core.py  +5 -1 (1 hunk)"))
        #expect(output.out.contains("A     blob.bin  binary"))
    }

    @Test func emptyRangeSaysNothingToReview() throws {
        let output = try ReviewBinary.run(["--plan", "HEAD..HEAD"], in: fixture.path)
        #expect(output.status == 0)
        #expect(output.out == "nothing to review\n")
        let json = try ReviewBinary.run(["--plan", "--format", "json", "HEAD..HEAD"], in: fixture.path)
        #expect(json.status == 0)
        #expect(json.err.contains("nothing to review"))
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        #expect((object?["files"] as? [Any])?.isEmpty == true)
    }

    @Test func exitCodesAndOneLineErrors() throws {
        let cases: [([String], String, Int32, String)] = [
            (["--plan", "fo0..HEAD"], fixture.path, 2, "review: unknown revision 'fo0' (in range 'fo0..HEAD')\n"),
            (["--plan", "a..b..c"], fixture.path, 2, "review: invalid range 'a..b..c': expected one '..' or '...' separator\n"),
            (["--plan"], fixture.path, 2, "no upstream"),
            (["--plan", "--format", "yaml", "HEAD"], fixture.path, 2, "yaml"),
            (["--plan", "--no-such-flag"], fixture.path, 2, "no-such-flag"),
            (["--plan", "--worktree", "HEAD"], fixture.path, 2, "--worktree takes no range"),
            (["--plan", "HEAD"], "/", 2, "review: not a git repository"),
        ]
        for (arguments, directory, status, message) in cases {
            let output = try ReviewBinary.run(arguments, in: directory)
            #expect(output.status == status, "\(arguments): \(output.err)")
            #expect(output.err.contains(message), "\(arguments): \(output.err)")
            #expect(output.err.split(separator: "\n").count == 1, "one line: \(output.err)")
            #expect(output.out.isEmpty)
        }
    }

    @Test func noCommitsExitsTwo() throws {
        let empty = try TemporaryRepository()
        let output = try ReviewBinary.run(["--plan", "HEAD"], in: empty.path)
        #expect(output.status == 2)
        #expect(output.err == "review: the repository has no commits yet; commit something first\n")
    }

    @Test func worktreeAndDirectoryOption() throws {
        try fixture.write("app/core.py", "def f():\n    return 3\n\n\ndef g():\n    return 3\n")
        let output = try ReviewBinary.run(["--plan", "--worktree", "-C", fixture.path], in: "/")
        #expect(output.status == 0, "\(output.err)")
        #expect(output.out.hasPrefix("HEAD..worktree"))
        #expect(output.out.contains("M     app/core.py  +1 -1 (1 hunk)"))
    }

    @Test func nonUTF8PathsAreEscapedNeverLost() throws {
        let name = Data([0x6D, 0x6F, 0x64, 0xE9, 0x2E, 0x70, 0x79])  // "mod\xE9.py", Latin-1
        let path = fixture.path.utf8CString.dropLast().map { UInt8(bitPattern: $0) } + [0x2F] + Array(name)
        let descriptor = path.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { buffer -> Int32 in
            var terminated = Array(buffer)
            terminated.append(0)
            return open(terminated, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        try #require(descriptor >= 0)
        _ = "x = 1\n".withCString { write(descriptor, $0, 6) }
        close(descriptor)
        try fixture.commit("latin-1 name")
        let text = try ReviewBinary.run(["--plan", "HEAD"], in: fixture.path)
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.contains("A     \"mod\\351.py\"  +1 -0 (1 hunk)"))
        let json = try ReviewBinary.run(["--plan", "--format", "json", "HEAD"], in: fixture.path)
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        let files = object?["files"] as? [[String: Any]]
        #expect(files?.first?["path"] as? String == "\"mod\\351.py\"")
    }

    @Test func planLeavesRepositoryUntouched() throws {
        try fixture.write("app/core.py", "changed in worktree\n")
        try fixture.write("untracked.py", "u = 1\n")
        try fixture.git(["stash", "-q"])
        try fixture.write("app/core.py", "staged\n")
        try fixture.git(["add", "app/core.py"])
        try fixture.write("app/core.py", "unstaged\n")
        let before = try fixture.stateFingerprint()
        let stash = try fixture.git(["stash", "list"])
        for arguments in [["--plan", "HEAD"], ["--plan", "--worktree"], ["--plan", "--format", "json", "HEAD~1..HEAD"]] {
            let output = try ReviewBinary.run(arguments, in: fixture.path)
            #expect(output.status == 0, "\(output.err)")
        }
        #expect(try fixture.stateFingerprint() == before)
        #expect(try fixture.git(["stash", "list"]) == stash)
        #expect(try fixture.read("app/core.py") == "unstaged\n")
    }
}

extension TemporaryRepository {
    /// Writes raw bytes to a path relative to the worktree.
    func write(_ data: Data, to relativePath: String) throws {
        try write(relativePath, data)
    }
}
