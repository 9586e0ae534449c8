import Foundation
import ReviewAgent
import ReviewFindings
import ReviewSandbox
import Testing

/// The built-in policy driven step by step with canned execution outcomes: each path of its
/// investigation (regression, pre-existing, flaky, new test, culprit hunk) and the findings
/// it ends with. Every action sequence is also checked against the investigation form of
/// the ReAct protocol.
@Suite("Built-in policy")
struct BuiltinPolicyTests {
    /// `calc/ops.py`: two hunks changed at head; `tests/test_ops.py` relates to it.
    static let head = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b + 0\n"
    static let base = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"

    static func task(basePath: String? = "calc/ops.py", tests: [String] = ["tests/test_ops.py"]) -> ReviewTask {
        ReviewTask(
            path: "calc/ops.py", basePath: basePath,
            hunks: [
                ChangedRange(oldStart: 2, oldLines: 1, newStart: 2, newLines: 1),
                ChangedRange(oldStart: 6, oldLines: 1, newStart: 6, newLines: 1),
            ],
            module: "calc.ops", baseModule: basePath == nil ? nil : "calc.ops", importPaths: [], isTestFile: false,
            tests: tests, testReasons: ["tests/test_ops.py": "named after the module"])
    }

    static func process(_ code: Int32, stderr: String = "") -> ExecutionResult {
        ExecutionResult(exitCode: code, signal: nil, timedOut: false, stdout: "", stderr: stderr, outputTruncated: false, duration: 0.1)
    }

    static func run(_ outcomes: [(String, TestOutcome.Status)], collectionErrors: [String: String] = [:]) -> ExecutionOutcome {
        let tests = outcomes.map { id, status in
            TestOutcome(
                nodeID: id, file: String(id.prefix { $0 != ":" }), line: 3, status: status,
                message: status == .failed ? "AssertionError: assert -1 == 5" : "")
        }
        let failed = tests.contains { $0.isFailure } || !collectionErrors.isEmpty
        return .tests(
            TestRun(
                execution: process(failed ? 1 : 0), command: "python3 -m pytest tests/test_ops.py", outcomes: tests,
                collectionErrors: collectionErrors, runner: "pytest"))
    }

    /// Drives the policy to its Finish, answering each Execute with `respond`.
    static func drive(
        _ task: ReviewTask, headText: String = head, baseText: String? = base,
        respond: (ExecutionRequest) -> ExecutionOutcome
    ) throws -> (findings: [Finding], executed: [ExecutionRequest], summary: String) {
        // Base has the module and tests/test_ops.py; head has every test file.
        var policy = BuiltinPolicy(task: task) { side, path in
            if path == task.path { return side == .head ? headText : baseText }
            return side == .head || path == "tests/test_ops.py" ? "" : nil
        }
        var machine = ReActStateMachine(strict: false)
        var executed: [ExecutionRequest] = []
        for _ in 0..<60 {
            let state = LoopState(
                allowed: AgentNode.allCases.filter { machine.allows($0) }, steps: machine.steps, maxSteps: 60,
                node: machine.state.node)
            switch try policy.next(state) {
            case .plan: try machine.enter(.plan)
            case .reflect: try machine.enter(.reflect)
            case .execute(let request, _):
                try machine.enter(.execute)
                executed.append(request)
                let outcome = respond(request)
                machine.executionFinished(succeeded: outcome.succeeded)
                policy.observe(outcome)
            case .finish(let summary, let findings):
                try machine.enter(.finish)
                return (findings, executed, summary)
            case .verify, .setback, .stop:
                Issue.record("the built-in policy uses only the protocol's nodes")
            }
        }
        throw PolicyTestError.noFinish
    }

    enum PolicyTestError: Error { case noFinish }

    /// Compile and import pass at head; tests answer from `tests`.
    static func checksPass(_ tests: @escaping (ExecutionRequest) -> ExecutionOutcome) -> (ExecutionRequest) -> ExecutionOutcome {
        { request in
            switch request {
            case .compile: return .process(process(0), command: "python3 -m py_compile calc/ops.py")
            case .importModule: return .process(process(0), command: "python3 -c 'import calc.ops'")
            default: return tests(request)
            }
        }
    }

    @Test("a test that passes at base and fails twice at head is a regression, blamed on the hunk whose revert fixes it")
    func regressionWithCulpritHunk() throws {
        let id = "tests/test_ops.py::test_add"
        let outcome = try Self.drive(Self.task(), respond: Self.checksPass { request in
            guard case .runTests(_, let side, let overrides) = request else { return .unavailable("?") }
            if side == .base { return Self.run([(id, .passed)]) }
            // Reverting hunk 1 (line 2) fixes it; reverting hunk 2 does not.
            if let override = overrides.first { return Self.run([(id, override.content.contains("a + b") ? .passed : .failed)]) }
            return Self.run([(id, .failed), ("tests/test_ops.py::test_mul", .passed)])
        })
        let finding = try #require(outcome.findings.first)
        #expect(outcome.findings.count == 1)
        #expect(finding.severity == .error && finding.kind == .testRegression)
        #expect(finding.file == "calc/ops.py" && finding.line == 2 && finding.endLine == 2)
        #expect(finding.message.contains("passes at base but fails at head"))
        #expect(finding.message.contains("Reverting the change at lines 2-2 makes it pass"))
        #expect(finding.suggestion?.verified == true)
        #expect(finding.suggestion?.replacement == "    return a + b\n")
        #expect(finding.evidence?.command == "python3 -m pytest tests/test_ops.py")
        let sides = outcome.executed.map(\.side)
        #expect(sides == [.head, .head, .head, .base, .head, .head], "compile, import, tests, base rerun, head rerun, one revert")
        #expect(outcome.summary.contains("1 error(s) proven"))
    }

    @Test("the range's only change, with one hunk: the base run stands for the revert, which is not run")
    func onlyHunkOfTheOnlyChangeIsBlamedWithoutARevertRun() throws {
        let id = "tests/test_ops.py::test_add"
        let headText = "def add(a, b):\n    return a - b\n"
        let baseText = "def add(a, b):\n    return a + b\n"
        for onlyChange in [true, false] {
            var task = Self.task()
            task.hunks = [ChangedRange(oldStart: 2, oldLines: 1, newStart: 2, newLines: 1)]
            task.onlyChange = onlyChange
            let outcome = try Self.drive(task, headText: headText, baseText: baseText, respond: Self.checksPass { request in
                guard case .runTests(_, let side, let overrides) = request else { return .unavailable("?") }
                if side == .base { return Self.run([(id, .passed)]) }
                if let override = overrides.first { return Self.run([(id, override.content == baseText ? .passed : .failed)]) }
                return Self.run([(id, .failed)])
            })
            let finding = try #require(outcome.findings.first)
            #expect(outcome.findings.count == 1)
            #expect(finding.severity == .error && finding.kind == .testRegression && finding.line == 2 && finding.endLine == 2)
            #expect(finding.message.contains("Reverting the change at lines 2-2 makes it pass"))
            #expect(finding.suggestion?.replacement == "    return a + b\n")
            #expect(finding.suggestion?.verified == true)
            let sides = outcome.executed.map(\.side)
            #expect(
                sides == (onlyChange ? [.head, .head, .head, .base, .head] : [.head, .head, .head, .base, .head, .head]),
                "compile, import, tests, base rerun, head rerun\(onlyChange ? "" : ", one revert")")
            #expect(outcome.summary.contains("1 error(s) proven"))
        }
    }

    @Test("a test that fails at base too is a pre-existing failure, an info, and nothing is bisected")
    func preExistingFailure() throws {
        let id = "tests/test_ops.py::test_old"
        let outcome = try Self.drive(Self.task(), respond: Self.checksPass { _ in Self.run([(id, .failed)]) })
        let finding = try #require(outcome.findings.first)
        #expect(outcome.findings.count == 1)
        #expect(finding.severity == .info && finding.kind == .preExistingFailure)
        #expect(finding.file == "tests/test_ops.py" && finding.test == id)
        #expect(outcome.executed.count == 4, "compile, import, tests at head, tests at base: \(outcome.executed)")
    }

    @Test("a test that fails at head and passes on the rerun is flaky: a warning, not a regression")
    func flakyTest() throws {
        let id = "tests/test_ops.py::test_add"
        var headRuns = 0
        let outcome = try Self.drive(Self.task(), respond: Self.checksPass { request in
            guard case .runTests(_, let side, _) = request else { return .unavailable("?") }
            if side == .base { return Self.run([(id, .passed)]) }
            headRuns += 1
            return Self.run([(id, headRuns == 1 ? .failed : .passed)])
        })
        let finding = try #require(outcome.findings.first)
        #expect(outcome.findings.count == 1)
        #expect(finding.severity == .warning && finding.kind == .flakyTest)
        #expect(finding.message.contains("then passed on a rerun"))
        #expect(headRuns == 2, "no bisection of a flaky test")
    }

    @Test("a failing test that does not exist at base is a failing new test; a new file that does not collect is too")
    func failingNewTest() throws {
        let id = "tests/test_ops.py::test_new"
        let outcome = try Self.drive(Self.task(tests: ["tests/test_ops.py", "tests/test_more.py"]), respond: Self.checksPass { request in
            guard case .runTests(_, let side, _) = request else { return .unavailable("?") }
            if side == .base { return Self.run([("tests/test_ops.py::test_old", .passed)]) }
            return Self.run([(id, .failed)], collectionErrors: ["tests/test_more.py": "ImportError: no module named x"])
        })
        #expect(outcome.findings.count == 2, "\(outcome.findings)")
        #expect(outcome.findings.allSatisfy { $0.severity == .error && $0.kind == .failingNewTest })
        #expect(Set(outcome.findings.compactMap(\.test)) == [id, "tests/test_more.py"])
    }

    @Test("a file that does not compile at head but did at base is a syntax error; one that never compiled is pre-existing")
    func compileFailures() throws {
        let broken = ExecutionOutcome.process(
            Self.process(1, stderr: "  File \"/review/src/calc/ops.py\", line 2\nSyntaxError: invalid syntax"),
            command: "python3 -m py_compile calc/ops.py")
        let regression = try Self.drive(Self.task()) { request in
            request.side == .head ? broken : .process(Self.process(0), command: "python3 -m py_compile calc/ops.py")
        }
        #expect(regression.findings.map(\.kind) == [.syntaxError])
        #expect(regression.findings.first?.severity == .error)
        #expect(regression.findings.first?.message.contains("SyntaxError: invalid syntax") == true)
        let old = try Self.drive(Self.task()) { _ in broken }
        // Never compiled: pre-existing, and no test ran for the file, which the report says.
        #expect(old.findings.map(\.kind) == [.preExistingFailure, .notTested])
        #expect(old.findings.first?.severity == .info)
    }

    @Test("a new file's failures have no base to compare with: a new module that does not import is an error")
    func newFileImportError() throws {
        let outcome = try Self.drive(Self.task(basePath: nil), baseText: nil) { request in
            if case .compile = request { return .process(Self.process(0), command: "python3 -m py_compile calc/ops.py") }
            return .process(Self.process(1, stderr: "ModuleNotFoundError: No module named 'numpy'"), command: "python3 -c 'import calc.ops'")
        }
        #expect(outcome.findings.map(\.kind) == [.importError])
        #expect(outcome.executed.count == 2, "no base to rerun at")
    }

    @Test("passing tests end with no finding, and the summary says so")
    func clean() throws {
        let outcome = try Self.drive(Self.task(), respond: Self.checksPass { _ in Self.run([("tests/test_ops.py::test_add", .passed)]) })
        #expect(outcome.findings.isEmpty)
        #expect(outcome.summary == "No error proven for `calc/ops.py`.")
    }
}

extension BuiltinPolicyTests {
    @Test("a test run that breaks at head is an error only if it completes at base; a warning when base cannot run it")
    func brokenRunNeedsAPassingBase() throws {
        // Killed after some tests ran: base runs the same tests to the end.
        let timedOut = ExecutionOutcome.tests(
            TestRun(
                execution: ExecutionResult(
                    exitCode: nil, signal: 9, timedOut: true, stdout: "", stderr: "", outputTruncated: false, duration: 120),
                command: "python3 -m pytest tests", outcomes: Self.run([("tests/test_ops.py::test_add", .passed)]).testRun!.outcomes,
                collectionErrors: [:], runner: "pytest"))
        func review(base: ExecutionOutcome) throws -> (finding: Finding?, executed: [ExecutionRequest]) {
            let outcome = try Self.drive(Self.task(), respond: Self.checksPass { request in request.side == .head ? timedOut : base })
            return (outcome.findings.first, outcome.executed)
        }
        let completes = try review(base: Self.run([("tests/test_ops.py::test_add", .passed)]))
        #expect(completes.finding?.severity == .error && completes.finding?.kind == .timeout)
        #expect(completes.executed.contains(.runTests(["tests/test_ops.py"], side: .base, overrides: [])), "\(completes.executed)")
        let breaksToo = try review(base: timedOut)
        #expect(breaksToo.finding?.severity == .info && breaksToo.finding?.kind == .preExistingFailure)
        let notThere = try review(base: .unavailable("none of the tests exist at base"))
        #expect(notThere.finding?.severity == .warning && notThere.finding?.kind == .timeout)
        #expect(notThere.finding?.message.contains("base could not run the same tests") == true)
    }

    @Test("a session that does not start at head is compared with a collection at base, not a run of every test")
    func sessionThatDoesNotStartIsComparedByCollecting() throws {
        let broken = ExecutionOutcome.tests(
            TestRun(
                execution: Self.process(4, stderr: "ImportError while loading conftest"), command: "python3 -m pytest tests",
                outcomes: [], collectionErrors: [:], runner: "pytest"))
        func review(collection exit: Int32) throws -> (finding: Finding?, executed: [ExecutionRequest]) {
            let outcome = try Self.drive(Self.task(), respond: Self.checksPass { request in
                if case .collectTests(_, .base) = request {
                    return .process(Self.process(exit), command: "python3 -m pytest --collect-only -q tests")
                }
                return request.side == .head ? broken : Self.run([("tests/test_ops.py::test_add", .passed)])
            })
            return (outcome.findings.first, outcome.executed)
        }
        let collects = try review(collection: 0)
        #expect(collects.finding?.severity == .error && collects.finding?.kind == .crash)
        #expect(collects.finding?.message.contains("at base the same tests collect") == true, "\(String(describing: collects.finding))")
        #expect(!collects.executed.contains { if case .runTests(_, .base, _) = $0 { true } else { false } }, "\(collects.executed)")
        let breaksToo = try review(collection: 4)
        #expect(breaksToo.finding?.severity == .info && breaksToo.finding?.kind == .preExistingFailure)
        let someFilesFail = try review(collection: 1)
        #expect(someFilesFail.finding?.severity == .error, "the session starts at base when only some files do not collect")
    }

    @Test("an import error for a package the interpreter lacks is the environment's; for the project's own module it is an error")
    func missingPackageIsNotTheChanges() throws {
        let environment = ProjectEnvironment(projectNames: ["calc"], python: "/usr/bin/python3")
        func review(_ missing: String) throws -> [Finding] {
            var policy = BuiltinPolicy(task: Self.task(basePath: nil), read: { _, _ in Self.head }, environment: environment)
            var findings: [Finding] = []
            for _ in 0..<20 {
                let state = LoopState(allowed: AgentNode.allCases, steps: 0, maxSteps: 60, node: "Start")
                switch try policy.next(state) {
                case .execute(let request, _):
                    if case .compile = request {
                        policy.observe(.process(Self.process(0), command: "python3 -m py_compile calc/ops.py"))
                    } else {
                        policy.observe(
                            .process(
                                Self.process(1, stderr: "ModuleNotFoundError: No module named '\(missing)'"),
                                command: "python3 -c 'import calc.ops'"))
                    }
                case .finish(_, let found):
                    findings = found
                    return findings
                default: break
                }
            }
            return findings
        }
        let third = try review("numpy.linalg")
        #expect(third.map(\.kind) == [.environment, .notTested] && third.first?.severity == .warning)
        #expect(third.first?.message.hasPrefix("`numpy` is not installed for /usr/bin/python3") == true)
        let own = try review("calc.missing")
        #expect(own.map(\.kind) == [.importError] && own.first?.severity == .error)
    }
}
