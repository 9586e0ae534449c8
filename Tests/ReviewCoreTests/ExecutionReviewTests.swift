import Foundation
import ReviewTestSupport
import Testing

/// `review main..feature` end to end on real Python projects, real git and real bubblewrap.
@Suite("Execution review")
struct ExecutionReviewTests {
    @Test func breakingChangeIsAnErrorAtTheCulpritWithAVerifiedSuggestion() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "    return a - b\n", with: "    return b - a\n")
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/test-regression:calc/ops.py:6"], "\(run)")
        let finding = try #require(run.findings.first)
        #expect(finding["test"] as? String == "tests/test_ops.py::test_sub")
        #expect(finding["endLine"] as? Int == 6)
        let evidence = try #require(finding["evidence"] as? [String: Any])
        #expect(evidence["revision"] as? String == "head")
        #expect(evidence["exitCode"] as? Int == 1)
        #expect((evidence["output"] as? String)?.contains("test_sub") == true)
        let suggestion = try #require(finding["suggestion"] as? [String: Any])
        #expect(suggestion["verified"] as? Bool == true)
        let patch = try #require(suggestion["patch"] as? String)
        let check = try ProcessRunner.run(
            "git", ["apply", "--check", "-"], in: project.repository.path,
            environment: TemporaryRepository.gitEnvironment, input: Data(patch.utf8))
        #expect(check.status == 0, "git apply --check: \(check.err)\n\(patch)")
        let summary = try #require(run.json?["summary"] as? [String: Any])
        #expect(summary["errors"] as? Int == 1)
        #expect(summary["tasks"] as? Int == 1)
    }

    /// When the file is the range's only change and has one hunk, head with the hunk
    /// reverted is the base tree: the base run answers, and no revert run is made. Any
    /// other change in the range (a data file here) and the revert runs.
    @Test func theOnlyHunkOfTheOnlyChangeIsBlamedFromTheBaseRun() throws {
        for withData in [false, true] {
            let project = try PythonProject()
            if withData {
                try project.change([
                    "calc/ops.py": try project.repository.read("calc/ops.py").replacingOccurrences(of: "return a - b", with: "return b - a"),
                    "data/rates.txt": "1.0\n",
                ])
            } else {
                try project.replace("calc/ops.py", "    return a - b\n", with: "    return b - a\n")
            }
            let run = try project.review(["--trace", "--probe", "off"])
            #expect(run.status == 1, "\(run)")
            #expect(run.summary == ["error/test-regression:calc/ops.py:6"], "\(run)")
            let finding = try #require(run.findings.first)
            #expect((finding["message"] as? String)?.contains("Reverting the change at lines 6-6 makes it pass") == true, "\(finding)")
            let suggestion = try #require(finding["suggestion"] as? [String: Any])
            #expect(suggestion["replacement"] as? String == "    return a - b\n", "\(finding)")
            let reverted = run.output.err.contains("with hunk 1 (lines 6-6) reverted")
            #expect(reverted == withData, "\(run.output.err)")
            #expect(run.output.err.contains("is the range's only change and has one hunk") == !withData, "\(run.output.err)")
        }
    }

    /// The head session stops at the first regression it proves: the tests after it do not
    /// run, and the finding says how many. A failure that was there at base does not stop
    /// it: the session goes on after it, and the regression later on is still found.
    /// `--on-regression run-all` runs every test.
    @Test func theHeadSessionStopsAtTheFirstProvenRegression() throws {
        var files = PythonProject.baseFiles
        // Before the regression: a test that fails at base too.
        files["tests/test_ops.py"] = files["tests/test_ops.py"]!.replacingOccurrences(
            of: "def test_add():", with: "def test_old_bug():\n    assert add(1, 1) == 3\n\n\ndef test_add():")
        files["tests/test_ops.py"]! += (1...6).map { "\n\ndef test_more_\($0)():\n    assert mul(\($0), 1) == \($0)\n" }.joined()
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "    return a - b\n", with: "    return b - a\n")

        let knownFile = project.repository.path + "/.git/review/known-failures.json"
        // Without the result cache, nothing is remembered either.
        let uncached = try project.review(["--probe", "off", "--impact-map", "off"], environment: ["REVIEW_CACHE_SIZE_MB": "0"])
        #expect(uncached.status == 1, "\(uncached)")
        #expect(!FileManager.default.fileExists(atPath: knownFile))

        let stopped = try project.review(["--trace", "--probe", "off", "--impact-map", "off"])
        #expect(stopped.status == 1, "\(stopped)")
        #expect(
            stopped.summary.sorted() == ["error/test-regression:calc/ops.py:6", "info/pre-existing-failure:tests/test_ops.py:4"],
            "\(stopped)")
        let regression = try #require(stopped.findings.first { $0["kind"] as? String == "test-regression" })
        let message = try #require(regression["message"] as? String)
        // test_sub, then test_mul, test_clamp and six more did not run.
        #expect(message.contains("stopped at this regression: 8 other selected test(s) of this file did not run"), "\(message)")
        #expect(!stopped.output.err.contains("test_more_6"), "\(stopped.output.err)")

        // The old failure is remembered, with its error line, for the next review's session.
        let known = try String(contentsOfFile: knownFile, encoding: .utf8)
        #expect(known.contains("tests/test_ops.py::test_old_bug") && known.contains("assert 2 == 3"), "\(known)")

        let all = try project.review(["--trace", "--probe", "off", "--impact-map", "off", "--on-regression", "run-all", "--no-cache"])
        #expect(all.summary == stopped.summary, "\(all)")
        let full = try #require(all.findings.first { $0["kind"] as? String == "test-regression" })
        #expect((full["message"] as? String)?.contains("did not run") == false, "\(full)")
        #expect(all.output.err.contains("head: 9 passed, 2 failed"), "\(all.output.err)")
    }

    @Test func anErrorBelowTheEditInTheSameFunctionCoversTheEdit() throws {
        // The edit drops an assignment; the run fails one line later, where the name is read.
        let project = try PythonProject(files: [
            "calc/__init__.py": "",
            "calc/total.py": "def total(items):\n    result = sum(items)\n    return result\n",
            "tests/test_total.py": "from calc.total import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
            // pytest itself runs the function (as pytest runs pluggy): the session crashes.
            "tests/conftest.py": "from calc.total import total\n\n\ndef pytest_sessionstart(session):\n    total([1])\n",
        ])
        try project.replace("calc/total.py", "    result = sum(items)\n", with: "    pass\n")
        let run = try project.review(["--impact-map", "off"])
        #expect(run.status == 1, "\(run)")
        let finding = try #require(run.findings.first { $0["severity"] as? String == "error" }, "\(run)")
        #expect(finding["line"] as? Int == 2, "from the edit (line 2) to where the error surfaces (line 3): \(finding)")
        #expect(finding["endLine"] as? Int == 3, "\(finding)")
    }

    @Test func fixingChangeIsNoError() throws {
        var files = PythonProject.baseFiles
        files["calc/ops.py"] = files["calc/ops.py"]!.replacingOccurrences(of: "return a * b", with: "return a * b + 1")
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "return a * b + 1", with: "return a * b")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.findings(".error").isEmpty)
        #expect(run.findings("error").isEmpty, "\(run)")
    }

    @Test func benignChangeHasNoFinding() throws {
        let project = try PythonProject()
        try project.replace(
            "calc/ops.py", "def add(a, b):\n    return a + b\n",
            with: "def add(a, b):\n    \"\"\"Sum of a and b.\"\"\"\n    total = a + b\n    return total\n")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.findings.isEmpty, "\(run)")
    }

    /// Comments and formatting only: the syntax tree is the same at base and head, so no
    /// test runs and the report says why; a docstring is code a program can read, so a
    /// changed one still runs the tests.
    @Test func commentsAndFormattingOnlyRunNoTestAndSaySo() throws {
        let project = try PythonProject()
        try project.replace(
            "calc/ops.py", "def add(a, b):\n    return a + b\n",
            with: "def add(a, b):\n    # The sum.\n    return (a +\n            b)\n")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.summary == ["info/not-tested:calc/ops.py:2"], "\(run)")
        let message = try #require(run.findings.first?["message"] as? String)
        #expect(message.contains("only comments or formatting changed"), "\(message)")
        let task = try #require((run.json?["tasks"] as? [[String: Any]])?.first)
        #expect((task["testNodes"] as? [String] ?? []).isEmpty, "\(task)")

        let documented = try PythonProject()
        try documented.replace("calc/ops.py", "def add(a, b):\n", with: "def add(a, b):\n    \"\"\"The sum.\"\"\"\n")
        let tested = try documented.review()
        #expect(tested.status == 0, "\(tested)")
        #expect(tested.findings.isEmpty, "a docstring is code: the tests ran and passed: \(tested)")
    }

    @Test func newFailingTest() throws {
        let project = try PythonProject()
        try project.change([
            "tests/test_more.py": "from calc.ops import add\n\n\ndef test_add_negative():\n    assert add(-1, -1) == -3\n"
        ])
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/failing-new-test:tests/test_more.py:4"], "\(run)")
    }

    @Test func syntaxErrorAtItsLine() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "def mul(a, b):\n", with: "def mul(a, b)\n")
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/syntax-error:calc/ops.py:9"], "\(run)")
    }

    @Test func importError() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "def add(a, b):", with: "import calc.missing_helper\n\n\ndef add(a, b):")
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.summary == ["error/import-error:calc/ops.py:1"], "\(run)")
        #expect((run.findings.first?["message"] as? String)?.contains("calc.missing_helper") == true)
    }

    @Test func flakyTestIsAWarning() throws {
        // Order-dependent: test_mul fails only after test_add has run in the same session.
        let project = try PythonProject()
        try project.change([
            "calc/ops.py": try project.repository.read("calc/ops.py")
                .replacingOccurrences(of: "def add(a, b):\n    return a + b", with: "CALLS = []\n\n\ndef add(a, b):\n    CALLS.append(1)\n    return a + b")
                .replacingOccurrences(of: "def mul(a, b):\n    return a * b", with: "def mul(a, b):\n    return a * b + len(CALLS)")
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.summary.contains("warning/flaky-test:tests/test_ops.py:12"), "\(run)")
        #expect(run.findings("error").isEmpty, "\(run)")
    }

    @Test func failureThatExistedAtBaseIsInfo() throws {
        var files = PythonProject.baseFiles
        files["tests/test_ops.py"]! += "\n\ndef test_known_bug():\n    assert sub(1, 1) == 1\n"
        let project = try PythonProject(files: files)
        // A code change that keeps the behaviour (a comment alone would run no test at all).
        try project.replace("calc/ops.py", "    return a - b\n", with: "    difference = a - b\n    return difference\n")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(run.summary == ["info/pre-existing-failure:tests/test_ops.py:22"], "\(run)")
        let failOnInfo = try project.review(["--fail-on", "info"])
        #expect(failOnInfo.status == 1)
    }

    @Test func renamedModule() throws {
        let project = try PythonProject()
        let ops = try project.repository.read("calc/ops.py").replacingOccurrences(
            of: "return a + b", with: "return a + b + 1")
        try project.change([
            "calc/ops.py": nil, "calc/arith.py": ops,
            "tests/test_ops.py": try project.repository.read("tests/test_ops.py").replacingOccurrences(
                of: "calc.ops", with: "calc.arith"),
        ])
        let run = try project.review()
        #expect(run.status == 1, "\(run)")
        #expect(run.summary.contains("error/test-regression:calc/arith.py:2"), "\(run)")
        let files = run.json?["files"] as? [[String: Any]] ?? []
        #expect(files.contains { $0["status"] as? String == "renamed" && $0["path"] as? String == "calc/arith.py" })
    }

    @Test func deletedFileIsSkipped() throws {
        var files = PythonProject.baseFiles
        files["calc/old.py"] = "X = 1\n"
        let project = try PythonProject(files: files)
        try project.change(["calc/old.py": nil])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let skipped = run.json?["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.first?["reason"] as? String == "deleted")
        #expect((run.json?["tasks"] as? [Any])?.isEmpty == true)
    }

    @Test func twoCulpritsInOneFile() throws {
        let project = try PythonProject()
        let text = try project.repository.read("calc/ops.py")
            .replacingOccurrences(of: "return a + b", with: "return a + b + 1")
            .replacingOccurrences(of: "return a * b", with: "return a * b * 2")
        try project.change(["calc/ops.py": text])
        // Every failing test runs: each hunk gets its own culprit.
        let run = try project.review(["--on-regression", "run-all"])
        #expect(run.status == 1, "\(run)")
        #expect(
            run.summary == ["error/test-regression:calc/ops.py:2", "error/test-regression:calc/ops.py:10"], "\(run)")
        #expect(run.findings.allSatisfy { ($0["suggestion"] as? [String: Any])?["verified"] as? Bool == true })
    }

    @Test func worktreeIsByteIdenticalAfterwards() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        try project.repository.write("calc/ops.py", try project.repository.read("calc/ops.py") + "# local edit\n")
        try project.repository.write("scratch.txt", "untracked\n")
        let before = try project.repository.stateFingerprint()
        let tree = try ProcessRunner.run("sh", ["-c", "find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha1sum"], in: project.repository.path)
        _ = try project.review()
        _ = try project.review(["--sandbox", "none"])
        let after = try ProcessRunner.run("sh", ["-c", "find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha1sum"], in: project.repository.path)
        #expect(try project.repository.stateFingerprint() == before)
        #expect(after.out == tree.out)
    }

    @Test func noPythonChangeAnswersAtOnce() throws {
        let project = try PythonProject()
        try project.change(["README.md": "docs\n"])
        let run = try project.review()
        #expect(run.status == 0)
        #expect((run.json?["tasks"] as? [Any])?.isEmpty == true)
        let text = try ReviewBinary.run(["main..feature"], in: project.repository.path)
        #expect(text.out.contains("nothing to review"))
    }

    @Test func planShowsTasksWithRelatedTests() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let output = try ReviewBinary.run(["--plan", "main..feature"], in: project.repository.path)
        #expect(output.status == 0)
        #expect(output.out.contains("task calc/ops.py (module calc.ops)"))
        #expect(output.out.contains("test tests/test_ops.py: named after the module"), "\(output.out)")
    }

    @Test func sandboxNoneWarns() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let run = try project.review(["--sandbox", "none"])
        #expect(run.status == 1, "\(run)")
        #expect(run.output.err.contains("without isolation"))
    }

    @Test func missingBubblewrapExitsThree() throws {
        let project = try PythonProject()
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        let run = try project.review([], environment: ["REVIEW_BWRAP": "/nonexistent/bwrap"])
        #expect(run.status == 3, "\(run)")
        #expect(run.output.err.contains("apt-get install bubblewrap"))
        let errors = run.output.err.split(separator: "\n").filter { !$0.hasPrefix("review: using ") }
        #expect(errors.count == 1, "one line: \(run.output.err)")
    }

    @Test func badConfigurationNamesFileKeyAndLine() throws {
        let project = try PythonProject()
        try project.change(["pyproject.toml": "[project]\nname = \"calc\"\n\n[tool.review]\ntimeout = 30\nfail-onn = \"error\"\n"])
        let run = try project.review()
        #expect(run.status == 2, "\(run)")
        #expect(run.output.err.contains("pyproject.toml:6: unknown key 'fail-onn'"), "\(run)")
        try project.change(["pyproject.toml": "[tool.review]\ntimeout = \"soon\"\n"])
        let bad = try project.review()
        #expect(bad.status == 2)
        #expect(bad.output.err.contains("pyproject.toml:2: 'timeout' must be a number of seconds"), "\(bad)")
        try project.change(["pyproject.toml": "[tool.review\n"])
        let broken = try project.review()
        #expect(broken.status == 2)
        #expect(broken.output.err.contains("invalid TOML"), "\(broken)")
    }

    @Test func severalFormatsInOneRunAndAPatchThatApplies() throws {
        let project = try PythonProject()
        let text = try project.repository.read("calc/ops.py")
            .replacingOccurrences(of: "return a + b", with: "return a + b + 1")
            .replacingOccurrences(of: "return a * b", with: "return a * b * 2")
        try project.change(["calc/ops.py": text])
        let out = project.repository.container
        let output = try ReviewBinary.run(
            [
                "main..feature", "--on-regression", "run-all", "--format", "sarif", "--output", out + "/r.sarif",
                "--format", "markdown", "--output", out + "/r.md", "--format", "patch",
            ], in: project.repository.path)
        #expect(output.status == 1, "\(output.err)")
        let check = try ProcessRunner.run(
            "git", ["apply", "--check", "-"], in: project.repository.path,
            environment: TemporaryRepository.gitEnvironment, input: output.stdout)
        #expect(check.status == 0, "\(check.err)\n\(output.out)")
        #expect(output.out.components(separatedBy: "\n@@ ").count == 3, "two hunks in one file section: \(output.out)")
        let sarif = try String(contentsOfFile: out + "/r.sarif", encoding: .utf8)
        #expect(sarif.contains("\"ruleId\": \"test-regression\""))
        #expect(try SARIFSchema.validate(sarif).isEmpty)
        let markdown = try String(contentsOfFile: out + "/r.md", encoding: .utf8)
        #expect(markdown.contains("```suggestion"))
        #expect(markdown.hasPrefix("## review: 2 errors"))
    }

    @Test func failOnLevels() throws {
        var files = PythonProject.baseFiles
        files["tests/test_ops.py"]! += "\n\ndef test_known_bug():\n    assert sub(1, 1) == 1\n"
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "def sub(a, b):\n", with: "def sub(a, b):\n    # subtracts\n")
        #expect(try project.review(["--fail-on", "error"]).status == 0)
        #expect(try project.review(["--fail-on", "warning"]).status == 0)
        #expect(try project.review(["--fail-on", "info"]).status == 1)
        #expect(try project.review(["--fail-on", "none"]).status == 0)
        #expect(try project.review([], environment: ["REVIEW_FAIL_ON": "info"]).status == 1)
    }

    @Test func timeBudgetListsWhatWasNotReviewed() throws {
        var files = PythonProject.baseFiles
        files["tests/test_ops.py"]! += "\n\nimport time\n\n\ndef test_slow():\n    time.sleep(2)\n    assert sub(2, 1) == 1\n"
        let project = try PythonProject(files: files)
        try project.replace("calc/ops.py", "return a - b", with: "return b - a")
        // Every test runs (test_slow comes after the regression, where the session would stop),
        // so the session outlasts the budget however fast the machine is.
        let run = try project.review(["--budget-seconds", "1", "--on-regression", "run-all"])
        #expect(run.status == 0, "nothing proven, nothing failed: \(run)")
        let skipped = run.json?["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.first?["path"] as? String == "calc/ops.py")
        #expect((skipped.first?["reason"] as? String)?.hasPrefix("budget: 1 s reached") == true, "\(skipped)")
        let text = try ReviewBinary.run(
            ["main..feature", "--budget-seconds", "1", "--on-regression", "run-all"], in: project.repository.path)
        #expect(text.out.contains("skipped calc/ops.py: budget: 1 s reached before this file was reviewed"), "\(text.out)")
        let unlimited = try project.review()
        #expect(unlimited.status == 1)
    }
}
