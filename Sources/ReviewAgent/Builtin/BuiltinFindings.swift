import ReviewFindings
import ReviewSandbox

/// The findings of the built-in policy for one task, each with the execution that proves
/// it, and their wording.
struct BuiltinFindings {
    let task: ReviewTask
    /// The project's names and interpreter; `nil` when unknown (every failure is the change's).
    let environment: ProjectEnvironment?
    /// The related tests' run at head, whose command and exit code back test findings.
    var headRun: TestRun?

    // MARK: - Tests

    /// Tests that fail at base and at head for one cause: one info for all of them, with
    /// the count, three examples and every node id, and what to do when the cause is the
    /// sandbox itself.
    func preExisting(_ outcomes: [TestOutcome]) -> Finding {
        let first = outcomes[0]
        let collection = first.message == TestInvestigation.collectionFailed
        let cause = FailureCause.line(first)
        var message: String
        if outcomes.count == 1 {
            message = collection
                ? "`\(first.file)` does not collect at base or at head: \(cause)"
                : "`\(first.nodeID)` fails at base and at head: \(cause)"
        } else {
            let examples = outcomes.prefix(3).map { "`\($0.nodeID)`" }.joined(separator: ", ")
            message = collection
                ? "\(outcomes.count) test files do not collect at base or at head: \(cause) (e.g. \(examples))"
                : "\(outcomes.count) tests fail at base and at head with the same cause: \(cause) (e.g. \(examples))"
        }
        if let advice = FailureCause.sandboxAdvice(first.message + "\n" + first.details) { message += ". " + advice }
        var finding = testFinding(first, .info, .preExistingFailure, message)
        finding.tests = outcomes.map(\.nodeID)
        return finding
    }

    /// A test that does not exist at base and fails at head.
    func failingNewTest(_ outcome: TestOutcome) -> Finding {
        testFinding(
            outcome, .error, .failingNewTest, "new test `\(outcome.nodeID)` fails at head: \(Wording.short(outcome.message))")
    }

    /// A test that failed at head, then passed on a rerun.
    func flaky(_ outcome: TestOutcome) -> Finding {
        testFinding(outcome, .warning, .flakyTest, "`\(outcome.nodeID)` failed at head, then passed on a rerun: it is flaky")
    }

    /// Tests that pass at base, fail at head, and pass with hunk `hunk` reverted.
    func regression(_ tests: [TestOutcome], hunk: ChangedRange, reverted: SourceEdit.Replacement?) -> Finding {
        let names = tests.map { "`\($0.nodeID)`" }.joined(separator: ", ")
        let lines = hunk.headLines
        let lead = tests.count == 1
            ? "\(names) passes at base but fails at head" : "\(tests.count) tests pass at base but fail at head (\(names))"
        return Finding(
            severity: .error, kind: .testRegression, file: task.path, line: lines.lowerBound, endLine: lines.upperBound,
            message: "\(lead): \(Wording.short(tests[0].message)). Reverting the change at lines \(lines.lowerBound)-\(lines.upperBound) makes \(tests.count == 1 ? "it" : "them") pass." + stopped,
            test: tests[0].nodeID, evidence: evidence(for: tests[0]),
            suggestion: reverted.map { suggestion($0, hunk: hunk) })
    }

    /// A test that passes at base and fails at head, with no single hunk to blame.
    func regression(_ outcome: TestOutcome) -> Finding {
        let line =
            TracebackLocator.deepestLine(
                in: outcome.details + "\n" + outcome.message, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        let lines = task.blame(line)
        return Finding(
            severity: .error, kind: .testRegression, file: task.path, line: lines.lowerBound, endLine: lines.upperBound,
            message: "`\(outcome.nodeID)` passes at base but fails at head: \(Wording.short(outcome.message))" + (stopped.isEmpty ? "" : "." + stopped),
            test: outcome.nodeID, evidence: evidence(for: outcome))
    }

    /// What a regression's message adds when the head session stopped at it.
    private var stopped: String {
        Wording.sessionStopped(headRun?.stopReport).map { " " + $0 } ?? ""
    }

    /// What the same test run did at base.
    enum AtBase {
        /// It broke there too.
        case broke
        /// It completed there.
        case completed
        /// Its tests collect there (asked when the run did not start at head).
        case collects
        /// Base could not run it (none of the tests exist there), so nothing is compared.
        case notRun(String)

        init(_ outcome: ExecutionOutcome?) {
            switch outcome {
            case .unavailable(let reason)?: self = .notRun(reason)
            case .tests(let run)? where run.runnerBroke: self = .broke
            case .tests?: self = .completed
            case .process(let result, _)? where result.exitCode == 0 || result.exitCode == 5:
                // The tests' directory collects at base: the setup works there.
                self = .completed
            case .process(let result, _)?: self = .notRun("their directory does not collect at base either: \(result.statusDescription)")
            default: self = .notRun("no result at base")
            }
        }

        /// Whether base could not run the tests themselves (they are new), so the nearest
        /// check there is whether their directory collects.
        var needsCollection: Bool {
            if case .notRun = self { return true }
            return false
        }
    }

    /// A test run that broke (crash, timeout) at head: an error only when the same run
    /// completes at base; pre-existing (info) when it broke there too; a warning when base
    /// could not run it.
    func brokenRun(_ run: TestRun, atBase: AtBase) -> Finding {
        let execution = run.execution
        let line = TracebackLocator.deepestLine(
            in: execution.stderr + "\n" + execution.stdout, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        let what = "running the related tests \(execution.statusDescription)"
        let severity: Severity
        let message: String
        switch atBase {
        case .broke: (severity, message) = (.info, "\(what) at head, and at base too")
        case .completed: (severity, message) = (.error, "\(what) at head; at base it completes")
        case .collects: (severity, message) = (.error, "\(what) at head, before any test ran; at base the same tests collect")
        case .notRun(let reason):
            (severity, message) = (.warning, "\(what) at head; base could not run the same tests (\(reason)), so the change is not proven to cause it")
        }
        return Finding(
            severity: severity, kind: severity == .info ? .preExistingFailure : (execution.timedOut ? .timeout : .crash),
            file: task.path, line: task.blame(line).lowerBound, endLine: task.blame(line).upperBound, message: message,
            evidence: Evidence(
                command: run.command, revision: "head", exitCode: execution.exitCode,
                output: TracebackLocator.tail(execution.stdout + execution.stderr)))
    }

    // MARK: - What was not tested

    /// The change is comments or formatting only: the same syntax tree at both revisions,
    /// so there is no code to test (said, so that a file without a test run is never silent).
    func sameCode() -> Finding {
        Finding(
            severity: .info, kind: .notTested, file: task.path, line: task.firstChangedLine, endLine: task.firstChangedLine,
            message:
                "no test ran for `\(task.path)`: only comments or formatting changed (its syntax tree is the same at base and head, docstrings included), so no code changed")
    }

    /// No test ran for the changed file: a warning that says why and what would fix it (an
    /// info for scripts and loose files, which are compiled by design and no test imports).
    func notTested(_ reason: String) -> Finding {
        let compiledOnly = task.module == nil && !task.isTestFile
        let fix =
            compiledOnly
            ? "it is a script or lies outside the packages, so review compiles it only"
            : task.tests.isEmpty
                ? "add a test that imports `\(task.module ?? task.path)`; if it has tests, check that pytest collects them (python_files and testpaths in the project's pytest configuration, or `tests` in [tool.review])"
                : "run the related tests locally to see why; for an interpreter that lacks a package, pass --python with the project's virtualenv"
        return Finding(
            severity: compiledOnly ? .info : .warning, kind: .notTested, file: task.path, line: task.firstChangedLine,
            endLine: task.firstChangedLine, message: "no test ran for `\(task.path)`: \(reason); \(fix)")
    }

    // MARK: - Compile and import

    /// The file does not compile at head; `preExisting` when it did not at base either.
    func compileFailure(_ outcome: ExecutionOutcome, preExisting: Bool) -> Finding {
        let output = outcome.execution.map { $0.stderr + $0.stdout } ?? ""
        let message = Wording.lastErrorLine(output)
        return processFinding(
            outcome, output: output, preExisting: preExisting, kind: .syntaxError,
            message: preExisting
                ? "`\(task.path)` does not compile at head, and did not at base either: \(message)"
                : "`\(task.path)` does not compile: \(message)")
    }

    /// The module does not import at head; `preExisting` when it did not at base either.
    func importFailure(_ outcome: ExecutionOutcome, preExisting: Bool) -> Finding {
        let execution = outcome.execution
        let output = execution.map { $0.stderr + $0.stdout } ?? ""
        var kind: FindingKind = .importError
        if execution?.timedOut == true { kind = .timeout } else if execution?.signal != nil { kind = .crash }
        let module = task.module ?? task.path
        let reason =
            execution.map { $0.timedOut || $0.signal != nil ? $0.statusDescription : Wording.lastErrorLine(output) } ?? ""
        return processFinding(
            outcome, output: output, preExisting: preExisting, kind: kind,
            message: preExisting
                ? "`import \(module)` fails at head, and failed at base too: \(reason)"
                : "`import \(module)` fails at head: \(reason)")
    }

    // MARK: - The environment

    /// Each error whose output shows a package missing from the interpreter (not the
    /// project's own) becomes an `environment` warning: the code could not run here, so
    /// nothing about the change is proven.
    func attributingEnvironment(_ findings: [Finding]) -> [Finding] {
        guard let environment else { return findings }
        return findings.map { finding in
            guard finding.severity == .error,
                let name = environment.missingPackage(in: finding.message + "\n" + (finding.evidence?.output ?? ""))
            else { return finding }
            return Finding(
                severity: .warning, kind: .environment, file: finding.file, line: finding.line, endLine: finding.endLine,
                message: environment.missingMessage(name), evidence: finding.evidence)
        }
    }

    // MARK: - Pieces

    private func testFinding(_ outcome: TestOutcome, _ severity: Severity, _ kind: FindingKind, _ message: String)
        -> Finding
    {
        let line = outcome.line ?? 1
        return Finding(
            severity: severity, kind: kind, file: outcome.file, line: line, endLine: line, message: message,
            test: outcome.nodeID, evidence: evidence(for: outcome))
    }

    private func processFinding(
        _ outcome: ExecutionOutcome, output: String, preExisting: Bool, kind: FindingKind, message: String
    ) -> Finding {
        let line = TracebackLocator.deepestLine(in: output, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        let execution = outcome.execution
        return Finding(
            severity: preExisting ? .info : .error, kind: preExisting ? .preExistingFailure : kind, file: task.path,
            line: line, endLine: line, message: message,
            evidence: Evidence(
                command: outcome.command, revision: "head", exitCode: execution?.exitCode,
                output: TracebackLocator.tail((execution?.stderr ?? "") + (execution?.stdout ?? ""))))
    }

    private func evidence(for outcome: TestOutcome) -> Evidence {
        var output = "\(outcome.status == .error ? "ERROR" : "FAILED") \(outcome.nodeID)"
        if !outcome.message.isEmpty { output += " - " + Wording.short(outcome.message) }
        if !outcome.details.isEmpty { output += "\n" + TracebackLocator.tail(outcome.details) }
        return Evidence(
            command: headRun?.command ?? "pytest \(outcome.nodeID)", revision: "head", exitCode: headRun?.execution.exitCode,
            output: output)
    }

    /// The revert of a culprit hunk as a suggestion (verified: the tests passed with it).
    private func suggestion(_ replacement: SourceEdit.Replacement, hunk: ChangedRange) -> Suggestion {
        var start = replacement.start + 1
        var end = replacement.start + replacement.removed.count
        var text = replacement.inserted.joined()
        if replacement.removed.isEmpty {
            // A pure insertion at base: suggest on the neighbouring head line, keeping it.
            if replacement.start > 0 {
                start = replacement.start
                end = start
                text = replacement.original[start - 1] + text
            } else {
                start = 1
                end = 1
                text += replacement.original.first ?? ""
            }
        }
        return Suggestion(
            patch: replacement.unifiedDiff(path: task.path), startLine: start, endLine: end, replacement: text,
            verified: true,
            summary: "revert lines \(hunk.headLines.lowerBound)-\(hunk.headLines.upperBound) to their base version")
    }
}

/// What a failure's message says about its cause: the key that groups failures with the
/// same cause, and advice when the cause is the sandbox rather than the code.
enum FailureCause {
    /// The first line of the message with what varies between occurrences of one cause
    /// (addresses, temporary paths) masked.
    static func key(_ outcome: TestOutcome) -> String {
        let collection = outcome.message == TestInvestigation.collectionFailed
        var line = (collection ? "collection: " : "") + line(outcome)
        line = line.replacing(/0x[0-9a-fA-F]+/, with: "0x?")
        line = line.replacing(/\/tmp\/[^\s'"]+/, with: "/tmp/?")
        return line
    }

    /// The line that names the cause: the error of a file that does not collect, else the
    /// first line of the failure's message.
    static func line(_ outcome: TestOutcome) -> String {
        outcome.message == TestInvestigation.collectionFailed
            ? Wording.lastErrorLine(outcome.details) : Wording.short(outcome.message)
    }

    /// What to do when the failure is the sandbox's doing: no network, a read-only path,
    /// a package the interpreter lacks.
    static func sandboxAdvice(_ text: String) -> String? {
        let network = [
            "URLError", "Temporary failure in name resolution", "Name or service not known", "Network is unreachable",
            "gaierror", "ConnectionRefusedError", "ConnectionError", "NewConnectionError", "No address associated",
        ]
        if network.contains(where: text.contains) {
            return "The sandbox has no network: mark such tests (e.g. `@pytest.mark.network`) and deselect them in the project's pytest `addopts` (`-m \"not network\"`)"
        }
        if text.contains("Read-only file system") {
            return "The sandbox shows the system read-only (the project's tree is writable): the test writes outside the project and `/tmp`"
        }
        if text.contains("ModuleNotFoundError") || text.contains("No module named") {
            return "The interpreter lacks a module: pass --python with the project's virtualenv, where its test dependencies are installed"
        }
        return nil
    }
}

/// The built-in policy's prose: its plan, its conclusion, and short forms of outputs.
enum Wording {
    /// The Plan step: the checks, in order.
    static func plan(_ task: ReviewTask) -> String {
        var lines = ["Review `\(task.path)` by running it:"]
        lines.append("1. Byte-compile `\(task.path)` at head.")
        if let module = task.module, !task.isTestFile { lines.append("2. Import `\(module)` at head.") }
        if task.tests.isEmpty {
            lines.append("3. No related tests were found (\(task.testSelection)).")
        } else if let nodes = task.testNodes {
            lines.append("3. Run \(nodes.count) test(s) of \(task.tests.count) file(s) at head, chosen by the \(task.testSelection).")
        } else {
            let listed = task.tests.prefix(8).map { "`\($0)` (\(task.testReasons[$0] ?? "related"))" }
            lines.append("3. Run \(task.tests.count) related test file(s) at head: \(listed.joined(separator: ", "))\(task.tests.count > 8 ? ", ..." : "").")
        }
        lines.append(
            "4. On a failure: rerun it at base (regression or pre-existing?), rerun at head (flaky?), and revert the \(task.hunks.count) hunk(s) one at a time to find the culprit.")
        return lines.joined(separator: "\n")
    }

    /// The Reflect after tests failed at head.
    static func failingAtHead(_ failing: [TestOutcome]) -> String {
        "\(failing.count) test(s) fail at head: \(failing.prefix(5).map { "`\($0.nodeID)`" }.joined(separator: ", ")). Rerunning them at base to tell regressions from failures that already existed."
    }

    /// The concluding Reflect and the Finish summary.
    static func conclusion(_ task: ReviewTask, findings: [Finding], notes: [String]) -> String {
        let errors = findings.filter { $0.severity == .error }.count
        let others = findings.count - errors
        var text = errors == 0 ? "No error proven for `\(task.path)`." : "\(errors) error(s) proven for `\(task.path)`."
        if others > 0 { text += " \(others) other finding(s)." }
        if !notes.isEmpty { text += " Note: " + notes.joined(separator: "; ") + "." }
        return text
    }

    /// The line of an outcome worth quoting: the status of a killed run, else its last error line.
    static func firstLine(_ outcome: ExecutionOutcome) -> String {
        guard let execution = outcome.execution else { return AgentLoop.describe(outcome) }
        if execution.timedOut || execution.signal != nil { return execution.statusDescription }
        return lastErrorLine(execution.stderr + execution.stdout)
    }

    /// The last line that names an error or exception, else the last line.
    static func lastErrorLine(_ text: String) -> String {
        // pytest marks error lines with a leading `E`.
        let lines = text.split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces).replacing(/^E\s+/, with: "")
        }.filter { !$0.isEmpty }
        return lines.last(where: { $0.contains("Error") || $0.contains("Exception") }) ?? lines.last ?? "no output"
    }

    /// What the report says of a head session that stopped at the first regression it
    /// proved; `nil` when it ran to its end.
    static func sessionStopped(_ report: SessionStopReport?) -> String? {
        guard let report, report.stopped, !report.notRun.isEmpty else { return nil }
        return "The test session at head stopped at this regression: \(report.notRun.count) other selected test(s) of this file did not run (`--on-regression run-all` runs them all)."
    }

    /// The first line of a message, at most 300 characters.
    static func short(_ message: String) -> String {
        let first = message.split(separator: "\n").first.map(String.init) ?? message
        return first.count > 300 ? String(first.prefix(300)) + "..." : (first.isEmpty ? "failed" : first)
    }
}
