import Foundation
import ReviewTestSupport
import Testing

/// Real projects as they are: their own pytest configuration decides what a test is, and
/// plugins and tests that write into the tree work in the sandbox. End to end on generated
/// projects, real git, real pytest and real bubblewrap.
@Suite("Projects with their own pytest setup")
struct ProjectSetupTests {
    /// `calc/ops.py` with its tests in a file named as the project's configuration says.
    static func project(test path: String, configuration: [String: String]) -> [String: String] {
        var files = PythonProject.baseFiles
        files[path] = files.removeValue(forKey: "tests/test_ops.py")
        return files.merging(configuration, uniquingKeysWith: { $1 })
    }

    static let pythonFilesConfigurations: [(String, String)] = [
        ("pytest.ini", "[pytest]\npython_files = tests_*.py\n"),
        ("pyproject.toml", "[project]\nname = \"calc\"\nversion = \"1\"\n\n[tool.pytest.ini_options]\npython_files = [\"tests_*.py\"]\n"),
        ("tox.ini", "[pytest]\npython_files = tests_*.py\n"),
        ("setup.cfg", "[metadata]\nname = calc\n\n[tool:pytest]\npython_files = tests_*.py\n"),
    ]

    @Test("python_files in each configuration file: the regression is found", arguments: 0..<4)
    func pythonFilesDecideWhatATestIs(_ index: Int) throws {
        let (file, text) = Self.pythonFilesConfigurations[index]
        let project = try PythonProject(files: Self.project(test: "tests/tests_ops.py", configuration: [file: text]))
        try project.replace("calc/ops.py", "return a * b", with: "return a + b")
        let run = try project.review()
        #expect(run.status == 1, "\(file): \(run)")
        #expect(run.summary.contains("error/test-regression:calc/ops.py:10"), "\(file): \(run.summary)")
    }

    @Test("pytest-cov in addopts and a test that writes beside itself: the regression is an error")
    func pluginsAndTestsThatWriteIntoTheTree() throws {
        var files = Self.project(
            test: "tests/test_ops.py",
            configuration: ["setup.cfg": "[tool:pytest]\naddopts = --cov=calc --cov-report=\n"])
        files["tests/test_files.py"] = """
            import pathlib

            from calc.ops import add


            def test_writes_beside_itself():
                out = pathlib.Path(__file__).with_name("written.txt")
                out.write_text(str(add(1, 2)))
                assert out.read_text() == "3"

            """
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "return a + b", with: "return a - b")
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.summary.contains("error/test-regression:calc/ops.py:2"), "\(run.summary)")
        #expect(!run.findings.contains { $0["kind"] as? String == "pre-existing-failure" }, "\(run.summary)")
        #expect(!FileManager.default.fileExists(atPath: project.repository.path + "/tests/written.txt"))
        #expect(!FileManager.default.fileExists(atPath: project.repository.path + "/.coverage"))
    }

    @Test("--doctest-modules: a module's doctests are its own test")
    func doctestModules() throws {
        let files: [String: String] = [
            "setup.cfg": "[tool:pytest]\naddopts = --doctest-modules\n",
            "calc/__init__.py": "",
            "calc/text.py": "def shout(word):\n    \"\"\"\n    >>> shout('hi')\n    'HI!'\n    \"\"\"\n    return word.upper() + '!'\n",
        ]
        let project = try PythonProject(files: files)
        try project.replace("calc/text.py", "return word.upper() + '!'", with: "return word.upper()")
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.findings("error").contains { $0["file"] as? String == "calc/text.py" }, "\(run.summary)")
    }

    @Test("a changed module no test runs is a not-tested warning in every format, and --fail-on warning blocks it")
    func noSilentPass() throws {
        let project = try PythonProject()
        try project.change([
            "calc/report.py": "def banner(text):\n    return '== ' + text + ' =='\n",
            "calc/ops.py": try project.repository.read("calc/ops.py").replacingOccurrences(of: "return a * b", with: "return b * a"),
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let untested = run.findings.filter { $0["kind"] as? String == "not-tested" }
        #expect(untested.map { $0["file"] as? String } == ["calc/report.py"], "\(run.summary)")
        #expect(untested.first?["severity"] as? String == "warning")
        #expect((untested.first?["message"] as? String)?.contains("no related tests") == true)
        let summary = try #require(run.json?["summary"] as? [String: Any])
        #expect(summary["tested"] as? Int == 1 && summary["changedFiles"] as? Int == 2, "\(summary)")
        let text = try ReviewBinary.run(["main..feature"], in: project.repository.path)
        #expect(text.out.contains("1 of 2 changed files tested"), "\(text.out)")
        #expect(text.out.contains("not-tested  calc/report.py"), "\(text.out)")
        for format in ["markdown", "sarif", "rdjsonl"] {
            let other = try ReviewBinary.run(["--format", format, "main..feature"], in: project.repository.path)
            #expect(other.out.contains("not-tested") || other.out.contains("Not tested"), "\(format): \(other.out)")
        }
        let blocked = try project.review(["--fail-on", "warning"])
        #expect(blocked.status == 1, "\(blocked)")
    }

    @Test("related tests that are all skipped are no test run")
    func allSkippedIsNotTested() throws {
        var files = PythonProject.baseFiles
        files["tests/test_ops.py"] = "import pytest\n\npytestmark = pytest.mark.skip(reason='needs a GPU')\n\n" + files["tests/test_ops.py"]!
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "return a * b", with: "return a + b")
        let run = try project.review()
        let untested = run.findings.filter { $0["kind"] as? String == "not-tested" }
        #expect(untested.count == 1, "\(run.summary)")
        #expect((untested.first?["message"] as? String)?.contains("needs a GPU") == true, "\(untested)")
    }

    @Test("500 tests that need the network around one regression: one finding per cause, at most 10")
    func networkSuiteIsOneCause() throws {
        var files = PythonProject.baseFiles
        // A name lookup fails at once in the sandbox, with a short traceback (pytest spends
        // ~0.1 s formatting each failure that passes through urllib's large modules).
        files["calc/remote.py"] = """
            import socket

            from calc.ops import add


            def fetch_total(url):
                host = url.split("/")[2]
                return add(len(socket.getaddrinfo(host, 80)), 0)

            """
        for file in 0..<10 {
            var text = "from calc.remote import fetch_total\n"
            for test in 0..<50 {
                text += "\n\ndef test_remote_\(test)():\n    assert fetch_total('http://example.com/\(file)/\(test)') >= 0\n"
            }
            files["tests/test_remote_\(file).py"] = text
        }
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        // Every test runs, for the grouping of all 450 network failures.
        let run = try project.review(["--impact-map", "off", "--on-regression", "run-all"])
        #expect(run.status == 1, "\(run)")
        #expect(run.findings.count <= 10, "\(run.summary)")
        #expect(run.summary.contains("error/test-regression:calc/ops.py:6"), "\(run.summary)")
        let grouped = run.findings.filter { $0["kind"] as? String == "pre-existing-failure" }
        let listed = grouped.flatMap { $0["tests"] as? [String] ?? [] }
        // The hub bound keeps about 500 tests: test_ops.py (named after the module) and 9 of
        // the 10 network files; every selected network test is listed in the grouped findings.
        let task = (run.json?["tasks"] as? [[String: Any]])?.first { $0["path"] as? String == "calc/ops.py" }
        let networkFiles = (task?["tests"] as? [[String: Any]] ?? []).filter {
            ($0["path"] as? String)?.hasPrefix("tests/test_remote_") == true
        }
        #expect(networkFiles.count == 9, "\(networkFiles)")
        #expect(Set(listed).count == 50 * networkFiles.count, "every node id is in the grouped findings: \(grouped.count) findings")
        #expect(grouped.allSatisfy { ($0["message"] as? String)?.contains("no network") == true }, "\(grouped)")
    }

    @Test("a broken conftest in one test directory costs only its own tests; the regression beside it is found")
    func brokenConftestBesideAGoodDirectory() throws {
        var files = PythonProject.baseFiles
        files["tests/test_ops.py"] = nil
        files["tests/good/test_ops.py"] = PythonProject.baseFiles["tests/test_ops.py"]
        files["tests/good/conftest.py"] = "import pytest\n"
        files["tests/slow/conftest.py"] = "import review_missing_plugin_77\n"
        files["tests/slow/test_slow.py"] = "from calc.ops import add\n\n\ndef test_big():\n    assert add(10**6, 1) == 1000001\n"
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "return a + b", with: "return a - b")
        let run = try project.review(["--impact-map", "off"])
        #expect(run.status == 1, "\(run)")
        #expect(run.summary.contains("error/test-regression:calc/ops.py:2"), "\(run.summary)")
        let broken = run.findings.filter { ($0["message"] as? String)?.contains("review_missing_plugin_77") == true }
        #expect(broken.count == 1, "the broken part once: \(run.summary)")
        #expect(broken.first?["severity"] as? String == "info", "\(broken)")
        #expect(!run.findings.contains { $0["kind"] as? String == "crash" }, "\(run.summary)")
    }

    @Test("a module everything imports selects about 500 tests, direct importers first, and says what it left out")
    func hubModuleIsBounded() throws {
        var files = PythonProject.baseFiles
        files["calc/util.py"] = "def clip(x):\n    return max(0, x)\n"
        files["calc/ops.py"] = "from calc.util import clip\n\n\n" + files["calc/ops.py"]!
        func tests(_ count: Int, importing module: String) -> String {
            (0..<count).map { "def test_\($0)():\n    assert \(module) is not None\n" }.joined(separator: "\n\n")
        }
        for index in 0..<6 { files["tests/test_through_\(index).py"] = "import calc.ops\n\n\n" + tests(60, importing: "calc.ops") }
        for index in 0..<4 { files["tests/test_direct_\(index).py"] = "import calc.util\n\n\n" + tests(60, importing: "calc.util") }
        let project = try PythonProject(files: files)
        try project.replace("calc/util.py", "max(0, x)", with: "max(x, 0)")
        let output = try ReviewBinary.run(["--plan", "--format", "json", "main..feature"], in: project.repository.path)
        let plan = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any], "\(output.err)")
        let task = try #require((plan["tasks"] as? [[String: Any]])?.first { $0["path"] as? String == "calc/util.py" })
        let selected = (task["tests"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        // 4 direct files of 60, then tests/test_ops.py (4 tests) and 4 of 60 through calc.ops: 484.
        #expect(selected.count == 9, "\(selected)")
        #expect(selected.prefix(4).allSatisfy { $0.hasPrefix("tests/test_direct_") }, "direct importers first: \(selected)")
        let skipped = plan["skipped"] as? [[String: Any]] ?? []
        #expect(
            skipped.contains { ($0["reason"] as? String)?.contains("2 of 11 related test files not run (about 500 tests") == true },
            "\(skipped)")
        // The first review records the impact map; the second selects with it, exactly, so
        // the import graph's bound no longer applies and is not reported.
        _ = try project.review()
        try project.replace("calc/util.py", "max(x, 0)", with: "max(x, 0)  # never negative")
        let mapped = try project.review()
        let selection = (mapped.json?["tasks"] as? [[String: Any]])?.first?["testSelection"] as? String
        #expect(selection?.hasPrefix("impact map") == true, "\(selection ?? "none") \(mapped.output.err)")
        #expect((mapped.json?["skipped"] as? [Any])?.isEmpty == true, "\(mapped.json?["skipped"] ?? "")")
    }
}
