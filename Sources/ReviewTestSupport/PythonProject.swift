import Foundation

/// A small Python project in a git repository for end-to-end tests: `main` holds the base
/// files; ``change(_:message:)`` commits edits on the branch `feature`.
public final class PythonProject: @unchecked Sendable {
    /// The repository.
    public let repository: TemporaryRepository

    /// The base package used by most scenarios: `calc/ops.py` and its tests.
    public static let baseFiles: [String: String] = [
        "calc/__init__.py": "",
        "calc/ops.py": """
            def add(a, b):
                return a + b


            def sub(a, b):
                return a - b


            def mul(a, b):
                return a * b


            def clamp(x, low, high):
                if x < low:
                    return low
                if x > high:
                    return high
                return x

            """,
        "tests/test_ops.py": """
            from calc.ops import add, sub, mul, clamp


            def test_add():
                assert add(2, 3) == 5


            def test_sub():
                assert sub(5, 3) == 2


            def test_mul():
                assert mul(4, 3) == 12


            def test_clamp():
                assert clamp(5, 0, 10) == 5
                assert clamp(-1, 0, 10) == 0
                assert clamp(11, 0, 10) == 10

            """,
    ]

    /// Creates the project with `files` (default ``baseFiles``) committed on `main`, and
    /// checks out a new branch `feature`.
    public init(files: [String: String] = PythonProject.baseFiles) throws {
        repository = try TemporaryRepository()
        for (path, contents) in files { try repository.write(path, contents) }
        try repository.commit("base")
        try repository.git(["checkout", "-q", "-b", "feature"])
    }

    /// Writes files (a `nil` content deletes the file) and commits them on `feature`.
    @discardableResult
    public func change(_ files: [String: String?], message: String = "change") throws -> String {
        for (path, contents) in files {
            if let contents {
                try repository.write(path, contents)
            } else {
                try repository.git(["rm", "-q", path])
            }
        }
        return try repository.commit(message)
    }

    /// Edits one file of `feature` by replacing text.
    @discardableResult
    public func replace(_ path: String, _ old: String, with new: String, message: String = "edit") throws -> String {
        let text = try repository.read(path)
        guard text.contains(old) else { throw TestSupportError("'\(old)' not in \(path)") }
        return try change([path: text.replacingOccurrences(of: old, with: new)], message: message)
    }

    /// Runs `review --format json main..feature` (plus `arguments`) and parses the result.
    public func review(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> ReviewRun {
        let output = try ReviewBinary.run(
            ["--format", "json", "main..feature"] + arguments, in: repository.path, environment: environment)
        return ReviewRun(output: output)
    }
}

/// The parsed outcome of one `review --format json` run.
public struct ReviewRun: CustomStringConvertible {
    /// The raw process output.
    public let output: ProcessOutput
    /// The JSON document, when stdout held one.
    public let json: [String: Any]?

    /// Parses the output of a `review --format json` process.
    public init(output: ProcessOutput) {
        self.output = output
        json = (try? JSONSerialization.jsonObject(with: output.stdout)) as? [String: Any]
    }

    /// The exit status.
    public var status: Int32 { output.status }

    /// The findings as dictionaries.
    public var findings: [[String: Any]] { json?["findings"] as? [[String: Any]] ?? [] }

    /// The findings of one severity.
    public func findings(_ severity: String) -> [[String: Any]] {
        findings.filter { $0["severity"] as? String == severity }
    }

    /// `kind@file:line` of every finding, for compact assertions.
    public var summary: [String] {
        findings.map { "\($0["severity"] ?? "")/\($0["kind"] ?? ""):\($0["file"] ?? ""):\($0["line"] ?? "")" }
    }

    public var description: String {
        "exit \(status)\nstdout: \(output.out.prefix(4000))\nstderr: \(output.err.prefix(2000))"
    }
}
