import Foundation
import ReviewTestSupport
import Testing

/// Behaviour review end to end: the changed functions called at base and at head in real
/// bubblewrap, and the pinned test checked by an independent oracle (the revision from
/// `git archive`, the suggested file written beside it, plain pytest outside review).
@Suite("Behaviour review")
struct BehaviourReviewTests {
    static let slug = """
        def slugify(text, separator="-"):
            words = text.lower().split()
            return separator.join(words)

        """

    static func project(_ module: String, _ source: String, tests: String) throws -> PythonProject {
        try PythonProject(files: ["text/__init__.py": "", "text/\(module).py": source, "tests/test_\(module).py": tests])
    }

    /// `slugify` and a test that calls it but asserts nothing about its value.
    static func slugProject() throws -> PythonProject {
        try project("slug", slug, tests: "from text.slug import slugify\n\n\ndef test_slugify():\n    assert slugify(\"Hello World\")\n")
    }

    static func behaviour(_ run: ReviewRun) -> [[String: Any]] {
        run.findings.filter { $0["kind"] as? String == "behaviour-change" }
    }

    /// Runs pytest on `file` (written with `content`) in an export of `revision`.
    static func pytest(_ project: PythonProject, revision: String, file: String, content: String) throws -> Int32 {
        let directory = try TemporaryRepository.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = try ProcessRunner.run(
            "sh", ["-c", "git archive \(revision) | tar -x -C '\(directory)'"], in: project.repository.path,
            environment: TemporaryRepository.gitEnvironment)
        #expect(archive.status == 0, "\(archive.err)")
        let path = directory + "/" + file
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        let run = try ProcessRunner.run(
            "/usr/bin/python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", file], in: directory,
            environment: ["PYTHONPATH": directory, "PATH": "/usr/bin:/bin"])
        return run.status
    }

    /// The finding's suggestion: a new test file, verified, that passes at base and fails at
    /// head when the oracle runs it. Returns its content.
    @discardableResult
    static func verifiedPin(_ project: PythonProject, _ finding: [String: Any]) throws -> String {
        let suggestion = try #require(finding["suggestion"] as? [String: Any])
        #expect(suggestion["verified"] as? Bool == true, "\(finding)")
        let file = try #require(suggestion["newFile"] as? String)
        let content = try #require(suggestion["replacement"] as? String)
        #expect(try pytest(project, revision: "main", file: file, content: content) == 0, "passes at base:\n\(content)")
        #expect(try pytest(project, revision: "feature", file: file, content: content) == 1, "fails at head:\n\(content)")
        return content
    }

    @Test func aBugNoTestAssertsIsAWarningWithAPinnedTestThatPassesAtBaseAndFailsAtHead() throws {
        let project = try Self.slugProject()
        try project.replace("text/slug.py", "text.lower().split()", with: "text.lower().split(\" \")")
        let run = try project.review()
        #expect(run.status == 0, "a difference alone is never an error: \(run)")
        let findings = Self.behaviour(run)
        #expect(findings.count == 1, "\(run)")
        let finding = try #require(findings.first)
        #expect(finding["severity"] as? String == "warning")
        #expect(finding["file"] as? String == "text/slug.py")
        #expect(finding["line"] as? Int == 2)
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("`slugify` behaves differently at head"), "\(message)")
        let suggestion = try #require(finding["suggestion"] as? [String: Any])
        #expect(suggestion["verified"] as? Bool == true)
        let file = try #require(suggestion["newFile"] as? String)
        #expect(file == "tests/test_slug_slugify_behaviour.py")
        let content = try #require(suggestion["replacement"] as? String)
        #expect(content.contains("from text.slug import slugify"), "\(content)")
        #expect(try Self.pytest(project, revision: "main", file: file, content: content) == 0, "passes at base:\n\(content)")
        #expect(try Self.pytest(project, revision: "feature", file: file, content: content) == 1, "fails at head:\n\(content)")
        // The patch creates exactly that file.
        let patch = try #require(suggestion["patch"] as? String)
        let check = try ProcessRunner.run(
            "git", ["apply", "--check", "-"], in: project.repository.path,
            environment: TemporaryRepository.gitEnvironment, input: Data(patch.utf8))
        #expect(check.status == 0, "git apply --check: \(check.err)\n\(patch)")
    }

    @Test func aRefactorThatKeepsTheBehaviourHasNoFinding() throws {
        let project = try Self.slugProject()
        try project.replace(
            "text/slug.py", "    words = text.lower().split()\n    return separator.join(words)\n",
            with: "    lowered = text.lower()\n    parts = lowered.split()\n    return separator.join(part for part in parts)\n")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(Self.behaviour(run).isEmpty, "\(run)")
        let said = try #require(Self.task(run)?["behaviour"] as? String, "the report says what the probes found: \(run)")
        #expect(
            said.hasSuffix(
                "probe(s) of `slugify`, no difference between base and head; 1 of the 1 recorded call(s) of `slugify` ran the changed lines"),
            "\(said)")
    }

    /// The calls are recorded while the related tests run at head, in that one session: the
    /// probe driver derives its probes from them without running the tests again.
    @Test func theCallsAreRecordedInTheTestSessionAtHead() throws {
        let project = try Self.slugProject()
        try project.replace("text/slug.py", "text.lower().split()", with: "text.lower().split(\" \")")
        let run = try project.review(["--trace"])
        #expect(run.status == 0, "\(run)")
        #expect(Self.behaviour(run).count == 1, "\(run)")
        #expect(run.output.err.contains("<probe recorder> (the calls recorded while the related tests ran at head)"), "\(run)")
        #expect(!run.output.err.contains("(the related tests, recording calls)"), "\(run)")
    }

    /// A project whose `addopts` spread its tests over pytest-xdist workers: each worker
    /// records its own share of the calls, and they are put together.
    @Test func callsAreRecordedInEveryPytestXdistWorker() throws {
        let tests = (0..<6).map { "\n\ndef test_slugify_\($0)():\n    assert slugify(\"Hello  World \($0)\")\n" }.joined()
        let project = try PythonProject(files: [
            "text/__init__.py": "", "text/slug.py": Self.slug, "pytest.ini": "[pytest]\naddopts = -n 2\n",
            "tests/test_slug.py": "from text.slug import slugify\n" + tests,
            "tests/test_more.py": "from text.slug import slugify\n" + tests.replacingOccurrences(of: "test_slugify_", with: "test_more_")
                .replacingOccurrences(of: "Hello  World", with: "Good  Day"),
        ])
        try project.replace("text/slug.py", "text.lower().split()", with: "text.lower().split(\" \")")
        let run = try project.review(["--trace"])
        #expect(run.status == 0, "\(run)")
        #expect(run.output.err.contains("<probe recorder> (the calls recorded while the related tests ran at head)"), "\(run)")
        let said = try #require(Self.task(run)?["behaviour"] as? String, "\(run)")
        #expect(said.contains("of the 12 recorded call(s) of `slugify` ran the changed lines"), "\(said)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let suggestion = try #require(finding["suggestion"] as? [String: Any])
        #expect(suggestion["verified"] as? Bool == true, "\(finding)")
    }

    /// Copying a call runs the objects' own code (`__getstate__` here), which a test can
    /// see: one that fails only then (again with the recorder, not without it) is neither
    /// a regression nor called flaky. (An order-dependent test whose calls were copied is
    /// still flaky: `ExecutionReviewTests.flakyTestIsAWarning`.)
    @Test func aTestThatFailsOnlyWhileItsCallsAreCopiedIsNotReported() throws {
        let source = """
            COPIES = []


            class Box:
                def __init__(self, value):
                    self.value = value

                def __getstate__(self):
                    COPIES.append(self.value)
                    return self.__dict__


            def double(box):
                return box.value * 2

            """
        let tests = "from text.box import COPIES, Box, double\n\n\ndef test_double():\n    assert double(Box(2)) == 4\n    assert COPIES == []\n"
        let project = try Self.project("box", source, tests: tests)
        try project.replace("text/box.py", "return box.value * 2", with: "return box.value + box.value")
        let run = try project.review(["--trace"])
        #expect(run.status == 0, "\(run)")
        #expect(run.findings.filter { ["error", "warning"].contains($0["severity"] as? String) }.isEmpty, "\(run)")
        #expect(
            run.output.err.contains(
                "`tests/test_box.py::test_double` fails at head only while review copies the calls it makes (it passes without the recorder): not reported"),
            "\(run)")
    }

    static func task(_ run: ReviewRun) -> [String: Any]? {
        (run.json?["tasks"] as? [[String: Any]])?.first
    }

    /// Calls the tests made with a lambda cannot be copied: the report says so rather than
    /// passing as if they had been replayed.
    @Test func callsThatCannotBeCopiedAreNamed() throws {
        let source = "def apply(function, value):\n    return function(value) + 1\n"
        let project = try Self.project(
            "fn", source, tests: "from text.fn import apply\n\n\ndef test_apply():\n    assert apply(lambda v: v, 1)\n")
        try project.replace("text/fn.py", "+ 1", with: "+ 2")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let said = try #require(Self.task(run)?["behaviour"] as? String, "\(run)")
        #expect(
            said.contains("the tests' calls of `apply` (1) could not be copied (arguments or an instance that do not pickle"),
            "\(said)")
    }

    /// Only the last of 100 tests reaches the changed line: the recorder keeps the calls
    /// that run a changed line ahead of the first ones, so that call is replayed.
    @Test func theCallThatReachesTheChangedLineIsReplayedEvenWhenItComesLast() throws {
        let source = """
            def grade(score):
                if score >= 990:
                    return "top"
                return "pass" if score >= 50 else "fail"

            """
        let tests = """
            import pytest

            from text.grade import grade


            @pytest.mark.parametrize("score", range(0, 1000, 10))
            def test_grade(score):
                assert grade(score)

            """
        let project = try Self.project("grade", source, tests: tests)
        try project.replace("text/grade.py", "return \"top\"", with: "return \"best\"")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("`grade(990)` returns 'top' at base but returns 'best' at head"), "\(message)")
        let said = try #require(Self.task(run)?["behaviour"] as? String, "\(run)")
        #expect(said.contains("1 of the 20 recorded call(s) of `grade` ran the changed lines"), "\(said)")
        try Self.verifiedPin(project, finding)
    }

    /// A method whose instance does not pickle (it holds a lock) cannot be replayed: the
    /// test that called it runs again at both revisions with the method watched, and the
    /// pin runs that test again and asserts each call's result at base.
    @Test func callsThatCannotBeCopiedAreWatchedInTheirTest() throws {
        let source = """
            import threading


            class Counter:
                def __init__(self):
                    self.lock = threading.Lock()
                    self.count = 0

                def add(self, n):
                    with self.lock:
                        self.count += n
                        return self.count

            """
        let tests = """
            from text.counter import Counter


            def test_add():
                counter = Counter()
                counter.add(2)
                counter.add(3)
                assert counter.count == 5

            """
        let project = try Self.project("counter", source, tests: tests)
        try project.replace("text/counter.py", "            return self.count", with: "            return n")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(
            message.contains("in `tests/test_counter.py::test_add`, its call 2 returns 5 at base but returns 3 at head"),
            "\(message)")
        try Self.verifiedPin(project, finding)
        let said = try #require(Self.task(run)?["behaviour"] as? String, "\(run)")
        #expect(said.contains("`Counter.add` watched in 1 test(s) that called it; 1 differ(s) at head"), "\(said)")
    }

    @Test func nondeterministicFunctionsAreNeverReported() throws {
        let source = """
            import random
            import time


            def stamp(prefix):
                return prefix + str(time.time())


            def roll(sides):
                return random.randint(1, sides) + random.random()


            def index(items):
                return {id(item): item for item in items}

            """
        let project = try Self.project(
            "noise", source,
            tests: "from text.noise import stamp, roll, index\n\n\ndef test_noise():\n    stamp(\"a\")\n    roll(6)\n    index([object(), 1])\n")
        try project.change([
            "text/noise.py": source.replacingOccurrences(of: "prefix + str(time.time())", with: "f\"{prefix}{time.time()}\"")
                .replacingOccurrences(of: "random.randint(1, sides) + random.random()", with: "random.random() + random.randint(1, sides)")
                .replacingOccurrences(of: "{id(item): item for item in items}", with: "dict((id(item), item) for item in items)")
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        #expect(Self.behaviour(run).isEmpty, "\(run)")
    }

    static let parameterize = """
        import re


        def parameterize(text, separator="-"):
            text = re.sub(r"[^a-z0-9_-]+", separator, text.lower())
            text = re.sub(re.escape(separator) + "{2,}", separator, text)
            return text.strip(separator)

        """

    static let version = """
        class Version:
            __slots__ = ("major", "minor", "patch")

            def __init__(self, major, minor, patch):
                self.major, self.minor, self.patch = major, minor, patch

            def __str__(self):
                return "%d.%d.%d" % (self.major, self.minor, self.patch)

            def compare(self, text):
                other = tuple(int(part) for part in text.split("."))
                mine = (self.major, self.minor, self.patch)
                return (mine > other) - (mine < other)

            def match(self, expression):
                allowed = {">=": (0, 1), "<=": (-1, 0)}[expression[:2]]
                return self.compare(expression[2:]) in allowed

        """

    /// Bugs that only an input the recorded calls lack shows: a separator written twice, and
    /// two values that meet (an expression about the instance's own version, in a `__slots__`
    /// class). The tests call both functions and assert nothing that tells the revisions apart.
    @Test(arguments: [
        (
            "names", parameterize,
            "from text.names import parameterize\n\n\ndef test_parameterize():\n    assert parameterize(\"Donald E. Knuth\")\n",
            "    text = re.sub(re.escape(separator) + \"{2,}\", separator, text)\n", "", "`parameterize` behaves differently"
        ),
        (
            "versions", version,
            "from text.versions import Version\n\n\ndef test_match():\n    assert Version(2, 0, 0).match(\">=1.0.0\")\n",
            "\"<=\": (-1, 0)", "\"<=\": (-1, 1)", "`Version.match` behaves differently"
        ),
    ])
    func inputsThatTheChangeAndTheOtherValuesPointAtWitnessTheBug(
        module: String, source: String, tests: String, old: String, new: String, expected: String
    ) throws {
        let project = try Self.project(module, source, tests: tests)
        try project.replace("text/\(module).py", old, with: new)
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        #expect((finding["message"] as? String)?.contains(expected) == true, "\(finding)")
        try Self.verifiedPin(project, finding)
    }

    /// A function no test calls, whose parameter is a dataclass: only Hypothesis's
    /// `from_type` (in the sandbox's interpreter) builds one, so only it can witness the bug.
    @Test func hypothesisBuildsInputsFromTypeHints() throws {
        let source = """
            from dataclasses import dataclass


            @dataclass
            class Box:
                width: int
                height: int


            def area(box: Box) -> int:
                return box.width * box.height

            """
        let project = try Self.project("shapes", source, tests: "from text.shapes import Box\n\n\ndef test_box():\n    assert Box(1, 2)\n")
        try project.replace("text/shapes.py", "box.width * box.height", with: "box.width * box.width")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        #expect((finding["message"] as? String)?.contains("`area` behaves differently at head") == true, "\(finding)")
        try Self.verifiedPin(project, finding)
    }

    static let account = """
        class Account:
            def __init__(self, owner, limit=100):
                self.owner = owner.strip()
                self.limit = limit
                self._log = []

            def __repr__(self):
                return "Account(%r)" % self.owner

        """

    /// A changed `__init__` is probed by calling the class: the new objects' public
    /// attributes are compared, private ones are not (a refactor may rename them).
    @Test func aChangedConstructorIsProbedByItsPublicAttributes() throws {
        let tests = "from text.bank import Account\n\n\ndef test_account():\n    assert Account(\"ann\")\n"
        let project = try Self.project("bank", Self.account, tests: tests)
        try project.replace("text/bank.py", "self.owner = owner.strip()", with: "self.owner = owner")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("`Account.__init__` behaves differently at head: `Account("), "\(message)")
        #expect(message.contains("builds Account(limit=100, owner="), "\(message)")
        let content = try Self.verifiedPin(project, finding)
        #expect(content.contains("    assert built.owner == "), "\(content)")

        let renamed = try Self.project("bank", Self.account, tests: tests)
        try renamed.change(["text/bank.py": Self.account.replacingOccurrences(of: "self._log = []", with: "self._history = []")])
        let quiet = try renamed.review()
        #expect(quiet.status == 0, "\(quiet)")
        #expect(Self.behaviour(quiet).isEmpty, "a private attribute renamed is no behaviour change: \(quiet)")
    }

    /// An attribute that differs from run to run (a time) is left out of the comparison of
    /// the objects built, and out of the pin; the others still show a dropped attribute.
    @Test func aConstructorWithATimeAttributeIsComparedByItsOtherAttributes() throws {
        let source = """
            import time


            class Debounce:
                def __init__(self, wait, limit=None):
                    self.wait = wait
                    self.started = time.time()
                    self.limit = limit

            """
        let tests = "from text.timer import Debounce\n\n\ndef test_debounce():\n    assert Debounce(5)\n"
        let project = try Self.project("timer", source, tests: tests)
        try project.replace("text/timer.py", "        self.limit = limit\n", with: "")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("builds Debounce(limit=None, wait=5) at base but builds Debounce(wait=5) at head"), "\(message)")
        let content = try Self.verifiedPin(project, finding)
        #expect(content.contains("    assert built.limit == None\n"), "\(content)")
        #expect(!content.contains("started"), "\(content)")

        let quiet = try Self.project("timer", source, tests: tests)
        try quiet.replace("text/timer.py", "self.started = time.time()", with: "self.started = time.time() + 0.0")
        let none = try quiet.review()
        #expect(Self.behaviour(none).isEmpty, "only the time differs, from run to run: \(none)")
    }

    /// A module's `__dir__` is pinned through the module: imported by name into the test
    /// module it would become that module's own `__dir__`, which pytest calls while collecting.
    @Test func aModuleDunderFunctionIsPinnedThroughItsModule() throws {
        let source = "import sys\n\n\ndef __dir__():\n    return sorted(name for name in globals() if name not in sys.modules)\n"
        let tests = "import text.names\n\n\ndef test_dir():\n    assert callable(text.names.__dir__)\n"
        let project = try Self.project("names", source, tests: tests)
        try project.replace("text/names.py", "    return sorted(", with: "    sorted(")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let content = try Self.verifiedPin(project, finding)
        #expect(content.contains("import text.names\n") && content.contains("text.names.__dir__()"), "\(content)")
        #expect(!content.contains("import __dir__"), "\(content)")
    }

    @Test func aFunctionThatLoopsForeverOnANewInputIsATimeoutDifferenceAndContained() throws {
        let source = """
            def count_down(n):
                steps = 0
                while n > 0:
                    n -= 1
                    steps += 1
                return steps

            """
        let project = try Self.project("loop", source, tests: "from text.loop import count_down\n\n\ndef test_count_down():\n    count_down(3)\n")
        try project.replace("text/loop.py", "while n > 0:", with: "while n != 0:")
        let started = Date()
        let run = try project.review()
        #expect(Date().timeIntervalSince(started) < 100, "contained by the per-probe limit")
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = finding["message"] as? String ?? ""
        #expect(message.contains("does not return (times out) at head"), "\(message)")
    }

    static let greet = "def greet(name):\n    return \"Hello, \" + name\n"

    @Test func aChangedTestThatFailsAtBaseMakesTheChangeIntended() throws {
        let project = try Self.project("greet", Self.greet, tests: "from text.greet import greet\n\n\ndef test_greet():\n    assert greet(\"Ann\") == \"Hello, Ann\"\n")
        try project.change([
            "text/greet.py": "def greet(name):\n    return \"Hello, \" + name + \"!\"\n",
            "tests/test_greet.py": "from text.greet import greet\n\n\ndef test_greet():\n    assert greet(\"Ann\") == \"Hello, Ann!\"\n",
        ])
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        #expect(finding["severity"] as? String == "info", "\(finding)")
        #expect((finding["message"] as? String)?.contains("tests/test_greet.py::test_greet") == true, "\(finding)")
    }

    @Test func removingTheTestOfAChangedFunctionKeepsTheWarning() throws {
        let project = try PythonProject(files: [
            "text/__init__.py": "", "text/greet.py": Self.greet,
            "tests/test_greet.py": "from text.greet import greet\n\n\ndef test_greet():\n    assert greet(\"Ann\") == \"Hello, Ann\"\n",
            "tests/test_smoke.py": "from text.greet import greet\n\n\ndef test_runs():\n    greet(\"Bo\")\n",
        ])
        try project.change([
            "text/greet.py": "def greet(name):\n    return \"Hello, \" + name + \"!\"\n", "tests/test_greet.py": nil,
        ])
        let run = try project.review()
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        #expect(finding["severity"] as? String == "warning", "a removed test does not make a change intended: \(finding)")
    }

    static let store = """
        class Store:
            def __init__(self):
                self._items = {}
                self._replaced = []

            def __repr__(self):
                return "Store(%r)" % sorted(self._items)

            def put(self, key, value):
                if key in self._items:
                    self._replaced.append(key)
                self._items[key] = value

            def copy(self):
                other = Store()
                other._items = dict(self._items)
                other._replaced = list(self._replaced)
                return other

        """

    static let storeTests = """
        from text.store import Store


        def test_copy():
            store = Store()
            store.put("a", 1)
            store.put("a", 2)
            assert repr(store.copy()) == "Store(['a'])"

        """

    /// A copy that loses state its public face does not show (which keys were replaced: the
    /// repr and every value read the same) differs inside the object returned; the pin reads
    /// that state. Renaming the private attribute throughout is no difference.
    @Test func aCopyThatLosesPrivateStateIsWitnessedInsideTheObjectItReturns() throws {
        let project = try Self.project("store", Self.store, tests: Self.storeTests)
        try project.replace("text/store.py", "        other._replaced = list(self._replaced)\n", with: "")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("`Store.copy` behaves differently at head"), "\(message)")
        #expect(message.contains("returns Store(['a']) at both, but leaves `len(returned._replaced)` as 1 at base and 0 at head"), "\(message)")
        let content = try Self.verifiedPin(project, finding)
        #expect(content.contains("    returned = instance.copy(*args, **kwargs)\n"), "\(content)")

        let renamed = try Self.project("store", Self.store, tests: Self.storeTests)
        try renamed.change(["text/store.py": Self.store.replacingOccurrences(of: "_replaced", with: "_overwritten")])
        let quiet = try renamed.review()
        #expect(quiet.status == 0, "\(quiet)")
        #expect(Self.behaviour(quiet).isEmpty, "a private attribute renamed throughout is no behaviour change: \(quiet)")
    }

    /// A copy that drops a flag of the entries it holds, where no test ever sets the flag:
    /// the flag is flipped inside a copy of the recorded instance, and the copy it returns
    /// differs inside.
    @Test func aFlagInsideTheInstanceThatNoTestSetsIsFlippedToReachTheChange() throws {
        let source = """
            class Entry:
                def __init__(self, key):
                    self.key = key
                    self.removed = False


            class Log:
                def __init__(self):
                    self._entries = []

                def __repr__(self):
                    return "Log(%d)" % len(self._entries)

                def add(self, key):
                    self._entries.append(Entry(key))

                def copy(self):
                    other = Log()
                    for entry in self._entries:
                        new = Entry(entry.key)
                        new.removed = entry.removed
                        other._entries.append(new)
                    return other

            """
        let tests = "from text.log import Log\n\n\ndef test_copy():\n    log = Log()\n    log.add(1)\n    assert repr(log.copy()) == \"Log(1)\"\n"
        let project = try Self.project("log", source, tests: tests)
        try project.replace("text/log.py", "            new.removed = entry.removed\n", with: "")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("with `instance._entries[0].removed` set to True"), "the input says what was set: \(message)")
        #expect(message.contains("leaves `returned._entries[0].removed` as True at base and False at head"), "\(message)")
        try Self.verifiedPin(project, finding)
    }

    /// A function no test calls, whose branch is taken only for a string its module's
    /// pattern matches and an object of the project's: the pattern's shortest match and an
    /// instance built with no arguments reach the changed line.
    @Test func aFunctionNoTestCallsGetsStringsItsPatternMatchesAndObjectsOfItsAnnotations() throws {
        let source = """
            from __future__ import annotations

            import re

            PLACEHOLDER = re.compile("\\x02item:([0-9]+)\\x03")


            class Stash:
                def __init__(self):
                    self.blocks = []


            def restore(text: str, stash: Stash) -> str:
                def put_back(match):
                    try:
                        return stash.blocks[int(match.group(1))]
                    except IndexError:
                        return match.group(0)

                return PLACEHOLDER.sub(put_back, text)

            """
        let tests = "from text.stash import Stash\n\n\ndef test_stash():\n    assert Stash().blocks == []\n"
        let project = try Self.project("stash", source, tests: tests)
        try project.replace("text/stash.py", "        return match.group(0)", with: "        return match.group(1)")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        #expect((finding["message"] as? String)?.contains("`restore` behaves differently at head") == true, "\(finding)")
        try Self.verifiedPin(project, finding)
    }

    /// A result whose `__repr__` never returns is contained like a call that never returns:
    /// describing it has the probe's time too, and what differs inside it is still compared.
    @Test func aResultWhoseReprNeverReturnsIsContained() throws {
        let source = """
            class Box:
                def __init__(self, size):
                    self.size = size

                def __repr__(self):
                    while True:
                        pass


            def make(size):
                return Box(size)

            """
        let tests = "from text.box import make\n\n\ndef test_make():\n    assert make(1)\n"
        let project = try Self.project("box", source, tests: tests)
        try project.replace("text/box.py", "return Box(size)", with: "return Box(size + 1)")
        let run = try project.review()
        #expect(run.status == 0, "\(run)")
        let said = try #require(Self.task(run)?["behaviour"] as? String, "\(run)")
        #expect(said.contains("probe(s) of `make`; "), "\(said)")
        let finding = try #require(Self.behaviour(run).first, "\(run)")
        let message = try #require(finding["message"] as? String)
        #expect(message.contains("leaves `returned.size` as 1 at base and 2 at head"), "\(message)")
    }

    @Test func probeOffSkipsItFromTheFlagAndTheEnvironment() throws {
        let project = try Self.slugProject()
        try project.replace("text/slug.py", "text.lower().split()", with: "text.lower().split(\" \")")
        let run = try project.review(["--probe", "off"])
        #expect(run.status == 0, "\(run)")
        #expect(Self.behaviour(run).isEmpty, "\(run)")
        let config = try ReviewBinary.run(["config"], in: project.repository.path, environment: ["REVIEW_PROBE": "off"])
        #expect(config.out.contains("probe = \"off\"  # REVIEW_PROBE"), "\(config.out)")
    }
}
