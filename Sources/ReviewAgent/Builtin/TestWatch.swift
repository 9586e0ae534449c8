import ReviewFindings
import ReviewSandbox

/// Behaviour review of the changed functions whose calls the tests made could not be
/// copied (an instance holding a thread, a class defined inside a test): the tests that
/// called them run again, at head and at base, with the functions watched, and what each
/// call returned or raised is compared call by call. A difference that holds over a second
/// run of each revision becomes a test that runs the watched test again and asserts base's
/// results, verified like the probes' pins: it passes at base and fails at head.
struct TestWatch {
    /// The most tests watched per function, and per file.
    static let testsPerFunction = 3
    static let testsPerFile = 6

    private let task: ReviewTask
    private let module: String
    private let targets: [String]
    private let tests: [String]
    private var stage: Stage = .headFirst
    private var first: (base: WatchRun?, head: WatchRun?) = (nil, nil)
    private var second: (base: WatchRun?, head: WatchRun?) = (nil, nil)
    /// Per function: the first test whose calls differ in both runs, and the two results.
    private var differences: [String: (test: String, base: [String], head: [String])] = [:]
    private var pins: [PinnedTest.Watched] = []
    private var pinRuns: (base: TestRun?, head: TestRun?) = (nil, nil)

    private enum Stage { case headFirst, baseFirst, baseSecond, headSecond, pinsBase, pinsHead, finished }

    /// The watch of the functions of `set` that the tests called but whose calls could not
    /// be copied, or `nil` when there are none. Tests of files changed in the range are left
    /// out: at base they would be other tests.
    init?(task: ReviewTask, module: String, set: ProbeSet, passedAtHead: Set<String>) {
        var targets: [String] = []
        var tests: [String] = []
        for (name, count) in set.uncopyable.sorted(by: { $0.key < $1.key }) where count > 0 && (set.recorded[name] ?? 0) == 0 {
            let callers = (set.callers[name] ?? []).filter { test in
                !test.hasPrefix("doctest:") && !task.changedTests.contains(PythonToolbox.file(of: test))
                    && (passedAtHead.isEmpty || passedAtHead.contains(test))
            }
            guard !callers.isEmpty else { continue }
            targets.append(name)
            for test in callers.prefix(Self.testsPerFunction) where !tests.contains(test) && tests.count < Self.testsPerFile {
                tests.append(test)
            }
        }
        guard !targets.isEmpty, !tests.isEmpty else { return nil }
        self.task = task
        self.module = module
        self.targets = targets
        self.tests = tests
    }

    /// The next step, given the outcome of the last one.
    mutating func next(_ last: ExecutionOutcome?) -> BehaviourReview.Step {
        switch stage {
        case .headFirst:
            stage = .baseFirst
            return watch(.head, note: "watch \(names) in the tests that called them, at head")
        case .baseFirst:
            first.head = watched(last)
            stage = .baseSecond
            return watch(.base, note: "and at base")
        case .baseSecond:
            first.base = watched(last)
            guard !differing(first.base, first.head).isEmpty else { return done(note: quiet) }
            stage = .headSecond
            return watch(.base, note: "again at base: does it hold?")
        case .headSecond:
            second.base = watched(last)
            stage = .pinsBase
            return watch(.head, note: "again at head")
        case .pinsBase:
            second.head = watched(last)
            let once = differing(first.base, first.head)
            let twice = differing(second.base, second.head)
            for (target, found) in once.sorted(by: { $0.key < $1.key }) {
                guard let again = twice[target], again.test == found.test, again.base == found.base, again.head == found.head
                else { continue }
                differences[target] = found
            }
            guard !differences.isEmpty else { return done(note: quiet) }
            pins = differences.keys.sorted().compactMap { target in
                differences[target].map { found in
                    PinnedTest.Watched(
                        target: target, test: found.test, atBase: found.base,
                        name: "test_\(PinnedTest.identifier(target))_keeps_base_behaviour")
                }
            }
            stage = .pinsHead
            return .execute(pinRequest(.base), note: "does the test that watches it pass at base?")
        case .pinsHead:
            pinRuns.base = last?.testRun
            stage = .finished
            return .execute(pinRequest(.head), note: "does it fail at head?")
        case .finished:
            pinRuns.head = last?.testRun
            return conclude()
        }
    }

    private var names: String {
        targets.map { "`\($0)`" }.joined(separator: ", ")
    }

    /// What was watched, for the notes.
    private var watchedIn: String {
        "\(names) watched in \(tests.count) test(s) that called \(targets.count > 1 ? "them" : "it")"
    }

    private var quiet: String { watchedIn + ": no difference between base and head" }

    private func watch(_ side: Side, note: String) -> BehaviourReview.Step {
        .execute(.watchTests(tests, module: module, targets: targets, side: side), note: note)
    }

    private func watched(_ outcome: ExecutionOutcome?) -> WatchRun? {
        if case .watched(let run)? = outcome { run } else { nil }
    }

    /// Per function, the first test (in order) whose calls differ between the two runs.
    private func differing(_ base: WatchRun?, _ head: WatchRun?) -> [String: (test: String, base: [String], head: [String])] {
        guard let base, let head else { return [:] }
        var found: [String: (test: String, base: [String], head: [String])] = [:]
        for target in targets {
            for test in tests {
                guard let atBase = base.calls[target]?[test], let atHead = head.calls[target]?[test], atBase != atHead
                else { continue }
                found[target] = (test, atBase, atHead)
                break
            }
        }
        return found
    }

    private func pinRequest(_ side: Side) -> ExecutionRequest {
        // Each pin runs a watched test of the project again: pytest's start-up and the test.
        .runPinnedTests(
            PinnedTest.watchFile(module: module, pins: pins), side: side,
            seconds: BehaviourReview.watchSeconds * Double(pins.count))
    }

    private mutating func done(note: String) -> BehaviourReview.Step {
        stage = .finished
        return .done(findings: [], notes: [note])
    }

    private func conclude() -> BehaviourReview.Step {
        var findings: [Finding] = []
        var notes: [String] = []
        for pin in pins {
            guard let found = differences[pin.target] else { continue }
            let atHead = PinnedTest.status(of: pin.name, in: pinRuns.head)
            guard PinnedTest.status(of: pin.name, in: pinRuns.base) == .passed, atHead == .failed || atHead == .error else {
                notes.append(
                    "`\(pin.target)` differs at head in `\(found.test)`, but the test that watches it did not pass at base and fail at head, so it is not reported")
                continue
            }
            findings.append(
                finding(
                    pin.target, test: found.test, base: found.base, head: found.head,
                    file: PinnedTest.watchFile(module: module, pins: [pin])))
        }
        notes.insert(watchedIn + "; \(differences.count) differ(s) at head", at: 0)
        return .done(findings: findings, notes: notes)
    }

    private func finding(_ target: String, test: String, base: [String], head: [String], file: String) -> Finding {
        let index = Array(zip(base, head)).firstIndex { $0 != $1 } ?? min(base.count, head.count)
        let what: String
        if index < base.count && index < head.count {
            what = "its call \(index + 1) \(ProbeResult.short(base[index])) at base but \(ProbeResult.short(head[index])) at head"
        } else {
            what = "it is called \(base.count) time(s) at base but \(head.count) at head"
        }
        let message =
            "`\(target)` behaves differently at head: in `\(test)`, \(what) (its calls there could not be copied, so the test was watched). "
            + PinnedTest.unasserted
        let lines = task.changedLines(in: target)
        let path = PinnedTest.path(for: task, target: target)
        let shown = { (list: [String]) in list.prefix(5).map { "  " + ProbeResult.short($0) }.joined(separator: "\n") }
        let output = "test: \(test)\ncalls at base:\n\(shown(base))\ncalls at head:\n\(shown(head))\n"
        var finding = Finding(
            severity: .warning, kind: .behaviourChange, file: task.path, line: lines.lowerBound, endLine: lines.upperBound,
            message: message,
            evidence: Evidence(
                command: "python3 -m pytest \(path)", revision: "base and head", exitCode: pinRuns.head?.execution.exitCode,
                output: output))
        finding.suggestion = PinnedTest.suggestion(
            path: path, content: file, summary: "a test that runs `\(test)` again and pins what `\(target)` did at base")
        return finding
    }
}
