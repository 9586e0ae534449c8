import Foundation
import ReviewTestSupport
import Testing

/// The impact map as the base moves: a map from an ancestor, moving maps between machines,
/// maps of other formats, damaged maps and concurrent writers.
@Suite("Impact map over a history")
struct ImpactMapHistoryTests {
    static let files: [String: String] = [
        "calc/__init__.py": "",
        "calc/a.py": "SCALE = 1\n\n\ndef f(x):\n    return x * SCALE\n\n\ndef g(x):\n    return x + 1\n",
        "calc/b.py": "from calc.a import f\n\n\ndef h(x):\n    return f(x) + 2\n",
        "calc/c.py": "import importlib\n\n\ndef load(name):\n    return importlib.import_module('calc.' + name)\n",
        "tests/test_a.py": "from calc.a import f, g\n\n\ndef test_f():\n    assert f(2) == 2\n\n\ndef test_g():\n    assert g(1) == 2\n",
        "tests/test_b.py": "from calc.b import h\n\n\ndef test_h():\n    assert h(1) == 3\n",
        "tests/test_dyn.py": "from calc.c import load\n\n\ndef test_dynamic_g():\n    assert load('a').g(0) == 1\n",
    ]

    /// One commit of the generated history: edits of every kind that can make map entries
    /// stale (function bodies, module-level code, tests added, new test files, conftests).
    static func edit(_ number: Int, _ project: PythonProject) throws {
        let repository = project.repository
        func read(_ path: String) throws -> String {
            try String(contentsOfFile: repository.path + "/" + path, encoding: .utf8)
        }
        switch number % 5 {
        case 0:
            // Same behaviour, new code: g's fingerprint changes.
            let text = try read("calc/a.py").replacingOccurrences(of: "    return x + 1\n", with: "    y = x\n    return y + 1\n")
                .replacingOccurrences(of: "    y = x\n    y = x\n", with: "    y = x\n")
            try repository.write("calc/a.py", text + "\n\ndef extra_\(number)():\n    return \(number)\n")
        case 1:
            try repository.write("calc/b.py", try read("calc/b.py") + "\n\ndef k_\(number)(x):\n    return h(x) * \(number)\n")
        case 2:
            try repository.write(
                "tests/test_b.py", try read("tests/test_b.py") + "\n\ndef test_h_\(number)():\n    assert h(0) == 2\n")
        case 3:
            try repository.write("calc/a.py", try read("calc/a.py").replacingOccurrences(of: "SCALE = 1\n", with: "SCALE = 1\nLIMIT_\(number) = \(number)\n"))
        default:
            try repository.write(
                "tests/test_new_\(number).py", "from calc.b import h\n\n\ndef test_new_\(number)():\n    assert h(2) == 4\n")
        }
        try repository.commit("history \(number)")
    }

    /// `testNodes` of the review's task for `calc/a.py`.
    static func nodes(_ run: ReviewRun) -> [String] {
        let tasks = run.json?["tasks"] as? [[String: Any]] ?? []
        return tasks.first { $0["path"] as? String == "calc/a.py" }?["testNodes"] as? [String] ?? []
    }

    @Test func aMapFromTwentyCommitsAgoMissesNoTestAFreshMapSelects() throws {
        let project = try PythonProject(files: Self.files)
        let repository = project.repository
        try repository.git(["checkout", "-q", "main"])
        let first = try repository.head("main")
        // Record the map at the first commit.
        try repository.git(["checkout", "-q", "-b", "old", first])
        try repository.write("calc/a.py", try String(contentsOfFile: repository.path + "/calc/a.py", encoding: .utf8) + "# old\n")
        try repository.commit("a change on the first commit")
        let recorded = try ReviewBinary.run(["--format", "json", "\(first)..old"], in: repository.path)
        #expect(recorded.err.contains("impact map: recorded"), "\(recorded.err)")
        try repository.git(["checkout", "-q", "main"])
        for number in 1...20 { try Self.edit(number, project) }
        // The change under review breaks f at the tip of the history.
        try repository.git(["checkout", "-q", "-b", "change"])
        let text = try String(contentsOfFile: repository.path + "/calc/a.py", encoding: .utf8)
        try repository.write("calc/a.py", text.replacingOccurrences(of: "    return x * SCALE\n", with: "    return x * SCALE + 1\n"))
        try repository.commit("break f")

        func review(_ arguments: [String]) throws -> ReviewRun {
            ReviewRun(output: try ReviewBinary.run(["--format", "json", "--no-cache"] + arguments, in: repository.path))
        }
        let stale = try review(["--impact-map", "existing", "main..change"])
        try FileManager.default.removeItem(atPath: repository.gitDirectory + "/review/maps")
        _ = try review(["main..change"])
        let fresh = try review(["--impact-map", "existing", "main..change"])
        #expect(!fresh.output.err.contains("impact map: recorded"), "\(fresh)")
        Self.expect(stale, selectsWhat: fresh, "the 20-commit-old map")
    }

    /// `run` (a review with an older or followed map) selects every test `fresh` (the same
    /// review with a map recorded at its base) selects, and gives the same findings: an error.
    static func expect(_ run: ReviewRun, selectsWhat fresh: ReviewRun, _ what: String) {
        let nodes = Set(Self.nodes(run))
        let freshNodes = Self.nodes(fresh)
        #expect(!freshNodes.isEmpty, "\(fresh)")
        for node in freshNodes {
            let file = String(node.prefix { $0 != ":" })
            #expect(nodes.contains(node) || nodes.contains(file), "\(node) missed by \(what): \(run)")
        }
        #expect(run.summary == fresh.summary, "\(what): \(run)\nfresh: \(fresh)")
        #expect(run.status == 1, "\(run)")
    }

    /// CI on pushes: each commit of the history reviewed as `X^..X` with the map following
    /// head, recorded by each test session at head. At the tip the map is current, and it
    /// selects every test a map recorded fresh there selects.
    @Test func aMapThatFollowsEveryPushStaysCurrentAndMissesNoTest() throws {
        let project = try PythonProject(files: Self.files)
        let repository = project.repository
        try repository.git(["checkout", "-q", "main"])
        func review(_ arguments: [String]) throws -> ReviewRun {
            ReviewRun(output: try ReviewBinary.run(["--format", "json", "--no-cache"] + arguments, in: repository.path))
        }
        for number in 1...20 {
            try Self.edit(number, project)
            let run = try review(["--map-follows", "head", "HEAD^..HEAD"])
            #expect(run.status == 0, "commit \(number): \(run)")
            if number == 1 {
                #expect(run.output.err.contains("impact map: recorded which of 4 test(s) run which functions, at head"), "\(run)")
            } else {
                // The last review left the map at this base: nothing to re-select by the import graph.
                for task in run.json?["tasks"] as? [[String: Any]] ?? [] {
                    let selection = task["testSelection"] as? String ?? ""
                    #expect(!selection.contains("since") && !selection.contains("recorded at"), "commit \(number): \(selection)")
                }
            }
        }
        try repository.git(["checkout", "-q", "-b", "change"])
        let text = try String(contentsOfFile: repository.path + "/calc/a.py", encoding: .utf8)
        try repository.write("calc/a.py", text.replacingOccurrences(of: "    return x * SCALE\n", with: "    return x * SCALE + 1\n"))
        try repository.commit("break f")
        let followed = try review(["--impact-map", "existing", "main..change"])
        #expect(!followed.output.err.contains("impact map:"), "current at main: \(followed)")
        try FileManager.default.removeItem(atPath: repository.gitDirectory + "/review/maps")
        _ = try review(["main..change"])
        let fresh = try review(["--impact-map", "existing", "main..change"])
        Self.expect(followed, selectsWhat: fresh, "the followed map")
    }

    @Test func exportAndImportMoveTheMapToAnotherClone() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/a.py", "return x + 1", with: "return x + 2")
        #expect(try project.review().output.err.contains("impact map: recorded"))
        let file = project.repository.path + "/../maps-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let exported = try ReviewBinary.run(["map", "export", file], in: project.repository.path)
        #expect(exported.status == 0 && exported.err.contains("exported 1 impact map(s)"), "\(exported.err)")

        let clone = try TemporaryRepository()
        try clone.git(["fetch", "-q", project.repository.path, "main:refs/heads/base", "feature:refs/heads/change"])
        try clone.git(["checkout", "-q", "change"])
        let imported = try ReviewBinary.run(["map", "import", file], in: clone.path)
        #expect(imported.status == 0 && imported.err.contains("imported 1 impact map(s)"), "\(imported.err)")
        let run = try ReviewBinary.run(["--format", "json", "--no-cache", "base..change"], in: clone.path)
        #expect(!run.err.contains("impact map: recorded"), "the imported map serves the clone: \(run.err)")
        #expect(run.out.contains("\"testSelection\": \"impact map (base "), "\(run.out)")
        #expect(run.status == 1, "\(run.err)")

        let garbage = project.repository.path + "/../garbage-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        try Data("{\"maps\": 3}".utf8).write(to: URL(fileURLWithPath: garbage))
        let refused = try ReviewBinary.run(["map", "import", garbage], in: clone.path)
        #expect(refused.status == 2, "\(refused.err)")
        #expect(refused.err.contains("is not an impact map export"), "\(refused.err)")
        #expect(refused.err.split(separator: "\n").count == 1, "one line: \(refused.err)")
    }

    /// The map files of a repository.
    static func mapFiles(_ project: PythonProject) throws -> [String] {
        let directory = project.repository.gitDirectory + "/review/maps"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
            .map { directory + "/" + $0 }
    }

    @Test func aMapOfAnotherFormatIsIgnoredWithANoteAndADamagedOneIsDiscarded() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/a.py", "return x + 1", with: "return x + 2")
        _ = try project.review()
        let path = try #require(try Self.mapFiles(project).first)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"format\":3", with: "\"format\":99").write(toFile: path, atomically: true, encoding: .utf8)
        let newer = try project.review(["--no-cache"])
        #expect(newer.output.err.contains("is in format 99, this review reads format 3: ignored"), "\(newer)")
        #expect(newer.output.err.contains("impact map: recorded"), "a new map replaces it: \(newer)")
        #expect(newer.status == 1, "\(newer)")

        try "{\"format\":3, \"tree\": ".write(toFile: path, atomically: true, encoding: .utf8)
        let damaged = try project.review(["--no-cache"])
        #expect(damaged.output.err.contains("warning: discarded a damaged impact map"), "\(damaged)")
        #expect(damaged.status == 1, "\(damaged)")
        let current = try project.review(["--no-cache"])
        #expect(!current.output.err.contains("impact map"), "the map recorded after the damaged one is read: \(current)")
    }

    @Test func concurrentReviewsLeaveAValidMap() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/a.py", "return x + 1", with: "return x + 2")
        try project.repository.git(["checkout", "-q", "-b", "other", "main"])
        try project.repository.write("calc/b.py", "from calc.a import f\n\n\ndef h(x):\n    return f(x) + 3\n")
        try project.repository.commit("other change")
        // Two reviews of ranges with different bases at once, both writing the map.
        try project.repository.git(["checkout", "-q", "-b", "moved", "main"])
        try project.repository.write("tests/test_c.py", "from calc.a import g\n\n\ndef test_g2():\n    assert g(2) == 3\n")
        try project.repository.commit("base moves")
        try project.repository.git(["checkout", "-q", "feature"])
        let path = project.repository.path
        let results = Gathered()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            let range = ["main..feature", "main..other", "moved..feature", "moved..other"][index]
            let run = try? ReviewBinary.run(["--format", "json", "--no-cache", range], in: path)
            results.add(run?.err ?? "did not run")
        }
        for err in results.values { #expect(!err.contains("damaged"), "\(err)") }
        let after = try project.review(["--no-cache", "--impact-map", "existing"])
        #expect(!after.output.err.contains("damaged") && !after.output.err.contains("format"), "\(after)")
        #expect(after.status == 1, "\(after)")
        #expect(try Self.mapFiles(project).count == 1)
    }
}

/// Strings gathered from concurrent work.
final class Gathered: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func add(_ value: String) {
        lock.lock()
        stored.append(value)
        lock.unlock()
    }

    var values: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
