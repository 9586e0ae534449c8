import Foundation
import ReviewTestSupport
import Testing

/// `review ci --shard I/N` and `review merge`: a review split across CI jobs and joined.
@Suite("Shards and merge")
struct ShardMergeTests {
    let project: PythonProject

    /// Five changed modules with their own tests; `m2` breaks its test.
    init() throws {
        var files = PythonProject.baseFiles
        for index in 0..<5 {
            files["pkg/m\(index).py"] = "def f\(index)(x):\n    return x + \(index)\n"
            var test = "from pkg.m\(index) import f\(index)\n\n\n"
            for case_ in 0...index { test += "def test_\(case_)():\n    assert f\(index)(\(case_)) == \(case_ + index)\n\n\n" }
            files["tests/test_m\(index).py"] = test
        }
        files["pkg/__init__.py"] = ""
        project = try PythonProject(files: files)
        var changes: [String: String?] = [:]
        for index in 0..<5 {
            let body = index == 2 ? "x - \(index)" : "\(index) + x"
            changes["pkg/m\(index).py"] = "def f\(index)(x):\n    return \(body)\n"
        }
        try project.change(changes)
    }

    func run(_ arguments: [String]) throws -> ProcessOutput {
        try ReviewBinary.run(
            arguments, in: project.repository.path, environment: ["GITHUB_ACTIONS": "", "GITLAB_CI": ""])
    }

    func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func taskPaths(_ report: [String: Any]) -> [String] {
        (report["tasks"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }

    func findings(_ report: [String: Any]) -> [String] {
        (report["findings"] as? [[String: Any]] ?? []).map {
            "\($0["severity"]!)/\($0["kind"]!):\($0["file"]!):\($0["line"]!)"
        }
    }

    /// On demand the head session stops at m2's regression; the other files' tests still
    /// run (with their calls recorded), so their reviews are the same as with every test run.
    @Test func aStopAtOneFilesRegressionLeavesTheOtherFilesWhole() throws {
        let container = project.repository.container
        var reports: [[String: Any]] = []
        for mode in ["stop", "run-all"] {
            let file = container + "/\(mode).json"
            let output = try run(["main..feature", "--no-cache", "--on-regression", mode, "--format", "json", "--output", file])
            #expect(output.status == 1, "\(output.err)")
            reports.append(try json(file))
        }
        #expect(findings(reports[0]) == ["error/test-regression:pkg/m2.py:2"])
        #expect(findings(reports[0]) == findings(reports[1]))
        let behaviour = { (report: [String: Any]) in (report["tasks"] as? [[String: Any]] ?? []).map { "\($0["behaviour"] ?? "-")" } }
        #expect(behaviour(reports[0]) == behaviour(reports[1]))
        let message = (reports[0]["findings"] as? [[String: Any]])?.first?["message"] as? String ?? ""
        #expect(message.contains("stopped at this regression: 2 other selected test(s) of this file did not run"), "\(message)")
    }

    @Test func shardsSplitTheTasksAndMergeIntoTheUnshardedReport() throws {
        let container = project.repository.container
        let whole = try run(["ci", "--base", "main", "--no-cache", "--json", container + "/whole.json"])
        #expect(whole.status == 1, "\(whole.err)")
        let unsharded = try json(container + "/whole.json")
        #expect(taskPaths(unsharded).count == 5)

        var shardFiles: [String] = []
        var seen: [String] = []
        for index in 1...3 {
            let file = container + "/shard-\(index).json"
            let output = try run(["ci", "--base", "main", "--shard", "\(index)/3", "--no-cache", "--json", file])
            #expect(output.status == 0 || output.status == 1, "\(output.err)")
            #expect(output.err.contains("shard \(index)/3"), "\(output.err)")
            let report = try json(file)
            #expect((report["summary"] as? [String: Any])?["shard"] as? String == "\(index)/3")
            let paths = taskPaths(report)
            #expect(!paths.isEmpty, "every shard gets work when there are more tasks than shards")
            seen += paths
            shardFiles.append(file)
        }
        #expect(seen.sorted() == taskPaths(unsharded).sorted(), "each task in exactly one shard: \(seen)")

        // The same shard gets the same tasks every time.
        let again = container + "/shard-2-again.json"
        _ = try run(["ci", "--base", "main", "--shard", "2/3", "--no-cache", "--json", again])
        #expect(taskPaths(try json(again)) == taskPaths(try json(shardFiles[1])))

        let merged = container + "/merged.json"
        let merge = try run(["merge"] + shardFiles.reversed() + ["--format", "json", "--output", merged, "--format", "text"])
        #expect(merge.status == 1, "a finding fails the merge like the review: \(merge.err)")
        let mergedReport = try json(merged)
        #expect(findings(mergedReport) == findings(unsharded))
        #expect(findings(mergedReport) == ["error/test-regression:pkg/m2.py:2"])
        #expect(taskPaths(mergedReport) == taskPaths(unsharded), "tasks in the unsharded order")
        #expect((mergedReport["summary"] as? [String: Any])?["shard"] is NSNull)
        #expect((mergedReport["summary"] as? [String: Any])?["tasks"] as? Int == 5)
        #expect(merge.out.contains("review main..HEAD") || merge.out.contains("5 files"), "\(merge.out)")

        // Other formats come from the merged report too.
        let sarif = try run(["merge"] + shardFiles + ["--format", "sarif"])
        #expect(sarif.out.contains("pkg/m2.py"))
        #expect(try run(["merge"] + shardFiles + ["--fail-on", "none"]).status == 0)
    }

    @Test func aMergeOfSomeShardsIsRefused() throws {
        let container = project.repository.container
        var files: [String] = []
        for index in 1...3 {
            let file = container + "/s\(index).json"
            _ = try run(["ci", "--base", "main", "--shard", "\(index)/3", "--json", file])
            files.append(file)
        }
        let missing = try run(["merge", files[0], files[2]])
        #expect(missing.status == 2)
        #expect(missing.err == "review: missing the report of shard 2/3: merging only some shards would pass a partial review off as complete\n", "\(missing.err)")
        let twice = try run(["merge", files[0], files[0], files[1], files[2]])
        #expect(twice.status == 2)
        #expect(twice.err.contains("are both shard 1/3"), "\(twice.err)")

        // Reports of different ranges do not merge.
        let other = container + "/other.json"
        _ = try run(["ci", "--base", "HEAD~1", "--json", other])
        try project.replace("pkg/m0.py", "0 + x", with: "x + 0")
        let newer = container + "/newer.json"
        _ = try run(["ci", "--base", "main", "--json", newer])
        let mixed = try run(["merge", other, newer])
        #expect(mixed.status == 2)
        #expect(mixed.err.contains(" reviews ") && mixed.err.hasPrefix("review: "), "\(mixed.err)")

        let garbage = container + "/garbage.json"
        try "{\"head\": [1, 2".write(toFile: garbage, atomically: true, encoding: .utf8)
        let bad = try run(["merge", garbage])
        #expect(bad.status == 2)
        #expect(bad.err.hasPrefix("review: \(garbage): not a review JSON report (invalid JSON at byte"), "\(bad.err)")
        #expect(bad.err.split(separator: "\n").count == 1)
        let nothing = try run(["merge", container + "/does-not-exist.json"])
        #expect(nothing.status == 2)
    }

    @Test func badShardSpecsAreUsageErrors() throws {
        for spec in ["0/3", "4/3", "1/0", "a/b", "2", "1/3/4"] {
            let output = try run(["ci", "--base", "main", "--shard", spec])
            #expect(output.status == 2, "\(spec): \(output.err)")
            #expect(output.err.contains("--shard takes I/N"), "\(spec): \(output.err)")
        }
    }
}
