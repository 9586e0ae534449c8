import Foundation
import ReviewSandbox
import ReviewTestSupport
import Testing

/// The Python side of the sandbox: batch checks and test runs with per-test results.
@Suite("Python toolbox")
final class PythonToolboxTests {
    let toolbox: PythonToolbox
    let root: String

    init() throws {
        let python = try #require(SandboxTestSupport.interpreter())
        toolbox = PythonToolbox(
            sandbox: try BubblewrapSandbox(interpreter: python), interpreter: python, limits: Limits(wallSeconds: 60))
        root = try TemporaryRepository.makeDirectory() + "/tree"
        let files = [
            "pkg/__init__.py": "",
            "pkg/good.py": "class A:\n    def m(self):\n        return 1\n\n\ndef f():\n    return 2\n",
            "pkg/broken.py": "def f(:\n    pass\n",
            "pkg/noimport.py": "import does_not_exist\n",
            "tests/test_good.py": "from pkg.good import f\n\n\ndef test_ok():\n    assert f() == 2\n\n\ndef test_bad():\n    assert f() == 3\n\n\nimport pytest\n\n\n@pytest.mark.skip\ndef test_skipped():\n    pass\n\n\nclass TestGroup:\n    def test_in_class(self):\n        pass\n",
            "tests/test_uncollectable.py": "import does_not_exist\n\n\ndef test_x():\n    pass\n",
        ]
        for (path, contents) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        _ = try ProcessRunner.run("chmod", ["-R", "a+rX", (root as NSString).deletingLastPathComponent])
    }

    deinit {
        // Each test gets its own tree (the suite is made anew per test); it goes with it.
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    @Test func batchCheckReportsSymbolsSyntaxAndImportErrors() throws {
        let checks = try toolbox.check(
            [("pkg/good.py", "pkg.good"), ("pkg/broken.py", "pkg.broken"), ("pkg/noimport.py", "pkg.noimport")],
            root: root, extraPaths: [])
        let good = try #require(checks["pkg/good.py"])
        #expect(good.symbols.map(\.name) == ["A", "A.m", "f"])
        #expect(good.symbols.first { $0.name == "f" }?.line == 6)
        #expect(good.compile.succeeded)
        #expect(good.importResult?.succeeded == true)
        let broken = try #require(checks["pkg/broken.py"])
        #expect(!broken.compile.succeeded)
        #expect(broken.compile.stderr.contains("SyntaxError"))
        #expect(broken.importResult == nil)
        let noImport = try #require(checks["pkg/noimport.py"])
        #expect(noImport.compile.succeeded)
        #expect(noImport.importResult?.stderr.contains("No module named 'does_not_exist'") == true)
    }

    @Test func pytestOutcomesFromJUnit() throws {
        let run = try toolbox.runTests(["tests/test_good.py", "tests/test_uncollectable.py"], root: root)
        #expect(run.runner == "pytest")
        let statuses = Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.nodeID, $0.status) })
        #expect(statuses["tests/test_good.py::test_ok"] == .passed)
        #expect(statuses["tests/test_good.py::test_bad"] == .failed)
        #expect(statuses["tests/test_good.py::test_skipped"] == .skipped)
        #expect(statuses["tests/test_good.py::TestGroup::test_in_class"] == .passed)
        #expect(run.outcomes.first { $0.nodeID == "tests/test_good.py::test_bad" }?.line == 8)
        #expect(run.outcomes.first { $0.nodeID == "tests/test_good.py::test_bad" }?.message.contains("assert 2 == 3") == true)
        #expect(run.collectionErrors["tests/test_uncollectable.py"]?.contains("does_not_exist") == true)
        #expect(!run.runnerBroke)
    }

    @Test func aSessionStopsAtItsFirstFailureThatIsNotKnownAndGoesOnWithoutWhatRan() throws {
        let tests = ["tests/test_good.py"]
        let stopped = try toolbox.runTests(tests, root: root, stop: SessionStop())
        let report = try #require(stopped.stopReport, "\(stopped.execution)")
        #expect(report.stopped)
        #expect(report.ran == ["tests/test_good.py::test_ok", "tests/test_good.py::test_bad"])
        #expect(report.failed == ["tests/test_good.py::test_bad"])
        #expect(report.notRun == ["tests/test_good.py::test_skipped", "tests/test_good.py::TestGroup::test_in_class"])
        #expect(stopped.outcomes.map(\.nodeID) == report.ran, "junit has what ran, and only that")
        #expect(stopped.execution.exitCode == 1, "stopped as --maxfail stops: tests failed, not interrupted")
        #expect(!stopped.runnerBroke)

        // A known failure does not stop it.
        let known = try toolbox.runTests(tests, root: root, stop: SessionStop(known: ["tests/test_good.py::test_bad"]))
        #expect(known.stopReport?.stopped == false)
        #expect(known.stopReport?.notRun == [])
        #expect(known.outcomes.count == 4)

        // Going on: what ran before is left out.
        let rest = try toolbox.runTests(tests, root: root, stop: SessionStop(known: Set(report.failed), done: Set(report.ran)))
        #expect(rest.outcomes.map(\.nodeID).sorted() == ["tests/test_good.py::TestGroup::test_in_class", "tests/test_good.py::test_skipped"])
        #expect(rest.stopReport?.stopped == false)

        // A failure whose error line is known (a suite's network tests fail alike) does not stop it.
        let alike = "def test_a():\n    raise OSError('no network')\n\n\ndef test_b():\n    raise OSError('no network')\n\n\ndef test_c():\n    pass\n"
        try alike.write(toFile: root + "/tests/test_alike.py", atomically: true, encoding: .utf8)
        chmod(root + "/tests/test_alike.py", 0o644)
        let first = try toolbox.runTests(["tests/test_alike.py"], root: root, stop: SessionStop())
        let error = try #require(first.stopReport?.errors["tests/test_alike.py::test_a"])
        #expect(error == "OSError: no network", "\(String(describing: first.stopReport))")
        #expect(first.stopReport?.notRun.count == 2)
        let after = try toolbox.runTests(
            ["tests/test_alike.py"], root: root,
            stop: SessionStop(known: ["tests/test_alike.py::test_a"], done: ["tests/test_alike.py::test_a"], knownErrors: [error]))
        #expect(after.stopReport?.stopped == false)
        #expect(after.outcomes.map(\.nodeID) == ["tests/test_alike.py::test_b", "tests/test_alike.py::test_c"])

        // Without a stop request the plugin is not there.
        let plain = try toolbox.runTests(tests, root: root)
        #expect(plain.stopReport == nil)
        #expect(plain.outcomes.count == 4)
    }

    @Test func nothingCollected() throws {
        try "x = 1\n".write(toFile: root + "/tests/test_empty.py", atomically: true, encoding: .utf8)
        chmod(root + "/tests/test_empty.py", 0o644)
        let run = try toolbox.runTests(["tests/test_empty.py"], root: root)
        #expect(run.nothingCollected)
        #expect(run.execution.exitCode == 5)
        #expect(!run.runnerBroke)
    }

    @Test func overrideReplacesOneFileForOneRun() throws {
        let scratch = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try "def f():\n    return 3\n".write(toFile: scratch + "/good.py", atomically: true, encoding: .utf8)
        chmod(scratch, 0o755)
        chmod(scratch + "/good.py", 0o644)
        let run = try toolbox.runTests(
            ["tests/test_good.py::test_bad"], root: root,
            overrides: [PythonToolbox.Override(relativePath: "pkg/good.py", hostFile: scratch + "/good.py")])
        #expect(run.outcomes.map(\.status) == [.passed])
    }
}
