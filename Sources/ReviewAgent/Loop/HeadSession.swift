import Foundation
import ReviewJSON
import ReviewSandbox

/// The test session at head that every task shares, run so that it can stop at the first
/// regression: pytest ends the session after its first failing test, that test runs again
/// at base and again at head (beside each other when a core is free), and when it passed
/// at base and fails again at head the change broke it, and the tests not run yet would
/// only add to a proven error. Otherwise (it failed at base too, it passed on the rerun, it
/// is new) the session goes on from where it stopped, with that failure known, so a
/// pre-existing or flaky failure costs one more pytest start, not the rest of the tests.
///
/// The reruns that proved the regression are the built-in policy's own next two steps for
/// a task whose share of the session failed exactly so; ``served`` hands them over.
public struct HeadSession: Sendable {
    /// The most times a session is continued after a failure that was not a regression;
    /// the last part runs to its end.
    public static let maxParts = 4

    /// The run, all parts merged (``TestRun/stopReport`` set when it stopped at a regression).
    public var run: TestRun
    /// What the call recorder holds after the session, by module (parts merged).
    public var calls: [String: JSONValue]
    /// The reruns that decided the stop, keyed by the request the built-in policy makes for
    /// them: the failing tests at base, and the regression candidates again at head.
    public var served: [(request: ExecutionRequest, run: TestRun)]
    /// The failures that stopped it and failed at base too (node id, error line): what
    /// later reviews may know in advance (``Stopping/known``).
    public var preExisting: [(test: String, error: String)] = []
    /// How many pytest sessions it took (one more after each stop that was not a regression).
    public var parts = 1
    /// The import roots it ran with (the served reruns are a task's own only with the same).
    public var extraPaths: [String] = []

    /// How the session may stop: `base` gives the base snapshot's root (`nil`: no base, so
    /// nothing can be proven a regression); `spare` says whether a core is free for the two
    /// reruns to run side by side.
    /// `known`: failures that need not stop it (found failing at base by earlier reviews).
    public struct Stopping: Sendable {
        public var base: @Sendable () -> String?
        public var spare: @Sendable () -> Bool
        public var known: SessionStop

        /// Creates the settings.
        public init(
            base: @escaping @Sendable () -> String?, spare: @escaping @Sendable () -> Bool, known: SessionStop = SessionStop()
        ) {
            self.base = base
            self.spare = spare
            self.known = known
        }
    }

    /// Runs the tests of every task (`owners`: each task's test targets) at `head`
    /// (recording the calls of `recording`'s targets for its seconds), stopping at a
    /// regression when `stopping` is given; `nil` when it could not run.
    ///
    /// A proven regression ends the tests of the tasks whose targets hold the failing test;
    /// the session goes on with the other tasks' tests, so each task gets either all its
    /// tests or a proven regression.
    public static func run(
        owners: [[String]], toolbox: PythonToolbox, head: String, extraPaths: [String],
        recording: (targets: [CallTargets], seconds: Double)?, stopping: Stopping?
    ) -> HeadSession? {
        var parts: [TestRun] = []
        var states: [String: [JSONValue]] = [:]
        var stop = stopping?.known ?? SessionStop()
        var preExisting: [(test: String, error: String)] = []
        var served: [(request: ExecutionRequest, run: TestRun)] = []
        var remaining = owners
        var cut: [String] = []
        var stopped: SessionStopReport?
        for part in 1...maxParts {
            let tests = Self.tests(of: remaining)
            guard !tests.isEmpty else { break }
            let request = stopping != nil && part < maxParts ? stop : nil
            // With nothing to record this is a plain run.
            guard
                let (run, calls) = try? toolbox.runTests(
                    tests, root: head, extraPaths: extraPaths, recording: recording?.targets ?? [],
                    seconds: recording?.seconds ?? 0, stop: request)
            else { break }
            for (module, state) in calls { states[module, default: []].append(state) }
            parts.append(run)
            guard let report = run.stopReport, report.stopped, let stopping else { break }
            stop.known.formUnion(report.failed)
            stop.done.formUnion(report.ran)
            let check = Self.check(run, toolbox: toolbox, head: head, extraPaths: extraPaths, stopping: stopping)
            preExisting += check.preExisting.map { ($0, report.errors[$0] ?? "") }
            guard check.proven else {
                // Failures alike (the network tests of a suite) do not stop it again.
                stop.knownErrors.formUnion(report.failed.compactMap { report.errors[$0] }.filter { !$0.isEmpty })
                continue
            }
            if served.isEmpty { served = check.served }
            // The tasks that own a failing test are done; the others go on.
            let failing = Set(report.failed)
            let proven = remaining.filter { targets in failing.contains { Self.covers(targets, $0) } }
            remaining.removeAll { targets in failing.contains { Self.covers(targets, $0) } }
            cut += report.notRun.filter { test in proven.contains { Self.covers($0, test) } }
            stopped = report
        }
        guard let last = parts.last else { return nil }
        let tests = Self.tests(of: owners)
        var run = parts.count == 1 ? last : TestRun(merging: parts, command: PythonToolbox.testCommand(tests))
        // A part that timed out or was killed makes the whole session so.
        if parts.count > 1, let broken = parts.first(where: { $0.execution.timedOut || $0.execution.signal != nil }) {
            run.execution.exitCode = broken.execution.exitCode
            run.execution.signal = broken.execution.signal
            run.execution.timedOut = broken.execution.timedOut
        }
        run.command = PythonToolbox.testCommand(tests)
        run.recordedIn = parts.reduce(into: Set<String>()) { $0.formUnion($1.recordedIn) }
        let ran = Set(parts.compactMap(\.stopReport).flatMap(\.ran))
        if let stopped {
            run.stopReport = SessionStopReport(
                stopped: true, failed: stopped.failed, ran: Array(ran), notRun: cut.filter { !ran.contains($0) })
        } else if let report = last.stopReport, report.stopped {
            // The last part stopped and could not go on: what did not run is said.
            run.stopReport = report
        }
        var session = HeadSession(run: run, calls: states.mapValues { PythonToolbox.merged($0) }, served: served)
        session.preExisting = preExisting
        session.parts = parts.count
        session.extraPaths = extraPaths
        return session
    }

    /// Every target of `owners` once, in order; a node id is dropped when its whole file runs anyway.
    public static func tests(of owners: [[String]]) -> [String] {
        var tests: [String] = []
        for targets in owners { for test in targets where !tests.contains(test) { tests.append(test) } }
        let wholeFiles = Set(tests.filter { !$0.contains("::") })
        return tests.filter { !$0.contains("::") || !wholeFiles.contains(PythonToolbox.file(of: $0)) }
    }

    /// Whether test targets (files or node ids) hold a test (a pytest node id).
    public static func covers(_ targets: [String], _ test: String) -> Bool {
        targets.contains { target in
            target.contains("::")
                ? test == target || test.hasPrefix(target + "[") || test.hasPrefix(target + "::")
                : PythonToolbox.file(of: test) == target
        }
    }

    /// Whether the failures of a stopped part hold a regression: they run at base, and the
    /// ones that pass there run again at head. Returns the two reruns as the built-in policy
    /// asks for them.
    private static func check(
        _ run: TestRun, toolbox: PythonToolbox, head: String, extraPaths: [String], stopping: Stopping
    ) -> (proven: Bool, served: [(request: ExecutionRequest, run: TestRun)], preExisting: [String]) {
        var investigation = TestInvestigation(headRun: run)
        let failing = investigation.failing.map(\.nodeID)
        guard !failing.isEmpty, let baseRoot = stopping.base() else { return (false, [], []) }
        let exists = { (file: String) in FileManager.default.fileExists(atPath: baseRoot + "/" + file) }
        let present = failing.filter { exists(PythonToolbox.file(of: $0)) }
        guard !present.isEmpty else { return (false, [], []) }
        // The rerun at head does not depend on base's answer: beside it when a core is free.
        let ahead = stopping.spare() ? Background { try? toolbox.runTests(failing, root: head, extraPaths: extraPaths) } : nil
        guard let atBase = try? toolbox.runTests(present, root: baseRoot, extraPaths: extraPaths) else {
            _ = ahead?.wait()
            return (false, [], [])
        }
        let preExisting = investigation.classify(against: atBase, existsAtBase: exists)
            .filter { $0.1 == .preExisting }.map(\.0.nodeID)
        let candidates = investigation.candidates.map(\.nodeID)
        guard !candidates.isEmpty else {
            _ = ahead?.wait()
            return (false, [], preExisting)
        }
        let rerun: TestRun?
        var served: [(request: ExecutionRequest, run: TestRun)] = [(.runTests(failing, side: .base, overrides: []), atBase)]
        if candidates == failing, let ahead {
            rerun = ahead.wait()
        } else {
            _ = ahead?.wait()
            rerun = try? toolbox.runTests(candidates, root: head, extraPaths: extraPaths)
        }
        guard let rerun, !rerun.runnerBroke else { return (false, [], preExisting) }
        _ = investigation.splitFlaky(rerun: rerun)
        served.append((.runTests(candidates, side: .head, overrides: []), rerun))
        return (!investigation.confirmed.isEmpty, served, preExisting)
    }

    /// The failing tests of a run as the built-in policy lists them (its base rerun's tests).
    public static func failing(_ run: TestRun) -> [String] {
        TestInvestigation(headRun: run).failing.map(\.nodeID)
    }
}
