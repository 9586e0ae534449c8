import Foundation

import ReviewSandbox

/// What the built-in policy learns about the tests that fail at head, one run at a time:
/// which of them pass at base (regression candidates), which fail again on a rerun at head
/// (confirmed), and which hunk each confirmed one needs reverted to pass (its culprit).
/// Pure: it reads the runs it is given and decides nothing about what runs next.
struct TestInvestigation {
    /// What a failing test's status at base says about it.
    enum Verdict: Equatable {
        /// It passes at base: a regression, unless a rerun at head passes (flaky).
        case regression
        /// It fails at base too.
        case preExisting
        /// It is skipped at base, so base says nothing.
        case skippedAtBase
        /// It does not exist at base: a new test that fails.
        case new
    }

    /// The directories of test files (`.` for the root), sorted: what to collect at base
    /// when the files themselves are new.
    static func directories(of tests: [String]) -> [String] {
        Set(tests.map { ($0 as NSString).deletingLastPathComponent }).map { $0.isEmpty ? "." : $0 }.sorted()
    }

    /// The message of the outcome that stands for a test file that could not be collected.
    static let collectionFailed = "collection failed"

    /// The failing tests of the head run, collection errors included (one per file).
    private(set) var failing: [TestOutcome]
    private(set) var candidates: [TestOutcome] = []
    private(set) var confirmed: [TestOutcome] = []
    /// The hunk index whose revert makes each confirmed test pass.
    private(set) var culprits: [String: Int] = [:]

    /// Starts from the head run's failures.
    init(headRun run: TestRun) {
        failing = run.failures
        for (file, error) in run.collectionErrors.sorted(by: { $0.key < $1.key }) {
            failing.append(
                TestOutcome(nodeID: file, file: file, line: nil, status: .error, message: Self.collectionFailed, details: error))
        }
    }

    /// Sorts the failing tests by the base run (`nil` when base could not run them); keeps
    /// the regression candidates and returns every verdict in order.
    ///
    /// - Parameter existsAtBase: whether a file exists at base (a collection error at head
    ///   in a file that base collects is a regression).
    mutating func classify(against base: TestRun?, existsAtBase: (String) -> Bool) -> [(TestOutcome, Verdict)] {
        candidates = []
        var baseStatus: [String: TestOutcome.Status] = [:]
        for outcome in base?.outcomes ?? [] { baseStatus[outcome.nodeID] = outcome.status }
        let baseCollectionErrors = Set(base?.collectionErrors.keys.map { $0 } ?? [])
        let baseRan = base.map { !$0.runnerBroke } ?? false
        var verdicts: [(TestOutcome, Verdict)] = []
        for outcome in failing {
            let atBase: TestOutcome.Status?
            if outcome.message == Self.collectionFailed {
                atBase = baseCollectionErrors.contains(outcome.file)
                    ? .error : (baseRan && existsAtBase(outcome.file) ? .passed : nil)
            } else {
                atBase = baseStatus[outcome.nodeID]
            }
            let verdict: Verdict
            switch atBase {
            case .passed?: verdict = .regression
            case .failed?, .error?: verdict = .preExisting
            case .skipped?: verdict = .skippedAtBase
            case nil: verdict = .new
            }
            if verdict == .regression { candidates.append(outcome) }
            verdicts.append((outcome, verdict))
        }
        return verdicts
    }

    /// Splits the candidates by a rerun at head: those that pass now are flaky (returned);
    /// the others are confirmed. A rerun that broke confirms them all.
    mutating func splitFlaky(rerun: TestRun?) -> [TestOutcome] {
        guard let rerun, !rerun.runnerBroke else {
            confirmed = candidates
            return []
        }
        let stillFailing = Set(rerun.failures.map(\.nodeID)).union(rerun.collectionErrors.keys)
        confirmed = candidates.filter { stillFailing.contains($0.nodeID) }
        return candidates.filter { !stillFailing.contains($0.nodeID) }
    }

    /// The confirmed tests that no reverted hunk has explained yet.
    var unexplained: [TestOutcome] { confirmed.filter { culprits[$0.nodeID] == nil } }

    /// Records a run with hunk `index` reverted: each unexplained test that passes in it
    /// has that hunk as its culprit.
    mutating func recordRevert(of index: Int, run: TestRun?) {
        guard let run, !run.runnerBroke else { return }
        let failingNow = Set(run.failures.map(\.nodeID)).union(run.collectionErrors.keys)
        let passedNow = Set(run.outcomes.filter { $0.status == .passed }.map(\.nodeID))
        for outcome in unexplained where passedNow.contains(outcome.nodeID) && !failingNow.contains(outcome.nodeID) {
            culprits[outcome.nodeID] = index
        }
    }

    /// Blames hunk `index` for every unexplained test without a run: for when head with
    /// that hunk reverted is the base tree, where every candidate passed.
    mutating func blameWithoutRun(_ index: Int) {
        for outcome in unexplained { culprits[outcome.nodeID] = index }
    }

    /// The confirmed regressions: grouped by culprit hunk (in hunk order), then the tests
    /// no single hunk explains.
    var regressions: (byHunk: [(hunk: Int, tests: [TestOutcome])], unexplained: [TestOutcome]) {
        var byHunk: [Int: [TestOutcome]] = [:]
        for outcome in confirmed {
            if let hunk = culprits[outcome.nodeID] { byHunk[hunk, default: []].append(outcome) }
        }
        return (byHunk.keys.sorted().map { ($0, byHunk[$0]!) }, unexplained)
    }
}
