import Foundation
import ReviewSandbox
import ReviewTestSupport
import Testing

@testable import ReviewAgent

/// The workspace on real trees in the real sandbox: the flaky rerun at head starts beside
/// the base rerun of the head session's failing tests, only then, and is served when asked.
@Suite("Workspace")
final class WorkspaceTests {
    let directory: String
    let toolbox: PythonToolbox
    let task = ReviewTask(
        path: "calc/ops.py", basePath: "calc/ops.py", hunks: [ChangedRange(oldStart: 2, oldLines: 1, newStart: 2, newLines: 1)],
        module: "calc.ops", baseModule: "calc.ops", importPaths: [], isTestFile: false, tests: ["tests/test_ops.py"],
        testReasons: ["tests/test_ops.py": "named after the module"])
    static let failing = ["tests/test_ops.py::test_add"]

    init() throws {
        let python = try #require(Interpreter.locate("/usr/bin/python3"))
        toolbox = PythonToolbox(
            sandbox: try BubblewrapSandbox(interpreter: python), interpreter: python, limits: Limits(wallSeconds: 60))
        directory = try TemporaryRepository.makeDirectory()
        let test = "from calc.ops import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
        for (side, body) in [("head", "a - b"), ("base", "a + b")] {
            let files = [
                "calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return \(body)\n\n\ndef mul(a, b):\n    return a * b\n",
                "tests/test_ops.py": test,
            ]
            for (path, contents) in files {
                let url = URL(fileURLWithPath: directory + "/\(side)/" + path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try contents.write(to: url, atomically: true, encoding: .utf8)
            }
        }
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: true)
        _ = try ProcessRunner.run("chmod", ["-R", "a+rX", directory])
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A workspace whose head session ran, as the prefetch stage leaves it.
    func workspace() throws -> Workspace {
        let workspace = Workspace(toolbox: toolbox, headRoot: directory + "/head", scratch: directory + "/scratch") { [directory] in
            directory + "/base"
        }
        let session = try toolbox.runTests(task.tests, root: directory + "/head")
        #expect(session.failures.map(\.nodeID) == Self.failing, "\(session.outcomes)")
        workspace.prefetch(.tests(session), for: .runTests(task.tests, side: .head, overrides: []), task: task.path)
        return workspace
    }

    /// A failure there at base too stops the session once, and it goes on; the regression
    /// after it stops it for good, and the reruns that proved it are kept for the policy.
    /// Known in advance (an earlier review found it), the old failure does not stop it.
    @Test func theHeadSessionGoesOnAfterAnOldFailureAndStopsAtTheRegression() throws {
        for side in ["head", "base"] {
            try "def test_old():\n    assert 1 == 2\n".write(
                toFile: directory + "/\(side)/tests/test_old.py", atomically: true, encoding: .utf8)
            chmod(directory + "/\(side)/tests/test_old.py", 0o644)
        }
        let owners = [["tests/test_old.py", "tests/test_ops.py"]]
        func session(_ known: SessionStop) throws -> HeadSession {
            let stopping = HeadSession.Stopping(base: { [directory] in directory + "/base" }, spare: { true }, known: known)
            return try #require(
                HeadSession.run(
                    owners: owners, toolbox: toolbox, head: directory + "/head", extraPaths: [], recording: nil,
                    stopping: stopping))
        }
        let first = try session(SessionStop())
        #expect(first.parts == 2)
        #expect(first.preExisting.map(\.test) == ["tests/test_old.py::test_old"])
        #expect(first.preExisting.map(\.error) == ["assert 1 == 2"])
        #expect(first.run.stopReport?.notRun == ["tests/test_ops.py::test_mul"], "\(String(describing: first.run.stopReport))")
        #expect(first.run.failures.map(\.nodeID) == ["tests/test_old.py::test_old", "tests/test_ops.py::test_add"])
        #expect(first.served.map(\.request) == [
            .runTests(Self.failing, side: .base, overrides: []), .runTests(Self.failing, side: .head, overrides: []),
        ])
        #expect(first.served.first?.run.outcomes.map(\.status) == [.passed], "it passes at base")

        let seeded = try session(SessionStop(knownErrors: ["assert 1 == 2"]))
        #expect(seeded.parts == 1)
        // The stop's check saw it fail at base once more (with the regression, in one rerun).
        #expect(seeded.served.first?.request == .runTests(["tests/test_old.py::test_old"] + Self.failing, side: .base, overrides: []))
        #expect(seeded.run.failures.map(\.nodeID) == ["tests/test_old.py::test_old", "tests/test_ops.py::test_add"])
        #expect(seeded.run.stopReport?.notRun == ["tests/test_ops.py::test_mul"])
    }

    @Test func theFlakyRerunStartsBesideTheBaseRerunAndIsServed() throws {
        let workspace = try workspace()
        workspace.speculate { true }
        let base = try workspace.perform(.runTests(Self.failing, side: .base, overrides: []), task: task)
        #expect(base.testRun?.outcomes.map(\.status) == [.passed], "\(base)")
        let rerun = ExecutionRequest.runTests(Self.failing, side: .head, overrides: [])
        #expect(workspace.startedAhead(for: task.path) == [rerun])
        let head = try workspace.perform(rerun, task: task)
        #expect(head.testRun?.failures.map(\.nodeID) == Self.failing, "the rerun ran at head: \(head)")
        #expect(workspace.startedAhead(for: task.path).isEmpty, "served once, then gone")
    }

    @Test func nothingStartsAheadWithoutASpareCoreOrForOtherTests() throws {
        let workspace = try workspace()
        _ = try workspace.perform(.runTests(Self.failing, side: .base, overrides: []), task: task)
        #expect(workspace.startedAhead(for: task.path).isEmpty, "no spare core by default")
        workspace.speculate { true }
        _ = try workspace.perform(.runTests(["tests/test_ops.py::test_mul"], side: .base, overrides: []), task: task)
        _ = try workspace.perform(.runTests(task.tests, side: .base, overrides: []), task: task)
        #expect(workspace.startedAhead(for: task.path).isEmpty, "not the head session's failing tests")
        _ = try workspace.perform(.runTests(Self.failing, side: .base, overrides: []), task: task)
        #expect(workspace.startedAhead(for: task.path).count == 1)
        workspace.settle()
        #expect(workspace.startedAhead(for: task.path).isEmpty, "settled: waited for and dropped")
    }
}
