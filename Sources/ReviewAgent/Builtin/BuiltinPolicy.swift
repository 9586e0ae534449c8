import Foundation
import ReviewFindings
import ReviewSandbox

/// The embedded default: a deterministic policy that reviews a task by running it.
///
/// Plan: list the checks. Execute: byte-compile the file at head, import its module, run
/// the related tests. On a failure, Reflect and investigate: does it fail at base too
/// (pre-existing) or pass there (regression)? does it pass on a second run at head
/// (flaky)? which hunk is the culprit (revert one hunk at a time and rerun)? Finish: the
/// findings, each with the execution that proves it.
public struct BuiltinPolicy: Policy {
    /// Reads a file of a revision (relative path); `nil` when it does not exist there.
    public typealias SourceReader = (Side, String) -> String?

    /// The most hunks tried one by one when looking for a culprit.
    public static let maxBisectHunks = 12

    /// Part of every cache key: raise it whenever a change to the policy can change what a
    /// review of the same code finds, so that older cached results are not reused.
    public static let version = 2

    private let task: ReviewTask
    private let read: SourceReader
    private var phase: Phase = .start
    private var last: ExecutionOutcome?
    private var findings: [Finding] = []
    private var notes: [String] = []

    // Test investigation state.
    private var headRun: TestRun?
    private var failing: [TestOutcome] = []
    private var regressionCandidates: [TestOutcome] = []
    private var confirmed: [TestOutcome] = []
    private var culprits: [String: Int] = [:]
    private var bisectIndex = 0
    private var revertedHunks: [Int: SourceEdit.Replacement] = [:]

    enum Phase {
        case start, compileHead, afterCompileHead, compileBase(ExecutionOutcome), afterCompileBase(ExecutionOutcome)
        case importHead, afterImportHead, importBase(ExecutionOutcome), afterImportBase(ExecutionOutcome)
        case testsHead, afterTestsHead, brokenBase(TestRun), afterBrokenBase(TestRun)
        case testsBase, afterTestsBase, rerunHead, afterRerunHead, bisect, afterBisect
        case conclude, done
    }

    /// Creates the policy for one task.
    public init(task: ReviewTask, read: @escaping SourceReader) {
        self.task = task
        self.read = read
    }

    public var isStrict: Bool { false }

    public var provenFindings: [Finding] { findings }

    public mutating func observe(_ outcome: ExecutionOutcome) {
        last = outcome
    }

    public mutating func next() throws -> AgentAction {
        switch phase {
        case .start:
            phase = .compileHead
            return .plan(planText)
        case .compileHead:
            phase = .afterCompileHead
            return .execute(.compile(file: task.path, side: .head), note: "does it compile?")
        case .afterCompileHead:
            guard let outcome = last else { return conclude() }
            if outcome.succeeded {
                phase = task.module != nil && !task.isTestFile ? .importHead : .testsHead
                return try next()
            }
            if let basePath = task.basePath {
                phase = .compileBase(outcome)
                return .reflect(
                    "`\(task.path)` does not compile at head (\(firstLine(outcome))). Checking whether `\(basePath)` compiled at base.")
            }
            addCompileFinding(outcome, preExisting: false)
            return conclude()
        case .compileBase(let headOutcome):
            phase = .afterCompileBase(headOutcome)
            return .execute(.compile(file: task.basePath ?? task.path, side: .base), note: "did it compile before?")
        case .afterCompileBase(let headOutcome):
            let baseFailed = last.map { !$0.succeeded && $0.execution != nil } ?? false
            addCompileFinding(headOutcome, preExisting: baseFailed)
            return conclude()
        case .importHead:
            phase = .afterImportHead
            return .execute(.importModule(task.module ?? "", side: .head, overrides: []), note: "does it import?")
        case .afterImportHead:
            guard let outcome = last else { return conclude() }
            if outcome.succeeded {
                phase = .testsHead
                return try next()
            }
            if let baseModule = task.baseModule {
                phase = .importBase(outcome)
                return .reflect(
                    "`\(task.module ?? "")` does not import at head (\(firstLine(outcome))). Checking whether `\(baseModule)` imported at base.")
            }
            addImportFinding(outcome, preExisting: false)
            return conclude()
        case .importBase(let headOutcome):
            phase = .afterImportBase(headOutcome)
            return .execute(
                .importModule(task.baseModule ?? "", side: .base, overrides: []), note: "did it import before?")
        case .afterImportBase(let headOutcome):
            let baseFailed = last.map { !$0.succeeded && $0.execution != nil } ?? false
            addImportFinding(headOutcome, preExisting: baseFailed)
            return conclude()
        case .testsHead:
            guard !task.tests.isEmpty else {
                notes.append("no related tests were found, so only compilation and import were checked")
                return conclude()
            }
            phase = .afterTestsHead
            return .execute(.runTests(task.testTargets, side: .head, overrides: []), note: "the related tests")
        case .afterTestsHead:
            return try afterTestsHead()
        case .brokenBase(let headRun):
            phase = .afterBrokenBase(headRun)
            return .execute(.runTests(task.testTargets, side: .base, overrides: []), note: "does the run break at base too?")
        case .afterBrokenBase(let headRun):
            let baseBroke: Bool
            if case .tests(let run)? = last { baseBroke = run.runnerBroke } else { baseBroke = false }
            addBrokenRunFinding(headRun, preExisting: baseBroke)
            return conclude()
        case .testsBase:
            phase = .afterTestsBase
            let ids = failing.map(\.nodeID)
            return .execute(.runTests(ids, side: .base, overrides: []), note: "regression or pre-existing?")
        case .afterTestsBase:
            classifyAgainstBase()
            guard !regressionCandidates.isEmpty else { return conclude() }
            phase = .rerunHead
            return .reflect(
                "\(regressionCandidates.count) test(s) pass at base and fail at head. Rerunning them at head to rule out flakiness.")
        case .rerunHead:
            phase = .afterRerunHead
            return .execute(
                .runTests(regressionCandidates.map(\.nodeID), side: .head, overrides: []), note: "flaky?")
        case .afterRerunHead:
            splitFlaky()
            guard !confirmed.isEmpty, task.basePath != nil, !task.hunks.isEmpty, read(.base, task.basePath!) != nil
            else {
                addRegressionFindings()
                return conclude()
            }
            phase = .bisect
            let count = min(task.hunks.count, Self.maxBisectHunks)
            return .reflect(
                "\(confirmed.count) regression(s) confirmed. Reverting the \(count) hunk(s) of `\(task.path)` one at a time to find the culprit.")
        case .bisect:
            return bisectStep()
        case .afterBisect:
            recordBisectResult()
            return bisectStep()
        case .conclude:
            phase = .done
            return .finish(summary: summaryText, findings: findings)
        case .done:
            return .finish(summary: summaryText, findings: findings)
        }
    }

    // MARK: - Tests

    private mutating func afterTestsHead() throws -> AgentAction {
        guard case .tests(let run)? = last else {
            notes.append("the related tests could not be run: \(last.map { AgentLoop.describe($0) } ?? "no result")")
            return conclude()
        }
        headRun = run
        if run.runnerBroke {
            phase = .brokenBase(run)
            return .reflect(
                "The test run itself broke at head (\(run.execution.statusDescription)). Checking whether it breaks at base too.")
        }
        failing = run.failures
        for (file, error) in run.collectionErrors.sorted(by: { $0.key < $1.key }) {
            failing.append(
                TestOutcome(nodeID: file, file: file, line: nil, status: .error, message: "collection failed", details: error))
        }
        if failing.isEmpty {
            if run.nothingCollected { notes.append("the related test files contain no tests") }
            return conclude()
        }
        phase = .testsBase
        return .reflect(
            "\(failing.count) test(s) fail at head: \(failing.prefix(5).map { "`\($0.nodeID)`" }.joined(separator: ", ")). Rerunning them at base to tell regressions from failures that already existed.")
    }

    private mutating func classifyAgainstBase() {
        var baseStatus: [String: TestOutcome] = [:]
        var baseCollectionErrors: Set<String> = []
        var baseRan = false
        if case .tests(let run)? = last {
            baseRan = !run.runnerBroke
            for outcome in run.outcomes { baseStatus[outcome.nodeID] = outcome }
            baseCollectionErrors = Set(run.collectionErrors.keys)
        }
        for outcome in failing {
            let isCollection = outcome.message == "collection failed"
            let atBase: TestOutcome.Status?
            if isCollection {
                atBase = baseCollectionErrors.contains(outcome.file) ? .error : (baseRan && read(.base, outcome.file) != nil ? .passed : nil)
            } else {
                atBase = baseStatus[outcome.nodeID]?.status
            }
            switch atBase {
            case .passed?:
                regressionCandidates.append(outcome)
            case .failed?, .error?:
                findings.append(
                    Finding(
                        severity: .info, kind: .preExistingFailure, file: outcome.file, line: outcome.line ?? 1,
                        endLine: outcome.line ?? 1,
                        message: "`\(outcome.nodeID)` fails at base and at head: \(short(outcome.message))",
                        test: outcome.nodeID, evidence: evidence(for: outcome, run: headRun)))
            case .skipped?:
                notes.append("`\(outcome.nodeID)` is skipped at base")
            case nil:
                // Not at base: a new test (or a new test file) that fails.
                let line = outcome.line ?? 1
                findings.append(
                    Finding(
                        severity: .error, kind: .failingNewTest, file: outcome.file, line: line, endLine: line,
                        message: "new test `\(outcome.nodeID)` fails at head: \(short(outcome.message))",
                        test: outcome.nodeID, evidence: evidence(for: outcome, run: headRun)))
            }
        }
    }

    private mutating func splitFlaky() {
        var stillFailing: Set<String> = []
        var rerunKnown = false
        if case .tests(let run)? = last, !run.runnerBroke {
            rerunKnown = true
            stillFailing = Set(run.failures.map(\.nodeID))
            for (file, _) in run.collectionErrors { stillFailing.insert(file) }
        }
        for outcome in regressionCandidates {
            if rerunKnown && !stillFailing.contains(outcome.nodeID) {
                let line = outcome.line ?? 1
                findings.append(
                    Finding(
                        severity: .warning, kind: .flakyTest, file: outcome.file, line: line, endLine: line,
                        message: "`\(outcome.nodeID)` failed at head, then passed on a rerun: it is flaky",
                        test: outcome.nodeID, evidence: evidence(for: outcome, run: headRun)))
            } else {
                confirmed.append(outcome)
            }
        }
    }

    private mutating func bisectStep() -> AgentAction {
        let count = min(task.hunks.count, Self.maxBisectHunks)
        let unexplained = confirmed.filter { culprits[$0.nodeID] == nil }
        guard bisectIndex < count, !unexplained.isEmpty,
            let head = read(.head, task.path), let base = read(.base, task.basePath ?? task.path)
        else {
            addRegressionFindings()
            return conclude()
        }
        let hunk = task.hunks[bisectIndex]
        let replacement = SourceEdit.revert(head: SourceEdit.lines(head), base: SourceEdit.lines(base), hunk: hunk)
        revertedHunks[bisectIndex] = replacement
        phase = .afterBisect
        let lines = hunk.headLines
        return .execute(
            .runTests(
                unexplained.map(\.nodeID), side: .head,
                overrides: [FileOverride(path: task.path, content: replacement.text)]),
            note: "with hunk \(bisectIndex + 1) (lines \(lines.lowerBound)-\(lines.upperBound)) reverted")
    }

    private mutating func recordBisectResult() {
        defer { bisectIndex += 1 }
        guard case .tests(let run)? = last, !run.runnerBroke else { return }
        let failingNow = Set(run.failures.map(\.nodeID)).union(run.collectionErrors.keys)
        let passedNow = Set(run.outcomes.filter { $0.status == .passed }.map(\.nodeID))
        for outcome in confirmed where culprits[outcome.nodeID] == nil {
            if passedNow.contains(outcome.nodeID) && !failingNow.contains(outcome.nodeID) {
                culprits[outcome.nodeID] = bisectIndex
            }
        }
    }

    private mutating func addRegressionFindings() {
        // One finding per culprit hunk (all the tests it breaks), one per unexplained test.
        var byHunk: [Int: [TestOutcome]] = [:]
        var unexplained: [TestOutcome] = []
        for outcome in confirmed {
            if let hunk = culprits[outcome.nodeID] { byHunk[hunk, default: []].append(outcome) } else { unexplained.append(outcome) }
        }
        for hunkIndex in byHunk.keys.sorted() {
            let tests = byHunk[hunkIndex]!
            let hunk = task.hunks[hunkIndex]
            let names = tests.map { "`\($0.nodeID)`" }.joined(separator: ", ")
            let lines = hunk.headLines
            let lead = tests.count == 1 ? "\(names) passes at base but fails at head" : "\(tests.count) tests pass at base but fail at head (\(names))"
            var suggestion: Suggestion?
            if let replacement = revertedHunks[hunkIndex] {
                suggestion = makeSuggestion(replacement, hunk: hunk)
            }
            findings.append(
                Finding(
                    severity: .error, kind: .testRegression, file: task.path, line: lines.lowerBound,
                    endLine: lines.upperBound,
                    message: "\(lead): \(short(tests[0].message)). Reverting the change at lines \(lines.lowerBound)-\(lines.upperBound) makes \(tests.count == 1 ? "it" : "them") pass.",
                    test: tests[0].nodeID, evidence: evidence(for: tests[0], run: headRun), suggestion: suggestion))
        }
        for outcome in unexplained {
            let details = outcome.details + "\n" + outcome.message
            let line =
                TracebackLocator.deepestLine(in: details, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
                ?? task.firstChangedLine
            findings.append(
                Finding(
                    severity: .error, kind: .testRegression, file: task.path, line: line, endLine: line,
                    message: "`\(outcome.nodeID)` passes at base but fails at head: \(short(outcome.message))",
                    test: outcome.nodeID, evidence: evidence(for: outcome, run: headRun)))
        }
    }

    private func makeSuggestion(_ replacement: SourceEdit.Replacement, hunk: ChangedRange) -> Suggestion {
        let patch = replacement.unifiedDiff(path: task.path)
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
            patch: patch, startLine: start, endLine: end, replacement: text, verified: true,
            summary: "revert lines \(hunk.headLines.lowerBound)-\(hunk.headLines.upperBound) to their base version")
    }

    private mutating func addBrokenRunFinding(_ run: TestRun, preExisting: Bool) {
        let execution = run.execution
        let kind: FindingKind = execution.timedOut ? .timeout : .crash
        let line = TracebackLocator.deepestLine(
            in: execution.stderr + "\n" + execution.stdout, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        let what = "running the related tests \(execution.statusDescription)"
        findings.append(
            Finding(
                severity: preExisting ? .info : .error, kind: preExisting ? .preExistingFailure : kind, file: task.path,
                line: line, endLine: line,
                message: preExisting ? "\(what) at head, and at base too" : "\(what) at head; at base it completes",
                evidence: Evidence(
                    command: run.command, revision: "head", exitCode: execution.exitCode,
                    output: TracebackLocator.tail(execution.stdout + execution.stderr))))
    }

    // MARK: - Compile and import

    private mutating func addCompileFinding(_ outcome: ExecutionOutcome, preExisting: Bool) {
        let output = outcome.execution.map { $0.stderr + $0.stdout } ?? ""
        let line = TracebackLocator.deepestLine(in: output, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        let message = lastErrorLine(output)
        findings.append(
            Finding(
                severity: preExisting ? .info : .error, kind: preExisting ? .preExistingFailure : .syntaxError,
                file: task.path, line: line, endLine: line,
                message: preExisting
                    ? "`\(task.path)` does not compile at head, and did not at base either: \(message)"
                    : "`\(task.path)` does not compile: \(message)",
                evidence: evidence(outcome)))
    }

    private mutating func addImportFinding(_ outcome: ExecutionOutcome, preExisting: Bool) {
        let execution = outcome.execution
        let output = execution.map { $0.stderr + $0.stdout } ?? ""
        let line = TracebackLocator.deepestLine(in: output, file: task.path, sourceRoot: PythonToolbox.sourceRoot)
            ?? task.firstChangedLine
        var kind: FindingKind = .importError
        if execution?.timedOut == true { kind = .timeout } else if execution?.signal != nil { kind = .crash }
        let module = task.module ?? task.path
        let reason = execution.map { $0.timedOut || $0.signal != nil ? $0.statusDescription : lastErrorLine(output) } ?? ""
        findings.append(
            Finding(
                severity: preExisting ? .info : .error, kind: preExisting ? .preExistingFailure : kind, file: task.path,
                line: line, endLine: line,
                message: preExisting
                    ? "`import \(module)` fails at head, and failed at base too: \(reason)"
                    : "`import \(module)` fails at head: \(reason)",
                evidence: evidence(outcome)))
    }

    // MARK: - Text

    private mutating func conclude() -> AgentAction {
        phase = .conclude
        return .reflect(conclusionText)
    }

    private var planText: String {
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

    private var conclusionText: String {
        let errors = findings.filter { $0.severity == .error }.count
        let others = findings.count - errors
        var text = errors == 0 ? "No error proven for `\(task.path)`." : "\(errors) error(s) proven for `\(task.path)`."
        if others > 0 { text += " \(others) other finding(s)." }
        if !notes.isEmpty { text += " Note: " + notes.joined(separator: "; ") + "." }
        return text
    }

    private var summaryText: String { conclusionText }

    private func firstLine(_ outcome: ExecutionOutcome) -> String {
        guard let execution = outcome.execution else { return AgentLoop.describe(outcome) }
        if execution.timedOut || execution.signal != nil { return execution.statusDescription }
        return lastErrorLine(execution.stderr + execution.stdout)
    }

    private func lastErrorLine(_ text: String) -> String {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.last(where: { $0.contains("Error") || $0.contains("Exception") }) ?? lines.last ?? "no output"
    }

    private func short(_ message: String) -> String {
        let first = message.split(separator: "\n").first.map(String.init) ?? message
        return first.count > 300 ? String(first.prefix(300)) + "..." : (first.isEmpty ? "failed" : first)
    }

    private func evidence(_ outcome: ExecutionOutcome) -> Evidence {
        let execution = outcome.execution
        return Evidence(
            command: outcome.command, revision: "head", exitCode: execution?.exitCode,
            output: TracebackLocator.tail((execution?.stderr ?? "") + (execution?.stdout ?? "")))
    }

    private func evidence(for outcome: TestOutcome, run: TestRun?) -> Evidence {
        var output = "\(outcome.status == .error ? "ERROR" : "FAILED") \(outcome.nodeID)"
        if !outcome.message.isEmpty { output += " - " + short(outcome.message) }
        if !outcome.details.isEmpty { output += "\n" + TracebackLocator.tail(outcome.details) }
        return Evidence(
            command: run?.command ?? "pytest \(outcome.nodeID)", revision: "head", exitCode: run?.execution.exitCode,
            output: output)
    }
}
