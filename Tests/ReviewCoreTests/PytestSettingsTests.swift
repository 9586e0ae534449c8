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
    ]

    static func write(_ files: [String: String], into directory: String) throws {
        for (path, text) in files {
            let file = directory + "/" + path
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    @Test("review's test index equals what pytest --collect-only collects", arguments: 0..<7)
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
