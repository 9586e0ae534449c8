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
}
