import Foundation
import ReviewCore
import ReviewSandbox
import ReviewTestSupport
import Testing

/// The result cache in `<git dir>/review/cache`, end to end and entry by entry.
@Suite("Result cache")
struct ResultCacheTests {
    /// A temp dir that review cannot create anything in: a run that must materialize a
    /// snapshot fails there, so a run that succeeds with it came from the cache.
    static let nowhere = ["REVIEW_TMPDIR": "/nonexistent/review-no-tmp"]

    static func regression() throws -> PythonProject {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "    return a - b\n", with: "    return b - a\n")
        return project
    }

    @Test func aRerunOfTheSameRangeComesFromTheCacheWithTheSameFindings() throws {
        let project = try Self.regression()
        let first = try project.review()
        #expect(first.status == 1, "\(first)")
        #expect(!first.output.err.contains("from the cache"), "\(first)")
        let second = try project.review(environment: Self.nowhere)
        #expect(second.status == 1, "\(second)")
        #expect(second.output.err.contains("all 1 result(s) from the cache"), "\(second)")
        #expect(second.summary == first.summary)
        #expect(second.summary == ["error/test-regression:calc/ops.py:6"])
        let firstFinding = try #require(first.findings.first)
        let secondFinding = try #require(second.findings.first)
        #expect(NSDictionary(dictionary: firstFinding).isEqual(to: secondFinding))
        // The cache is in the repository's git dir.
        let entries = try FileManager.default.contentsOfDirectory(atPath: project.repository.path + "/.git/review/cache")
        #expect(entries.count == 2, "the run's plan and the task: \(entries)")
        let maps = try FileManager.default.contentsOfDirectory(atPath: project.repository.path + "/.git/review/maps")
        #expect(maps.count == 1, "the project's impact map: \(maps)")
    }

    @Test func noCacheRunsAgain() throws {
        let project = try Self.regression()
        _ = try project.review()
        let bypassed = try project.review(["--no-cache"], environment: Self.nowhere)
        #expect(bypassed.status == 3, "with --no-cache the run must materialize (and fails here): \(bypassed)")
        let again = try project.review(["--no-cache"])
        #expect(again.status == 1)
        #expect(!again.output.err.contains("from the cache"), "\(again)")
    }

    @Test func settingsThatChangeResultsMissAndOthersHit() throws {
        let project = try Self.regression()
        _ = try project.review()
        // Scheduling and reporting settings keep the cache.
        let jobs = try project.review(["--jobs", "1", "--fail-on", "warning"], environment: Self.nowhere)
        #expect(jobs.status == 1)
        #expect(jobs.output.err.contains("from the cache"), "\(jobs)")
        // The timeout can change a result: a miss.
        let timeout = try project.review(["--timeout", "60"])
        #expect(timeout.status == 1)
        #expect(!timeout.output.err.contains("from the cache"), "\(timeout)")
        // So does the configuration file.
        try project.repository.write(".review.toml", "max-tests = 5\n")
        try project.repository.commit("config")
        let config = try project.review()
        #expect(!config.output.err.contains("from the cache"), "\(config)")
    }

    @Test func aNewCommitWithTheSameTreeHitsAndADifferentTreeMisses() throws {
        let project = try Self.regression()
        _ = try project.review()
        // A rewritten message (a rebase that changed nothing, a CI retry): same trees.
        try project.repository.git(["commit", "-q", "--amend", "-m", "reworded"])
        let reworded = try project.review(environment: Self.nowhere)
        #expect(reworded.status == 1, "\(reworded)")
        #expect(reworded.output.err.contains("from the cache"), "\(reworded)")
        // A fix: a new head tree, so the review runs and finds nothing.
        try project.replace("calc/ops.py", "    return b - a\n", with: "    return a - b  # fixed\n")
        let fixed = try project.review()
        #expect(fixed.status == 0, "\(fixed)")
        #expect(!fixed.output.err.contains("from the cache"), "\(fixed)")
    }

    @Test func aCorruptEntryIsDiscardedWithAWarningAndTheReviewRuns() throws {
        let project = try Self.regression()
        let first = try project.review()
        let directory = project.repository.path + "/.git/review/cache"
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            // Change one payload byte, keeping the JSON well-formed where possible.
            if let index = bytes.lastIndex(of: UInt8(ascii: "6")) { bytes[index] = UInt8(ascii: "7") } else {
                bytes.removeLast(bytes.count / 2)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let second = try project.review()
        #expect(second.status == 1, "\(second)")
        #expect(second.summary == first.summary, "a corrupt entry must never be trusted: \(second)")
        #expect(second.output.err.contains("warning: discarded a corrupt result cache entry (checksum mismatch)"), "\(second)")
        let third = try project.review(environment: Self.nowhere)
        #expect(third.output.err.contains("from the cache"), "the entry was rewritten: \(third)")
        #expect(third.summary == first.summary)
    }

    @Test func linkedWorktreesShareTheCache() throws {
        let project = try Self.regression()
        _ = try project.review()
        let linked = project.repository.path + "-linked"
        try project.repository.git(["worktree", "add", "-q", "--detach", linked, "feature"])
        defer { try? FileManager.default.removeItem(atPath: linked) }
        let output = try ReviewBinary.run(
            ["--format", "json", "main..feature"], in: linked, environment: Self.nowhere)
        let run = ReviewRun(output: output)
        #expect(run.status == 1, "\(run)")
        #expect(run.output.err.contains("from the cache"), "\(run)")
    }

    @Test func concurrentRunsAgreeAndLeaveNoCorruptEntry() throws {
        let project = try Self.regression()
        let runs = try ProcessRunner.parallel(4) { _ in
            try ReviewBinary.run(["--format", "json", "main..feature"], in: project.repository.path)
        }
        for output in runs {
            let run = ReviewRun(output: output)
            #expect(run.status == 1, "\(run)")
            #expect(run.summary == ["error/test-regression:calc/ops.py:6"], "\(run)")
            #expect(!run.output.err.contains("corrupt"), "\(run)")
        }
        let cached = try project.review(environment: Self.nowhere)
        #expect(cached.output.err.contains("from the cache"), "\(cached)")
        #expect(!cached.output.err.contains("corrupt"), "\(cached)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: project.repository.path + "/.git/review/cache")
            .filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func evictionRemovesTheLeastRecentlyUsedEntriesFirst() throws {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = try #require(ResultCache(gitDirectory: directory, maxBytes: 4000))
        let keys = (0..<10).map { CacheKey(["entry \($0)"]) }
        let payload = String(repeating: "x", count: 900)
        for (index, key) in keys.enumerated() {
            cache.store([payload], key: key)
            // Distinct, increasing use times: entry 0 is the oldest.
            var times = [timeval(tv_sec: 1_000_000 + index * 10, tv_usec: 0), timeval(tv_sec: 1_000_000 + index * 10, tv_usec: 0)]
            utimes(cache.entryPath(key), &times)
        }
        // Reading entry 0 makes it the most recently used.
        #expect(cache.load([String].self, key: keys[0]) == [payload])
        cache.evict()
        let usage = cache.usage()
        #expect(usage.bytes <= 4000, "\(usage)")
        #expect(cache.load([String].self, key: keys[0]) == [payload], "the entry just used stays")
        #expect(cache.load([String].self, key: keys[9]) == [payload], "the newest entry stays")
        #expect(cache.load([String].self, key: keys[1]) == nil, "the least recently used entry goes first")
        #expect(cache.takeWarnings().isEmpty)
    }

    @Test func anEntryUnderAnotherKeyIsNotTrusted() throws {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = try #require(ResultCache(gitDirectory: directory, maxBytes: 1 << 20))
        let right = CacheKey(["right"])
        let wrong = CacheKey(["wrong"])
        cache.store(["value"], key: wrong)
        try FileManager.default.moveItem(atPath: cache.entryPath(wrong), toPath: cache.entryPath(right))
        #expect(cache.load([String].self, key: right) == nil)
        #expect(cache.takeWarnings().first?.contains("key mismatch") == true)
        #expect(!FileManager.default.fileExists(atPath: cache.entryPath(right)))
    }

    @Test func installingAPackageChangesTheInterpreterFingerprint() throws {
        let venv = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: venv) }
        try FileManager.default.createDirectory(atPath: venv + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: venv + "/bin/python", withDestinationPath: "/usr/bin/python3")
        try "home = /usr/bin\n".write(toFile: venv + "/pyvenv.cfg", atomically: true, encoding: .utf8)
        let packages = venv + "/lib/python3.11/site-packages"
        try FileManager.default.createDirectory(atPath: packages, withIntermediateDirectories: true)
        let interpreter = try #require(Interpreter.locate(venv + "/bin/python"))
        #expect(interpreter.path == venv + "/bin/python", "a venv's python is a symlink; it stays the venv's")
        #expect(interpreter.prefix == venv)
        let before = interpreter.packageFingerprint
        #expect(before.contains(packages))
        #expect(interpreter.packageFingerprint == before, "stable while nothing changes")
        try FileManager.default.createDirectory(
            atPath: packages + "/newpkg-1.0.dist-info", withIntermediateDirectories: true)
        #expect(interpreter.packageFingerprint != before)
    }

    @Test func pytestIsSeenOnDiskOnlyWhereTheInterpreterWouldSeeIt() throws {
        let venv = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: venv) }
        try FileManager.default.createDirectory(atPath: venv + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: venv + "/bin/python", withDestinationPath: "/usr/bin/python3")
        let packages = venv + "/lib/python3.11/site-packages"
        try FileManager.default.createDirectory(atPath: packages, withIntermediateDirectories: true)
        let system = try #require(Interpreter.locate("/usr/bin/python3"))
        try #require(system.hasPackageOnDisk("pytest"), "Debian's python3-pytest is installed")
        try "home = /usr/bin\ninclude-system-site-packages = false\n".write(
            toFile: venv + "/pyvenv.cfg", atomically: true, encoding: .utf8)
        #expect(!(try #require(Interpreter.locate(venv + "/bin/python"))).hasPackageOnDisk("pytest"))
        try "home = /usr/bin\ninclude-system-site-packages = true\n".write(
            toFile: venv + "/pyvenv.cfg", atomically: true, encoding: .utf8)
        #expect((try #require(Interpreter.locate(venv + "/bin/python"))).hasPackageOnDisk("pytest"))
        try "home = /usr/bin\n".write(toFile: venv + "/pyvenv.cfg", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: packages + "/pytest", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: packages + "/pytest/__init__.py", contents: Data()))
        #expect((try #require(Interpreter.locate(venv + "/bin/python"))).hasPackageOnDisk("pytest"))
    }
}
