import Foundation
import ReviewTestSupport
import Testing

/// Static test selection through the import graph, end to end with `review --plan`.
@Suite("Import graph")
struct ImportGraphTests {
    @Test func testsReachingTheModuleThroughOtherModulesAreSelected() throws {
        let project = try PythonProject(files: [
            "pkg/__init__.py": "from .api import total  # re-export\n",
            "pkg/core.py": "def base(x):\n    return x + 1\n",
            "pkg/api.py": "from . import core\n\n\ndef total(x):\n    return core.base(x) * 2\n",
            "pkg/extra.py": "from pkg.core import (\n    base,\n)\n",
            "tests/test_direct.py": "import pkg.core\n\n\ndef test_direct():\n    assert pkg.core.base(1) == 2\n",
            "tests/test_api.py": "from pkg import total\n\n\ndef test_total():\n    assert total(1) == 4\n",
            "tests/test_extra.py": "from pkg.extra import base\n\n\ndef test_extra():\n    assert base(0) == 1\n",
            "tests/test_unrelated.py": "import json\n\n\ndef test_json():\n    assert json.loads('1') == 1\n",
            "other/conftest.py": "import pkg.api\n",
            "other/test_fixture_user.py": "def test_nothing():\n    assert True\n",
        ])
        try project.replace("pkg/core.py", "x + 1", with: "x + 2")
        let output = try ReviewBinary.run(
            ["--plan", "--format", "json", "main..feature"], in: project.repository.path)
        #expect(output.status == 0, "\(output.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any])
        let task = try #require((json["tasks"] as? [[String: Any]])?.first)
        let tests = (task["tests"] as? [[String: Any]] ?? []).map { "\($0["path"]!): \($0["reason"]!)" }
        #expect(
            Set(tests) == [
                "tests/test_direct.py: imports the module",
                "tests/test_api.py: imports it through pkg",
                "tests/test_extra.py: imports it through pkg.extra",
                "other/test_fixture_user.py: its conftest.py imports it (other)",
            ], "\(tests)")
    }
}
