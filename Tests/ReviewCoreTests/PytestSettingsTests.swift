import Foundation
import ReviewCore
import ReviewTestSupport
import Testing

/// review's test index against pytest itself: for projects that set `python_files`,
/// `testpaths`, `norecursedirs`, `addopts` (`--ignore`, `--doctest-modules`) in each of
/// pytest's configuration files, the files review treats as tests are exactly the files
/// `pytest --collect-only -q` collects items from.
@Suite("The project's pytest configuration")
struct PytestSettingsTests {
    /// Test modules under several names and places, so each setting changes the answer.
    static let layout: [String: String] = [
        "pkg/__init__.py": "",
        "pkg/mod.py": "def double(x):\n    \"\"\"\n    >>> double(2)\n    4\n    \"\"\"\n    return 2 * x\n",
        "pkg/plain.py": "def one():\n    return 1\n",
        "tests/test_default.py": "def test_a():\n    pass\n",
        "tests/tests_custom.py": "def test_b():\n    pass\n",
        "tests/check_extra.py": "def test_c():\n    pass\n",
        "tests/skipme/tests_skipped.py": "def test_d():\n    pass\n",
        "suite/tests_suite.py": "def test_e():\n    pass\n",
        "suite/thing_spec.py": "def test_f():\n    pass\n",
        "legacy/test_legacy.py": "def test_g():\n    pass\n",
        "build/test_built.py": "def test_h():\n    pass\n",
        "other_test.py": "def test_i():\n    pass\n",
        // Text doctests: pytest collects test*.txt always, *.rst with --doctest-glob.
        "tests/test_notes.txt": ">>> 1 + 1\n2\n",
        "docs/usage.rst": "Usage\n=====\n\n>>> from pkg.mod import double\n>>> double(2)\n4\n",
    ]

    static let configurations: [(String, [String: String])] = [
        ("no configuration", [:]),
        ("pytest.ini python_files", ["pytest.ini": "[pytest]\npython_files = tests_*.py check_*.py\n"]),
        (
            "pytest.ini wins over setup.cfg",
            [
                "pytest.ini": "[pytest]\npython_files = check_*.py\n",
                "setup.cfg": "[tool:pytest]\npython_files = tests_*.py\n",
            ]
        ),
        (
            "pyproject.toml python_files and testpaths",
            ["pyproject.toml": "[tool.pytest.ini_options]\npython_files = [\"tests_*.py\"]\ntestpaths = [\"suite\"]\n"]
        ),
        (
            "tox.ini python_files and norecursedirs",
            ["tox.ini": "[tox]\nenvlist = py3\n\n[pytest]\npython_files = *_spec.py test_*.py\nnorecursedirs = legacy .*\n"]
        ),
        (
            "setup.cfg testpaths and an --ignore in addopts",
            ["setup.cfg": "[tool:pytest]\npython_files =\n    tests_*.py\n    test_*.py\ntestpaths = tests\naddopts = -ra --ignore=tests/skipme\n"]
        ),
        ("setup.cfg --doctest-modules", ["setup.cfg": "[metadata]\nname = pkg\n\n[tool:pytest]\naddopts = --doctest-modules\n"]),
        (
            "setup.cfg testpaths and --doctest-glob",
            ["setup.cfg": "[tool:pytest]\ntestpaths = tests docs\naddopts = --doctest-glob='*.rst' --doctest-glob=test*.txt\n"]
        ),
    ]

    static func write(_ files: [String: String], into directory: String) throws {
        for (path, text) in files {
            let file = directory + "/" + path
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    @Test("review's test index equals what pytest --collect-only collects", arguments: 0..<8)
    func indexEqualsPytestCollection(_ index: Int) throws {
        let (name, configuration) = Self.configurations[index]
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write(Self.layout.merging(configuration, uniquingKeysWith: { $1 }), into: directory)
        let pytest = try ProcessRunner.run(
            "/usr/bin/python3", ["-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"], in: directory)
        try #require(pytest.status == 0, "\(name): \(pytest.out)\(pytest.err)")
        let collected = Set(
            pytest.out.split(separator: "\n").filter { $0.contains("::") }.map { String($0.split(separator: ":")[0]) })
        let planner = Planner(configuration: Configuration())
        let seen = planner.testFiles(in: DirectoryFiles(root: directory))
        #expect(Set(seen.tests + seen.doctestModules) == collected, "\(name)")
        #expect(!collected.isEmpty)
    }

    @Test("a change that only a text doctest (--doctest-glob) catches is an error")
    func textDoctestCatchesARegression() throws {
        let project = try PythonProject(files: [
            "pkg/__init__.py": "",
            "pkg/mod.py": "def double(x):\n    return 2 * x\n",
            "docs/usage.rst": "Usage\n=====\n\n>>> from pkg.mod import double\n>>> double(2)\n4\n",
            // Names from the root conftest's doctest_namespace: no import to follow.
            "docs/more.rst": "More\n====\n\n>>> double(3)\n6\n",
            "conftest.py": "import pytest\n\nfrom pkg.mod import double\n\n\n@pytest.fixture(autouse=True)\ndef names(doctest_namespace):\n    doctest_namespace['double'] = double\n",
            "setup.cfg": "[tool:pytest]\ntestpaths = docs\naddopts = --doctest-glob='*.rst'\n",
        ])
        try project.replace("pkg/mod.py", "return 2 * x", with: "return 3 * x")
        // Both documents run (the session would stop at the first), and both fail.
        let run = try project.review(["--impact-map", "off", "--on-regression", "run-all"])
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/test-regression:pkg/mod.py:2"], "\(run)")
        let task = (run.json?["tasks"] as? [[String: Any]])?.first
        let selected = (task?["tests"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(Set(selected) == ["docs/usage.rst", "docs/more.rst"], "\(run)")
        #expect((run.findings.first?["message"] as? String)?.contains("docs/more.rst") == true, "\(run)")
    }

    @Test("a test that needs the rest of its session (a doctest_namespace filled by another directory's conftest) is compared in that session at base")
    func orderDependentTestIsComparedInItsSession() throws {
        // As in python-semver: tests/conftest.py fills doctest_namespace for the session;
        // the docs doctests, run alone, fail at any revision with a NameError.
        let project = try PythonProject(files: [
            "pkg/__init__.py": "",
            "pkg/mod.py": "def double(x):\n    return 2 * x\n",
            "tests/conftest.py": "import pytest\n\nfrom pkg.mod import double\n\n\n@pytest.fixture(autouse=True)\ndef names(doctest_namespace):\n    doctest_namespace['double'] = double\n",
            "tests/test_mod.py": "def test_nothing():\n    assert True\n",
            "docs/more.rst": "More\n====\n\n>>> double(3)\n6\n",
            "setup.cfg": "[tool:pytest]\ntestpaths = tests docs\naddopts = --doctest-glob='*.rst'\n",
        ])
        try project.replace("pkg/mod.py", "return 2 * x", with: "return 3 * x")
        // Both documents run (the session would stop at the first), and both fail.
        let run = try project.review(["--impact-map", "off", "--on-regression", "run-all"])
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/test-regression:pkg/mod.py:2"], "\(run)")
    }

    @Test("[tool.review] tests still overrides the project's pytest configuration")
    func reviewSettingOverrides() throws {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write(
            Self.layout.merging(["pytest.ini": "[pytest]\npython_files = tests_*.py\n"], uniquingKeysWith: { $1 }),
            into: directory)
        var configuration = Configuration()
        configuration.tests = [Glob("*_spec.py")]
        let seen = Planner(configuration: configuration).testFiles(in: DirectoryFiles(root: directory))
        #expect(seen.tests == ["suite/thing_spec.py"])
    }

    @Test("a unittest-style project with tests.py files and no pytest configuration")
    func unittestDiscoveryPattern() throws {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.write(
            ["app/__init__.py": "", "app/tests.py": "import unittest\n", "app/models.py": "x = 1\n"], into: directory)
        let seen = Planner(configuration: Configuration()).testFiles(in: DirectoryFiles(root: directory))
        #expect(seen.tests == ["app/tests.py"])
    }
}
