import ReviewFindings
import ReviewSandbox

/// The embedded default: a deterministic policy that reviews a task by running it.
///
/// Plan the checks; Execute: compile, import, run the related tests at head. On a failure,
/// Reflect and investigate: pre-existing at base or a regression? flaky on a rerun? which
/// hunk's revert makes it pass? Finish: findings, each with the execution that proves it.
/// This type holds the order of steps; ``TestInvestigation`` classifies, ``BuiltinFindings`` words.
public struct BuiltinPolicy: Policy {
    /// Reads a file of a revision (relative path); `nil` when it does not exist there.
    public typealias SourceReader = (Side, String) -> String?

    /// The most hunks tried one by one when looking for a culprit.
    public static let maxBisectHunks = 12

    /// Part of every cache key: raise it whenever a change to the policy can change what a
    /// review of the same code finds, so that older cached results are not reused.
    public static let version = 11

    /// Behaviour review's settings (`nil`: off).
    public struct Probing: Hashable, Sendable {
        /// Seconds the recording of calls may take per file.
        public var seconds: Double

        /// Creates the settings.
        public init(seconds: Double) { self.seconds = seconds }
    }

    private let task: ReviewTask
    private let read: SourceReader
    private var phase: Phase = .start
    private var last: ExecutionOutcome?
    private var findings: [Finding] = []
    private var notes: [String] = []
    private var make: BuiltinFindings
    private var investigation: TestInvestigation?
    /// Whether the failing tests were run at base in the head run's whole session (after
    /// failing differently there when run alone).
    private var baseInSession = false
    private var revertedHunks: [Int: SourceEdit.Replacement] = [:]
    /// Why no related test ran at head, while that is so (cleared by a run with a result).
    private var untested: String? = "review stopped before running its tests"
    private let probing: Probing?
    /// Behaviour review, once started (after the tests, when nothing is an error).
    private var review: BehaviourReview?
    private var probed = false
    /// What behaviour review said (its summary, or why the file was not probed).
    private var behaviourNotes: [String] = []

    /// The step that comes next; a case named `after...` reads the last outcome.
    enum Phase {
        case start, check(FileCheck), afterCheck(FileCheck)
        case checkBase(FileCheck, ExecutionOutcome), afterCheckBase(FileCheck, ExecutionOutcome)
        case testsHead, afterTestsHead, brokenBase(TestRun), afterBrokenBase(TestRun), collectBase(TestRun)
        case testsBase, afterTestsBase, testsBaseInSession, rerunHead, afterRerunHead, bisect(next: Int), conclude, done
        /// The flaky-looking tests in which the head session copied calls, rerun with the
        /// recorder: failing only then, the recorder made them fail.
        case afterRerunRecorded([TestOutcome])
        case behaviour
    }

    /// `environment`: a package the interpreter lacks is the environment's, not the change's.
    /// `probing`: behaviour review's settings, `nil` for none.
    public init(
        task: ReviewTask, read: @escaping SourceReader, environment: ProjectEnvironment? = nil, probing: Probing? = nil
    ) {
        self.task = task
        self.read = read
        self.probing = probing
        make = BuiltinFindings(task: task, environment: environment)
    }

    public var isStrict: Bool { false }
    public var behaviour: String? { behaviourNotes.isEmpty ? nil : behaviourNotes.joined(separator: "; ") }
    public var provenFindings: [Finding] { make.attributingEnvironment(findings) }

    public mutating func observe(_ outcome: ExecutionOutcome) { last = outcome }

    /// Whether a head run broke before running any test (not a timeout or a kill): whether
    /// the session starts at base is then all there is to compare.
    private static func didNotStart(_ run: TestRun) -> Bool {
        run.outcomes.isEmpty && !run.execution.timedOut && run.execution.signal == nil
    }

    /// After the flaky ones are told apart: the culprit search of the confirmed regressions.
    private mutating func afterFlaky() -> AgentAction {
        let confirmed = investigation?.confirmed.count ?? 0
        guard confirmed > 0, let basePath = task.basePath, !task.hunks.isEmpty, read(.base, basePath) != nil else {
            return concludeRegressions()
        }
        if task.onlyChange, task.hunks.count == 1, revert(0) != nil {
            // Head with its one hunk reverted is the base tree, where they passed: that run
            // already answered what the revert would.
            investigation?.blameWithoutRun(0)
            return concludeRegressions(
                after: "\(confirmed) regression(s) confirmed. `\(task.path)` is the range's only change and has one hunk: with it reverted, head is the base tree, where \(confirmed == 1 ? "it passes" : "they pass").")
        }
        phase = .bisect(next: 0)
        return .reflect(
            "\(confirmed) regression(s) confirmed. Reverting the \(min(task.hunks.count, Self.maxBisectHunks)) hunk(s) of `\(task.path)` one at a time to find the culprit.")
    }

    public mutating func next(_ state: LoopState) throws -> AgentAction {
        switch phase {
        case .start:
            phase = .check(.compile)
            return .plan(Wording.plan(task))
        case .check(let check):
            phase = .afterCheck(check)
            return .execute(check.request(task, .head), note: check.note(.head))
        case .afterCheck(let check):
            guard let outcome = last else { return conclude() }
            if outcome.succeeded {
                if task.sameCode {
                    // Comments, blank lines or formatting only: the same code, nothing to run.
                    untested = nil
                    probed = true
                    notes.append("only comments or formatting changed: the syntax tree is the same at base and head")
                    findings.append(make.sameCode())
                    phase = .conclude
                    return try next(state)
                }
                phase = check == .compile && task.module != nil && !task.isTestFile ? .check(.importModule) : .testsHead
                return try next(state)
            }
            untested = "`\(check == .compile ? "compile" : "import")` failed at head, so its tests were not run"
            guard check.existsAtBase(task) else { return conclude(with: check.failure(outcome, preExisting: false, make)) }
            phase = .checkBase(check, outcome)
            return .reflect(check.reflection(task, Wording.firstLine(outcome)))
        case .checkBase(let check, let head):
            phase = .afterCheckBase(check, head)
            return .execute(check.request(task, .base), note: check.note(.base))
        case .afterCheckBase(let check, let head):
            let failedAtBase = last.map { !$0.succeeded && $0.execution != nil } ?? false
            return conclude(with: check.failure(head, preExisting: failedAtBase, make))
        case .testsHead:
            guard !task.tests.isEmpty else {
                notes.append("no related tests were found, so only compilation and import were checked")
                untested = task.module == nil && !task.isTestFile ? "no test imports it" : "no related tests were found (\(task.testSelection))"
                return conclude()
            }
            phase = .afterTestsHead
            return .execute(.runTests(task.testTargets, side: .head, overrides: []), note: "the related tests")
        case .afterTestsHead:
            return afterTestsHead()
        case .brokenBase(let head):
            phase = .afterBrokenBase(head)
            if Self.didNotStart(head) {
                // The session did not start at head: whether it starts at base is the question,
                // and collecting the tests there answers it without running them all.
                return .execute(
                    .collectTests(TestInvestigation.directories(of: task.tests), side: .base),
                    note: "do the tests collect at base?")
            }
            return .execute(.runTests(task.testTargets, side: .base, overrides: []), note: "does the run break at base too?")
        case .afterBrokenBase(let head):
            if Self.didNotStart(head), case .process(let collected, _)? = last {
                // A collection that ends (1: some files do not collect) started at base.
                let atBase: BuiltinFindings.AtBase
                switch collected.exitCode {
                case 0?, 1?, 5?: atBase = .collects
                case _ where collected.timedOut || collected.signal != nil:
                    atBase = .notRun("collecting them at base \(collected.statusDescription)")
                default: atBase = .broke
                }
                return conclude(with: make.brokenRun(head, atBase: atBase))
            }
            let atBase = BuiltinFindings.AtBase(last)
            guard atBase.needsCollection, case .unavailable? = last else { return conclude(with: make.brokenRun(head, atBase: atBase)) }
            phase = .collectBase(head)
            return .execute(.collectTests(TestInvestigation.directories(of: task.tests), side: .base), note: "does their directory collect at base?")
        case .collectBase(let head):
            return conclude(with: make.brokenRun(head, atBase: BuiltinFindings.AtBase(last)))
        case .testsBase:
            phase = .afterTestsBase
            let ids = investigation?.failing.map(\.nodeID) ?? []
            return .execute(.runTests(ids, side: .base, overrides: []), note: "regression or pre-existing?")
        case .afterTestsBase:
            return afterTestsBase()
        case .testsBaseInSession:
            phase = .afterTestsBase
            return .execute(.runTests(task.testTargets, side: .base, overrides: []), note: "the same session at base")
        case .rerunHead:
            phase = .afterRerunHead
            let ids = investigation?.candidates.map(\.nodeID) ?? []
            return .execute(.runTests(ids, side: .head, overrides: []), note: "flaky?")
        case .afterRerunHead:
            let rerun = lastRun
            let flaky = investigation?.splitFlaky(rerun: rerun) ?? []
            // A test in which the recorder copied a call ran with review's code in it: the
            // ones that passed when rerun without it run once more with it.
            let recordedIn = make.headRun?.recordedIn ?? []
            let suspects = flaky.filter { recordedIn.contains($0.nodeID) }
            findings += flaky.filter { !recordedIn.contains($0.nodeID) }.map(make.flaky)
            if !suspects.isEmpty, let targets = task.callTargets, let probing {
                phase = .afterRerunRecorded(suspects)
                return .execute(
                    .runTestsRecordingCalls(suspects.map(\.nodeID), targets, seconds: probing.seconds),
                    note: "do they fail only while their calls are recorded?")
            }
            findings += suspects.map(make.flaky)
            return afterFlaky()
        case .afterRerunRecorded(let suspects):
            let run = lastRun
            let failing = Set(run?.failures.map(\.nodeID) ?? [])
            for outcome in suspects {
                if let run, !run.runnerBroke, failing.contains(outcome.nodeID) {
                    notes.append(
                        "`\(outcome.nodeID)` fails at head only while review copies the calls it makes (it passes without the recorder): not reported")
                } else {
                    findings.append(make.flaky(outcome))
                }
            }
            return afterFlaky()
        case .bisect(let index):
            if index > 0, let run = lastRun { investigation?.recordRevert(of: index - 1, run: run) }
            return bisect(index)
        case .behaviour:
            return stepBehaviour()
        case .conclude where !probed:
            probed = true
            guard let probing, !findings.contains(where: { $0.severity == .error && $0.file == task.path }) else {
                return try next(state)
            }
            let passed = Set((make.headRun?.outcomes ?? []).filter { $0.status == .passed }.map(\.nodeID))
            switch BehaviourReview.make(
                task, head: read(.head, task.path), base: task.basePath.flatMap { read(.base, $0) }, passedAtHead: passed,
                seconds: probing.seconds, readHead: { [read] in read(.head, $0) })
            {
            case .success(let made):
                review = made
                last = nil
                phase = .behaviour
                return stepBehaviour()
            case .failure(let reason):
                if let reason = reason.reason { behaviourNotes.append("not probed: \(reason)") }
                return try next(state)
            }
        case .conclude, .done:
            phase = .done
            findings = make.attributingEnvironment(findings)
            if let untested, !findings.contains(where: { $0.severity == .error && $0.file == task.path }) {
                findings.append(make.notTested(untested))
            }
            return .finish(summary: conclusionText, findings: findings)
        }
    }

    // MARK: - Tests

    private mutating func afterTestsHead() -> AgentAction {
        guard let run = lastRun else {
            let reason = "the related tests could not be run: \(last.map { AgentLoop.describe($0) } ?? "no result")"
            notes.append(reason)
            untested = reason
            return conclude()
        }
        make.headRun = run
        if let stopped = Wording.sessionStopped(run.stopReport) { notes.append(stopped) }
        let ran = run.outcomes.filter { $0.status != .skipped }
        if !ran.isEmpty {
            untested = nil
        } else if run.runnerBroke {
            untested = "the test session did not run a test (\(run.execution.statusDescription))"
        } else if !run.collectionErrors.isEmpty {
            untested = "the related test files do not collect"
        } else if let skipped = run.outcomes.first {
            untested = "all \(run.outcomes.count) related test(s) were skipped (\(Wording.short(skipped.message)))"
        } else {
            untested = "the related test files contain no test that pytest collects"
        }
        if run.runnerBroke {
            phase = .brokenBase(run)
            return .reflect(
                "The test run itself broke at head (\(run.execution.statusDescription)). Checking whether it breaks at base too.")
        }
        let investigation = TestInvestigation(headRun: run)
        self.investigation = investigation
        guard !investigation.failing.isEmpty else {
            if run.nothingCollected { notes.append("the related test files contain no tests") }
            return conclude()
        }
        phase = .testsBase
        return .reflect(Wording.failingAtHead(investigation.failing))
    }

    private mutating func afterTestsBase() -> AgentAction {
        let (base, read) = (lastRun, self.read)
        let verdicts = investigation?.classify(against: base) { read(.base, $0) != nil } ?? []
        // A test that fails at base alone for another cause than at head may need the rest
        // of its session (a fixture or namespace another test file sets up): compare it in
        // the head run's whole session before calling it pre-existing.
        if !baseInSession, let base, task.testTargets != investigation?.failing.map(\.nodeID) {
            let atBase = Dictionary(base.outcomes.map { ($0.nodeID, $0) }, uniquingKeysWith: { first, _ in first })
            // The message and the error its details end with (a doctest's message is its
            // listing; the cause, `DocTestFailure` or a `NameError`, is in the details).
            func cause(_ outcome: TestOutcome) -> String {
                FailureCause.key(outcome) + "\n" + Wording.lastErrorLine(outcome.details)
            }
            let different = verdicts.filter { outcome, verdict in
                verdict == .preExisting && atBase[outcome.nodeID].map { cause($0) != cause(outcome) } == true
            }
            if !different.isEmpty {
                baseInSession = true
                phase = .testsBaseInSession
                return .reflect(
                    "\(different.count) test(s) fail at base when run alone, for another cause than at head. Running them at base in the same session as at head.")
            }
        }
        var causes: [(key: String, tests: [TestOutcome])] = []
        for (outcome, verdict) in verdicts {
            switch verdict {
            case .regression: break
            case .preExisting:
                let key = FailureCause.key(outcome)
                if let index = causes.firstIndex(where: { $0.key == key }) {
                    causes[index].tests.append(outcome)
                } else {
                    causes.append((key, [outcome]))
                }
            case .skippedAtBase: notes.append("`\(outcome.nodeID)` is skipped at base")
            case .new: findings.append(make.failingNewTest(outcome))
            }
        }
        findings += causes.map { make.preExisting($0.tests) }
        let candidates = investigation?.candidates.count ?? 0
        guard candidates > 0 else { return conclude() }
        phase = .rerunHead
        return .reflect("\(candidates) test(s) pass at base and fail at head. Rerunning them at head to rule out flakiness.")
    }

    /// Reverts hunk `index` and reruns the unexplained regressions, or concludes.
    private mutating func bisect(_ index: Int) -> AgentAction {
        let unexplained = investigation?.unexplained ?? []
        guard index < min(task.hunks.count, Self.maxBisectHunks), !unexplained.isEmpty, let replacement = revert(index)
        else { return concludeRegressions() }
        let hunk = task.hunks[index]
        phase = .bisect(next: index + 1)
        return .execute(
            .runTests(
                unexplained.map(\.nodeID), side: .head, overrides: [FileOverride(path: task.path, content: replacement.text)]),
            note: "with hunk \(index + 1) (lines \(hunk.headLines.lowerBound)-\(hunk.headLines.upperBound)) reverted")
    }

    /// Head's text of the task's file with hunk `index` reverted, kept for the culprit's
    /// suggestion; `nil` when a side's text is missing.
    private mutating func revert(_ index: Int) -> SourceEdit.Replacement? {
        guard let head = read(.head, task.path), let base = read(.base, task.basePath ?? task.path) else { return nil }
        let replacement = SourceEdit.revert(head: SourceEdit.lines(head), base: SourceEdit.lines(base), hunk: task.hunks[index])
        revertedHunks[index] = replacement
        return replacement
    }

    /// One finding per culprit hunk (all the tests it breaks), one per unexplained test;
    /// the concluding reflection starts with `lead`.
    private mutating func concludeRegressions(after lead: String? = nil) -> AgentAction {
        guard let regressions = investigation?.regressions else { return conclude(after: lead) }
        for (hunk, tests) in regressions.byHunk {
            findings.append(make.regression(tests, hunk: task.hunks[hunk], reverted: revertedHunks[hunk]))
        }
        findings += regressions.unexplained.map(make.regression)
        return conclude(after: lead)
    }

    /// The next step of behaviour review, or the conclusion when it is done.
    private mutating func stepBehaviour() -> AgentAction {
        guard var current = review else { return conclude() }
        let step = current.next(last)
        review = current
        switch step {
        case .execute(let request, let note):
            return .execute(request, note: note)
        case .done(let found, let said):
            findings += found
            behaviourNotes += said
            return conclude()
        }
    }

    private var lastRun: TestRun? { last?.testRun }

    private mutating func conclude(with finding: Finding? = nil, after lead: String? = nil) -> AgentAction {
        if let finding { findings.append(finding) }
        phase = .conclude
        return .reflect(lead.map { "\($0) \(conclusionText)" } ?? conclusionText)
    }

    private var conclusionText: String { Wording.conclusion(task, findings: findings, notes: notes + behaviourNotes) }
}
