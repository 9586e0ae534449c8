import ReviewFindings
import ReviewSandbox

/// The model's Execute code as a behaviour probe. Code that ran cleanly at head runs at
/// base too; when it prints something else there, both revisions run it once more (output
/// that changes between two runs of one revision is nondeterministic and dropped), and a
/// test that pins base's output runs at base and at head. Only a pin that passes at base
/// and fails at head makes a `behaviour-change` finding, as for the built-in probes: a
/// warning, or information when a test changed in the range that names the function fails
/// against base's code (the change is intended).
struct ModelWitness {
    /// What the policy runs next, or the end.
    enum Step {
        case execute(ExecutionRequest)
        case done(Finding?)
    }

    /// Output longer than this is not compared (a pin would not be read by anyone).
    static let maxOutput = 4000

    private let task: ReviewTask
    private let code: String
    private let head: ExecutionResult
    /// Reads a file of head (the changed tests, run against base's code).
    private let readHead: (String) -> String?
    private var stage = Stage.base
    private var base: ExecutionResult?
    private var last: ExecutionOutcome?
    /// The changed function the code calls, when one is named in it.
    private let target: String?

    private enum Stage { case base, headAgain, baseAgain, pinBase, pinHead, intended, finished }

    /// A witness for code that succeeded at head, or `nil` when there is nothing to compare
    /// (no base, a failure, output cut or too long).
    init?(code: String, head: ExecutionResult, task: ReviewTask, readHead: @escaping (String) -> String?) {
        guard task.basePath != nil, !task.isTestFile, head.succeeded, !head.outputTruncated,
            head.stdout.count <= Self.maxOutput
        else { return nil }
        self.code = code
        self.head = head
        self.task = task
        self.readHead = readHead
        target = task.changedSymbols.first { symbol in
            let name = symbol.name.split(separator: ".").last.map(String.init) ?? symbol.name
            return symbol.kind == "function" && code.contains(name + "(")
        }?.name
    }

    /// Takes the outcome of the last step.
    mutating func observe(_ outcome: ExecutionOutcome) { last = outcome }

    /// The next step.
    mutating func next() -> Step {
        switch stage {
        case .base:
            stage = .headAgain
            return .execute(.runCode(code, side: .base))
        case .headAgain:
            guard let atBase = last?.execution, atBase.succeeded, !atBase.outputTruncated, atBase.stdout != head.stdout,
                atBase.stdout.count <= Self.maxOutput
            else { return finish() }
            base = atBase
            stage = .baseAgain
            return .execute(.runCode(code, side: .head))
        case .baseAgain:
            guard last?.execution?.stdout == head.stdout else { return finish() }
            stage = .pinBase
            return .execute(.runCode(code, side: .base))
        case .pinBase:
            guard last?.execution?.stdout == base?.stdout else { return finish() }
            stage = .pinHead
            return .execute(.runPinnedTests(pin, side: .base))
        case .pinHead:
            guard status(last) == .passed else { return finish() }
            stage = .intended
            return .execute(.runPinnedTests(pin, side: .head))
        case .intended:
            guard let status = status(last), status == .failed || status == .error else { return finish() }
            let callers = changedTestsNamingTarget
            guard !callers.isEmpty else { return finish(intendedBy: nil) }
            stage = .finished
            let overrides = callers.compactMap { file in readHead(file).map { FileOverride(path: file, content: $0) } }
            return .execute(.runTests(callers, side: .base, overrides: overrides))
        case .finished:
            let failing = last?.testRun?.outcomes.first { $0.status == .failed || $0.status == .error }
            return finish(intendedBy: failing?.nodeID)
        }
    }

    private var pin: String { PinnedTest.codeFile(code: code, output: base?.stdout ?? "") }

    /// Test files changed in the range whose head version names the function the code calls.
    private var changedTestsNamingTarget: [String] {
        guard let target else { return [] }
        let name = target.split(separator: ".").last.map(String.init) ?? target
        return task.changedTests.sorted().filter { readHead($0)?.contains(name) == true }
    }

    private mutating func finish() -> Step {
        stage = .finished
        return .done(nil)
    }

    /// The finding; `intendedBy`: a changed test that fails against base's code.
    private mutating func finish(intendedBy test: String?) -> Step {
        stage = .finished
        guard let base else { return .done(nil) }
        let lines = target.map(task.changedLines(in:)) ?? (task.firstChangedLine...task.firstChangedLine)
        let subject = target.map { "`\($0)` behaves differently at head: code" } ?? "Code"
        var message = "\(subject) written by the model prints \(ProbeResult.short(PinnedTest.python(base.stdout))) at base "
            + "but \(ProbeResult.short(PinnedTest.python(head.stdout))) at head (each the same in a second run)."
        let severity: Severity
        if let test {
            severity = .info
            message += " The change is intended: `\(test)`, changed in the range, fails against base's code."
        } else {
            severity = .warning
            message += " " + PinnedTest.unasserted
        }
        let path = PinnedTest.path(for: task, target: "model probe")
        let file = pin
        var finding = Finding(
            severity: severity, kind: .behaviourChange, file: task.path, line: lines.lowerBound, endLine: lines.upperBound,
            message: message,
            evidence: Evidence(
                command: "python3 -c <model code>\n" + code, revision: "base and head", exitCode: 0,
                output: "base:\n\(base.stdout)\nhead:\n\(head.stdout)"))
        finding.suggestion = PinnedTest.suggestion(path: path, content: file, summary: "a test that pins the output at base")
        return .done(finding)
    }

    private func status(_ outcome: ExecutionOutcome?) -> TestOutcome.Status? {
        PinnedTest.status(of: PinnedTest.codeTestName, in: outcome?.testRun)
    }
}
