import Foundation
import ReviewTestSupport
import Testing

/// Test selection by the impact map recorded at base, end to end with real pytest runs.
@Suite("Impact map")
struct ImpactMapTests {
    /// `calc/core.py` is reached only through a dynamic import, which no static scan sees.
    static let files: [String: String] = [
        "calc/__init__.py": "",
        "calc/core.py": "LIMIT = 10\n\n\ndef double(x):\n    return x * 2\n\n\ndef triple(x):\n    return x * 3\n",
        "calc/loader.py": "import importlib\n\n\ndef load(name):\n    return importlib.import_module('calc.' + name)\n",
        "tests/test_dynamic.py": """
            from calc.loader import load


            def test_double():
                assert load('core').double(2) == 4


            def test_triple():
                assert load('core').triple(2) == 6


            def test_loader_only():
                assert load('loader').load is not None
            """,
    ]

    func task(_ run: ReviewRun) throws -> [String: Any] {
        try #require((run.json?["tasks"] as? [[String: Any]])?.first)
    }

    /// The base moves: `edit` rewrites a file on main (from its text there), and feature is
    /// rebased onto it.
    func moveBase(_ project: PythonProject, _ path: String, _ edit: (String) -> String) throws {
        try project.repository.git(["checkout", "-q", "main"])
        let file = project.repository.path + "/" + path
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        try project.repository.write(path, edit(text))
        try project.repository.commit("the base moves: \(path)")
        try project.repository.git(["checkout", "-q", "feature"])
        try project.repository.git(["rebase", "-q", "main"])
    }

    @Test func theMapFindsTestsTheImportGraphCannotAndSelectsOnlyThoseThatRunTheChange() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/core.py", "return x * 2", with: "return x * 2 + 1")
        let staticOnly = try project.review(["--impact-map", "off", "--no-cache"])
        #expect(staticOnly.status == 0, "the import graph finds no test for calc/core.py: \(staticOnly)")
        #expect(try task(staticOnly)["testSelection"] as? String == "import graph")

        // The first review records the map at base beside its own run, which still uses the
        // import graph; the next review of this base selects with the map.
        let first = try project.review()
        #expect(first.status == 0, "\(first)")
        #expect(first.output.err.contains("impact map: recorded which of 3 test(s) run which functions"), "\(first)")
        #expect(
            try task(first)["testSelection"] as? String
                == "import graph (the impact map is being recorded at base for later reviews)")
        let mapped = try project.review(["--no-cache"])
        #expect(mapped.status == 1, "\(mapped)")
        #expect(mapped.summary == ["error/test-regression:calc/core.py:5"], "\(mapped)")
        #expect(!mapped.output.err.contains("impact map: recorded"), "\(mapped)")
        let selected = try task(mapped)
        #expect(selected["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double"], "\(selected)")
        #expect((selected["testSelection"] as? String)?.hasPrefix("impact map (base ") == true, "\(selected)")
        let reasons = (selected["tests"] as? [[String: Any]] ?? []).map { "\($0["path"]!): \($0["reason"]!)" }
        #expect(reasons == ["tests/test_dynamic.py: runs the changed lines at base (impact map)"])
        let text = try ReviewBinary.run(["main..feature", "--no-cache"], in: project.repository.path)
        #expect(text.out.contains("calc/core.py: 1 related test file (impact map (base "), "\(text.out)")

        // Another change on the same base reuses the map: nothing is recorded again.
        try project.replace("calc/core.py", "return x * 3", with: "return x + x + x")
        let again = try project.review(["--no-cache"])
        #expect(!again.output.err.contains("impact map: recorded"), "\(again)")
        #expect(try task(again)["testNodes"] as? [String] == [
            "tests/test_dynamic.py::test_double", "tests/test_dynamic.py::test_triple",
        ])
    }

    @Test func aChangeOutsideFunctionsFallsBackToTheImportGraph() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/core.py", "LIMIT = 10", with: "LIMIT = 11")
        _ = try project.review()
        let run = try project.review(["--no-cache"])
        #expect(run.status == 0, "\(run)")
        let selection = try task(run)["testSelection"] as? String
        #expect(selection == "import graph (impact map: line 1 at base is outside every function)", "\(String(describing: selection))")
    }

    @Test func aMovedBaseIsFollowedByRecordingOnlyWhatChanged() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/core.py", "return x * 2", with: "return x * 2 + 1")
        #expect(try project.review().output.err.contains("impact map: recorded which of 3 test(s)"))
        // The base moves on: a new test file. The map is not recorded anew; the new file is
        // chosen by the import graph now and recorded beside this review.
        try moveBase(project, "tests/test_more.py") { _ in
            "from calc.core import triple\n\n\ndef test_more():\n    assert triple(1) == 3\n"
        }
        let rebased = try project.review()
        #expect(!rebased.output.err.contains("impact map: recorded"), "\(rebased)")
        #expect(rebased.output.err.contains("by recording 1 stale or new test(s)"), "\(rebased)")
        #expect(rebased.status == 1, "the map's entry for test_double still holds at the new base: \(rebased)")
        let selected = try task(rebased)
        #expect(
            selected["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double", "tests/test_more.py"], "\(selected)")
        #expect(
            (selected["testSelection"] as? String)?.hasPrefix("impact map (recorded at ") == true
                && (selected["testSelection"] as? String)?.contains("1 more by the import graph") == true, "\(selected)")
        // The next review of that base finds the map current.
        let again = try project.review(["--no-cache"])
        #expect(!again.output.err.contains("impact map:"), "\(again)")
        #expect(try task(again)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double"], "\(again)")
    }

    @Test func aChangedFunctionMakesItsTestsStaleAndTheImportGraphChoosesThem() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/core.py", "return x * 3", with: "return x * 3 + 1")
        _ = try project.review()
        // At the new base `double` calls `triple`: the map's entry for test_double (which ran
        // only `double`) is stale, so it is not trusted; test_triple's still holds.
        try moveBase(project, "calc/core.py") { $0.replacingOccurrences(of: "return x * 2", with: "return triple(x) - x") }
        let run = try project.review()
        let selected = try task(run)
        #expect(
            selected["testNodes"] as? [String] == ["tests/test_dynamic.py::test_triple", "tests/test_dynamic.py::test_double"],
            "\(selected)")
        #expect(run.status == 1, "\(run)")
        // Refreshed at this base: test_double now runs `triple`, so the map selects both.
        let again = try project.review(["--no-cache"])
        #expect(
            try task(again)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double", "tests/test_dynamic.py::test_triple"],
            "\(again)")
    }

    @Test func addingAFunctionLeavesOtherEntriesValidButAChangedConstantDoesNot() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/core.py", "return x * 2", with: "return x * 2 + 1")
        _ = try project.review()
        // A new function, exported: no entry depends on it.
        try moveBase(project, "calc/core.py") { "__all__ = ['double', 'triple', 'quadruple']\n" + $0 + "\n\ndef quadruple(x):\n    return x * 4\n" }
        let added = try project.review()
        #expect(added.output.err.contains("by recording 0 stale or new test(s)"), "\(added)")
        #expect(try task(added)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double"], "\(added)")
        #expect(added.status == 1, "\(added)")
        // An import no function of the module reads: no entry depends on it.
        try moveBase(project, "calc/core.py") { "import math\n" + $0 }
        let imported = try project.review()
        #expect(imported.output.err.contains("by recording 0 stale or new test(s)"), "\(imported)")
        // A test added to a recorded test file: the file's other entries still hold.
        try moveBase(project, "tests/test_dynamic.py") { $0 + "\n\ndef test_double_zero():\n    assert load('core').double(0) == 0\n" }
        let newTest = try project.review()
        #expect(newTest.output.err.contains("by recording 1 stale or new test(s)"), "\(newTest)")
        #expect(
            try task(newTest)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double", "tests/test_dynamic.py::test_double_zero"],
            "a new test of a file the map chose runs too: \(newTest)")
        let recorded = try project.review(["--no-cache"])
        #expect(
            try task(recorded)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double", "tests/test_dynamic.py::test_double_zero"],
            "the new test is in the map now: \(recorded)")
        // A docstring without examples: no behaviour changes.
        try moveBase(project, "calc/core.py") { $0.replacingOccurrences(of: "def triple(x):\n", with: "def triple(x):\n    \"\"\"Three times x.\"\"\"\n") }
        let documented = try project.review()
        #expect(documented.output.err.contains("by recording 0 stale or new test(s)"), "\(documented)")
        // A module-level constant no function reads: no entry depends on it.
        try moveBase(project, "calc/core.py") { $0.replacingOccurrences(of: "LIMIT = 10", with: "LIMIT = 12") }
        let constant = try project.review()
        #expect(constant.output.err.contains("by recording 0 stale or new test(s)"), "\(constant)")
        #expect(
            try task(constant)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double", "tests/test_dynamic.py::test_double_zero"],
            "\(constant)")
    }

    @Test func aChangedConstantMakesTheTestsOfTheFunctionsThatReadItStale() throws {
        var files = Self.files
        files["calc/core.py"] = "FACTOR = 3\n\n\ndef double(x):\n    return x * 2\n\n\ndef triple(x):\n    return x * FACTOR\n"
        let project = try PythonProject(files: files)
        try project.replace("calc/core.py", "return x * 2", with: "return x * 2 + 1")
        _ = try project.review()
        try moveBase(project, "calc/core.py") { $0.replacingOccurrences(of: "FACTOR = 3", with: "FACTOR = 4") }
        let run = try project.review()
        #expect(run.output.err.contains("by recording 1 stale or new test(s)"), "test_triple reads FACTOR through triple: \(run)")
        // test_triple is stale and ran the reviewed file where recorded: it runs again too.
        #expect(
            try task(run)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_double", "tests/test_dynamic.py::test_triple"],
            "\(run)")
    }

    /// feature is main again plus `edit` of the test file: the map recorded at main applies.
    func testOnlyChange(_ edit: [String: String], files: [String: String] = Self.files) throws -> PythonProject {
        let project = try PythonProject(files: files)
        try project.replace("calc/core.py", "return x * 2", with: "return 2 * x")
        #expect(try project.review().output.err.contains("impact map: recorded which of"))
        try project.repository.git(["checkout", "-q", "feature"])
        try project.repository.git(["reset", "-q", "--hard", "main"])
        var text = try project.repository.read("tests/test_dynamic.py")
        for (old, new) in edit {
            #expect(text.contains(old), "\(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        _ = try project.change(["tests/test_dynamic.py": text], message: "tests only")
        return project
    }

    @Test func aChangedTestFileRunsItsChangedTestsAndThoseOfAHelperItChanges() throws {
        // A test changed and one added: only they run, not the file's other tests.
        let tests = try testOnlyChange([
            "triple(2) == 6": "triple(3) == 9",
            "def test_loader_only():": "def test_triple_zero():\n    assert load('core').triple(0) == 0\n\n\ndef test_loader_only():",
        ])
        let run = try tests.review(["--no-cache"])
        #expect(run.status == 0, "\(run)")
        let selected = try task(run)
        #expect(
            selected["testNodes"] as? [String] == ["tests/test_dynamic.py::test_triple", "tests/test_dynamic.py::test_triple_zero"],
            "\(selected)")
        #expect(
            (selected["testSelection"] as? String)?.hasSuffix("2 test(s) of this file changed or run a helper it changes") == true,
            "\(selected)")
        // A changed test that fails is still run and reported.
        _ = try tests.replace("tests/test_dynamic.py", "triple(3) == 9", with: "triple(3) == 10")
        let broken = try tests.review(["--no-cache"])
        #expect(broken.status == 1, "\(broken)")

        // A helper changed: the tests that ran it.
        var files = Self.files
        files["tests/test_dynamic.py"] = files["tests/test_dynamic.py"]! + "\n\ndef two():\n    return 2\n\n\ndef test_two():\n    assert load('core').double(1) == two()\n"
        let helper = try testOnlyChange(["    return 2\n": "    return 1 + 1\n"], files: files)
        let helped = try helper.review(["--no-cache"])
        #expect(try task(helped)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_two"], "\(helped)")
    }

    @Test func anImportAChangedTestReadsRunsOnlyTheTestsThatReadIt() throws {
        let project = try testOnlyChange([
            "from calc.loader import load\n": "import math\nfrom calc.loader import load\n",
            "triple(2) == 6": "triple(2) == math.floor(6.5)",
        ])
        let run = try project.review(["--no-cache"])
        #expect(run.status == 0, "\(run)")
        #expect(try task(run)["testNodes"] as? [String] == ["tests/test_dynamic.py::test_triple"], "\(run)")
    }

    @Test func aChangedTestFileRunsWholeWhenItsModuleLevelCodeOrANewHelperChanges() throws {
        // An import that no function reads is there for its side effects.
        let imports = try testOnlyChange(["from calc.loader import load\n": "import os\nfrom calc.loader import load\n"])
        #expect(try task(try imports.review(["--no-cache"]))["testSelection"] as? String == "import graph (impact map: a test file)")
        // A new helper could be a hook or a fixture that reaches unchanged tests.
        let helper = try testOnlyChange(["def test_double():": "def setup_function():\n    pass\n\n\ndef test_double():"])
        let run = try helper.review(["--no-cache"])
        #expect(try task(run)["testSelection"] as? String == "import graph (impact map: a test file)", "\(run)")
        #expect(try task(run)["testNodes"] as? [String] == nil, "the whole file runs: \(run)")
    }

    @Test func aVersionBumpRunsTheTestsThatReadTheVersionNotEveryImporter() throws {
        var files = Self.files
        files["calc/core.py"] = "\"\"\"Core.\"\"\"\n__version__ = \"1.0\"\n" + files["calc/core.py"]!
        files["tests/test_version.py"] = "from calc import core\n\n\ndef test_version():\n    assert core.__version__ == \"1.0\"\n"
        let project = try PythonProject(files: files)
        try project.replace("calc/core.py", "__version__ = \"1.0\"", with: "__version__ = \"1.1\"")
        _ = try project.review()
        let bump = try project.review(["--no-cache"])
        #expect(try task(bump)["testNodes"] as? [String] == ["tests/test_version.py::test_version"], "\(bump)")
        #expect(bump.status == 1, "the version test breaks: \(bump)")
        // The docstring: the same readers run (which unbound part changed is not told apart), no importer.
        try project.repository.git(["checkout", "-q", "feature"])
        try project.repository.git(["reset", "-q", "--hard", "main"])
        _ = try project.replace("calc/core.py", "\"\"\"Core.\"\"\"", with: "\"\"\"The core.\"\"\"")
        let docstring = try project.review(["--no-cache"])
        #expect(try task(docstring)["testNodes"] as? [String] == ["tests/test_version.py::test_version"], "\(docstring)")
        #expect(docstring.status == 0, "\(docstring)")
        // A constant is bound at module level: the import graph.
        try project.repository.git(["reset", "-q", "--hard", "main"])
        _ = try project.replace("calc/core.py", "LIMIT = 10", with: "LIMIT = 12")
        let constant = try project.review(["--no-cache"])
        #expect(try task(constant)["testSelection"] as? String == "import graph (impact map: line 3 at base is outside every function)", "\(constant)")
    }

    /// A property's getter and setter share a qualified name: each is compared with its own
    /// counterpart, so a change elsewhere in the file leaves the tests that use it valid.
    @Test func aPropertyWithASetterStaysValidWhenAnotherFunctionChanges() throws {
        let project = try PythonProject(files: [
            "calc/__init__.py": "",
            "calc/box.py": """
                class Box:
                    def __init__(self):
                        self._v = 1

                    @property
                    def v(self):
                        return self._v

                    @v.setter
                    def v(self, value):
                        self._v = value


                def double(x):
                    return x * 2
                """,
            "tests/test_box.py": """
                from calc.box import Box, double


                def test_v():
                    box = Box()
                    box.v = 3
                    assert box.v == 3


                def test_double():
                    assert double(2) == 4
                """,
        ])
        try project.replace("calc/box.py", "self._v = 1", with: "self._v = 2")
        #expect(try project.review().output.err.contains("impact map: recorded which of 2 test(s)"))
        try moveBase(project, "calc/box.py") { $0.replacingOccurrences(of: "return x * 2", with: "return 2 * x") }
        let run = try project.review()
        #expect(run.output.err.contains("by recording 1 stale or new test(s)"), "only test_double ran what changed: \(run)")
    }

    @Test func thePrePushPresetNeverRecordsAMap() throws {
        let project = try PythonProject(files: Self.files)
        try project.replace("calc/core.py", "return x * 2", with: "return x * 2 + 1")
        let main = try project.repository.head("main")
        let feature = try project.repository.head("feature")
        let output = try ReviewBinary.run(
            ["hook", "pre-push", "origin", "/nowhere"], in: project.repository.path,
            input: Data("refs/heads/feature \(feature) refs/heads/feature \(main)\n".utf8))
        #expect(!output.err.contains("impact map: recorded"), "\(output.err)")
        #expect(output.status == 0, "without a map, the import graph finds no test: \(output.err)")
    }

    @Test func aFunctionThatRunsAtImportSelectsEveryImporter() throws {
        let project = try PythonProject(files: [
            "calc/__init__.py": "",
            "calc/table.py": "def make_table():\n    return {1: 'one'}\n\n\nTABLE = make_table()\n",
            "tests/test_table.py": "from calc.table import TABLE\n\n\ndef test_one():\n    assert TABLE[1] == 'one'\n",
        ])
        try project.replace("calc/table.py", "{1: 'one'}", with: "{1: 'uno'}")
        _ = try project.review()
        let run = try project.review(["--no-cache"])
        #expect(run.status == 1, "no test calls make_table, but every importer sees its result: \(run)")
        #expect(run.summary == ["error/test-regression:calc/table.py:2"], "\(run)")
        #expect(
            try task(run)["testSelection"] as? String
                == "import graph (impact map: `make_table` runs when the module is imported)")
    }
}
