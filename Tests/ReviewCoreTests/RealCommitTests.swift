import Foundation
import ReviewTestSupport
import Testing

/// No false alarm on ordinary commits: the project's import roots for every execution,
/// packages the interpreter lacks reported once as the environment's, undeclared imports
/// as warnings, and a genuinely broken change still an error. End to end on generated
/// projects, real git and real bubblewrap.
@Suite("No false alarms on real commits")
struct RealCommitTests {
    /// A src layout: `src/shop/`, with a conftest that imports the package.
    static let srcLayout: [String: String] = [
        "pyproject.toml": "[project]\nname = \"shop\"\nversion = \"1.0\"\ndependencies = [\"attrs\"]\n",
        "src/shop/__init__.py": "",
        "src/shop/price.py": "def total(items):\n    return sum(items)\n",
        "tests/conftest.py": "import pytest\nfrom shop.price import total\n\n\n@pytest.fixture\ndef basket():\n    return [1, 2, 3]\n",
        "tests/test_price.py": "from shop.price import total\n\n\ndef test_total(basket):\n    assert total(basket) == 6\n",
    ]

    @Test("a src layout where only tests change has no error at head")
    func srcLayoutTestsOnly() throws {
        let project = try PythonProject(files: Self.srcLayout)
        try project.change([
            "tests/test_more.py": "from shop.price import total\n\n\ndef test_empty():\n    assert total([]) == 0\n",
            "tests/test_price.py": "from shop.price import total\n\n\ndef test_total(basket):\n    assert total(basket) == 6\n\n\ndef test_one():\n    assert total([4]) == 4\n",
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.findings("error").isEmpty && run.findings("warning").isEmpty, "\(run.summary)")
        let tasks = try #require((run.json?["summary"] as? [String: Any])?["tasks"] as? Int)
        #expect(tasks == 2)
    }

    @Test("a src layout where only the conftest changes has no error at head")
    func srcLayoutConftestOnly() throws {
        let project = try PythonProject(files: Self.srcLayout)
        try project.replace("tests/conftest.py", "return [1, 2, 3]", with: "return [3, 2, 1]")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.findings("error").isEmpty, "\(run.summary)")
    }

    @Test("a docs/conf.py that reads files next to it is compiled, not imported: no error")
    func looseFilesAreCompiledOnly() throws {
        var files = PythonProject.baseFiles
        files["README.rst"] = "calc\n"
        let project = try PythonProject(files: files)
        try project.change([
            "docs/conf.py": "with open('../README.rst') as f:\n    long_description = f.read()\nproject = 'calc'\nrelease = '1.0'\n"
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.findings("error").isEmpty, "\(run.summary)")
        try project.replace("docs/conf.py", "release = '1.0'", with: "release = '1.0'\nversion = (")
        let broken = try project.review()
        #expect(broken.summary.contains { $0.hasPrefix("error/syntax-error:docs/conf.py") }, "a syntax error is still an error: \(broken.summary)")
    }

    @Test("a genuinely broken conftest at head that works at base is still an error")
    func brokenConftest() throws {
        let project = try PythonProject(files: Self.srcLayout)
        try project.replace("tests/conftest.py", "import pytest\n", with: "import pytest\nraise RuntimeError('broken fixture setup')\n")
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.findings("error").contains { $0["file"] as? String == "tests/conftest.py" }, "\(run.summary)")
    }

    @Test("helpers that import a package the interpreter lacks give one environment warning, exit 0")
    func missingPackageIsTheEnvironments() throws {
        let project = try PythonProject()
        try project.change([
            "calc/fancy.py": "import review_missing_pkg_42\n\n\ndef shout(text):\n    return review_missing_pkg_42.up(text)\n",
            "calc/fancier.py": "from review_missing_pkg_42.sub import thing\n\n\ndef whisper():\n    return thing\n",
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.findings("error").isEmpty, "\(run.summary)")
        let environment = run.findings.filter { $0["kind"] as? String == "environment" }
        #expect(environment.count == 1, "one warning per missing name for the whole run: \(run.summary)")
        #expect(environment.first?["severity"] as? String == "warning")
        let message = environment.first?["message"] as? String ?? ""
        #expect(message.contains("`review_missing_pkg_42` is not installed for") && message.contains("--python"), "\(message)")
    }

    @Test("a change that adds an import the metadata does not declare gets an undeclared-dependency warning")
    func undeclaredImport() throws {
        var files = PythonProject.baseFiles
        files["pyproject.toml"] = "[project]\nname = \"calc\"\nversion = \"1.0\"\ndependencies = [\"attrs>=22\"]\n"
        let project = try PythonProject(files: files)
        try project.change([
            "calc/tools.py": "import json\nimport os.path\n\ntry:\n    import simplejson\nexcept ImportError:\n    simplejson = None\nimport pytest\nfrom calc import ops\n\n\ndef check(x):\n    return pytest.approx(ops.add(x, 0)) == x\n"
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let undeclared = run.findings.filter { $0["kind"] as? String == "undeclared-dependency" }
        #expect(undeclared.count == 1, "\(run.summary)")
        #expect(undeclared.first?["line"] as? Int == 8)
        #expect((undeclared.first?["message"] as? String)?.contains("`pytest`") == true)
        #expect((undeclared.first?["message"] as? String)?.contains("pyproject.toml") == true)
    }

    @Test("an import that was already there is not the change's, and no metadata means no judgement")
    func existingImportOrNoMetadata() throws {
        let project = try PythonProject()
        try project.change(["calc/tools.py": "import pytest\n\n\ndef check(x):\n    return pytest.approx(x) == x\n"])
        let run = try project.review()
        #expect(!run.findings.contains { $0["kind"] as? String == "undeclared-dependency" }, "\(run.summary)")
    }
}
