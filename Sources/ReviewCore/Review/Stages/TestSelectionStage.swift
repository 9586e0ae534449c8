import Foundation
import ReviewAgent
import ReviewGit
import ReviewSandbox

/// The test-selection stage: the planner chose each task's tests by the import graph; the
/// project's impact map, when there is one, narrows them to the tests that ran the changed
/// functions.
///
/// The map follows the base as it moves. When it was recorded at another tree, its entries
/// that no longer hold (``MapDrift``) are left to the import graph for this review and
/// recorded again at this base beside it: stale and new tests only, on the other core. When
/// there is no map at all, the whole suite is recorded at base beside the review, which
/// selects by the import graph meanwhile: a first review takes about as long as the slower
/// of the two.
///
/// With `map-follows = "head"` (a branch reviewed commit by commit, where this head is the
/// next base) the map is brought to head instead: the entries stale at head (those the
/// range's own change made stale, when the map was current at base) are recorded at head
/// beside the review. On a branch whose every commit is reviewed, the map is then current
/// at each review's base, and each review selects with an exact map. The test session
/// that is judged stays unprofiled (a profiler slows tests down: timing-bound tests would
/// fail there and look flaky); recording it there as well was tried and measured no
/// faster on two cores (URLExtract's replay: median 1.41 against 1.28).
struct TestSelectionStage {
    /// The recording started by ``select(_:range:store:...)``, if any.
    let recording: Background<ImpactOutcome>?
    /// Notes about the map found (another format, damaged).
    let notes: [String]
    private let key: CacheKey?
    private let maps: ImpactMapStore?
    private let previous: ImpactMap?
    private let drift: MapDrift?
    /// Whether the map goes to head (``MapFollows/head``).
    let followsHead: Bool

    /// Selects the tasks' tests; may start recording or refreshing the map.
    static func select(
        _ tasks: inout [ReviewTask], range: ResolvedRange, repository: Repository, store: ResultCache?,
        configuration: Configuration, toolbox: PythonToolbox, base: DeferredSnapshot, head: String, importPaths: [String]
    ) -> TestSelectionStage {
        let none = TestSelectionStage(
            recording: nil, notes: [], key: nil, maps: nil, previous: nil, drift: nil, followsHead: false)
        guard configuration.impactMap != .off else { return none }
        guard store != nil else {
            // Without a cache (cache-size-mb = 0) a recorded map could not be kept.
            for index in tasks.indices { tasks[index].testSelection = TestSelection.noCacheForImpactMap }
            return none
        }
        guard let baseCommit = range.base, let baseTree = range.baseTree else { return none }
        let maps = ImpactMapStore(gitDirectory: repository.commonDirectory)
        let key = CacheKeys.impactMap(configuration: configuration, interpreter: toolbox.interpreter, importPaths: importPaths)
        var notes: [String] = []
        var found: ImpactMap?
        switch maps.load(key) {
        case .map(let map): found = map
        case .otherFormat(let note), .damaged(let note): notes.append(note)
        case .none: break
        }
        let wallSeconds = Double(max(600, configuration.timeout * 5))
        // The map goes to head only when head is a commit, and only where it may be recorded.
        let toHead: (commit: ObjectID, tree: ObjectID)? = {
            guard configuration.mapFollows == .head, configuration.impactMap == .auto, let commit = range.head.commitID,
                let tree = range.headTree
            else { return nil }
            return (commit, tree)
        }()
        // The base's tree listing, only when the map is not at the base already.
        var listed: TreeFiles??
        func baseFiles() -> TreeFiles? {
            if let listed { return listed }
            let made = try? TreeFiles(repository: repository, commit: baseCommit)
            listed = .some(made)
            return made
        }
        if let map = found {
            let drift = map.tree == baseTree.hex
                ? MapDrift.none(map)
                : baseFiles().flatMap { files in
                    MapDrift.compute(
                        map: map, base: files, tree: baseTree.hex, commit: baseCommit.hex, configuration: configuration,
                        needed: Set(tasks.compactMap(\.basePath))
                    ) { paths in ImpactOutcome.fingerprints(paths, toolbox: toolbox, root: try? base.root()) }
                }
            if let drift {
                var selections = tasks.map { map.select(for: $0, drift: drift) }
                // Some tasks need their file's fingerprints at head (one interpreter for all):
                // changed test files the map holds, and changes outside functions (do they bind
                // anything new?).
                let needHead = tasks.indices.filter { index in
                    if case .outsideFunctions = selections[index] { return true }
                    return ChangedTestFile.applies(to: tasks[index], drift: drift)
                }
                let atHead = needHead.isEmpty
                    ? nil : ImpactOutcome.fingerprints(needHead.map { tasks[$0].path }, toolbox: toolbox, root: head)
                var changedTests: [String: ChangedTestFile] = [:]
                for index in needHead where tasks[index].isTestFile {
                    let path = tasks[index].path
                    let base = drift.changedFiles.contains(path) ? drift.fingerprints[path] : map.files[path]
                    if let base, let now = atHead?[path] {
                        changedTests[path] = ChangedTestFile.select(path: path, base: base, head: now, map: map, drift: drift)
                    }
                }
                for index in needHead {
                    selections[index] = map.select(
                        for: tasks[index], drift: drift, changedTestFiles: changedTests, headFile: atHead?[tasks[index].path])
                }
                for index in tasks.indices {
                    map.apply(
                        selections[index], to: &tasks[index], drift: drift, baseCommit: baseCommit.hex,
                        changedTestFiles: changedTests)
                }
                var recording: Background<ImpactOutcome>?
                if let toHead {
                    recording = ImpactOutcome.follow(
                        map: map, to: toHead,
                        listing: map.tree == toHead.tree.hex ? nil : try? repository.listing(of: toHead.commit),
                        toolbox: toolbox, root: head, configuration: configuration, importPaths: importPaths,
                        wallSeconds: wallSeconds)
                } else if !drift.isCurrent && configuration.impactMap == .auto {
                    recording = ImpactOutcome.refresh(
                        drift: drift, toolbox: toolbox, base: base, configuration: configuration,
                        importPaths: importPaths, wallSeconds: wallSeconds)
                }
                return TestSelectionStage(
                    recording: recording, notes: notes, key: key, maps: maps, previous: map, drift: drift,
                    followsHead: toHead != nil)
            }
            notes.append("impact map: the pytest configuration at base collects differently from where the map was recorded; recording anew")
        }
        guard configuration.impactMap == .auto, tasks.contains(where: { !$0.isTestFile && $0.basePath != nil }) else {
            return TestSelectionStage(
                recording: nil, notes: notes, key: nil, maps: nil, previous: nil, drift: nil, followsHead: false)
        }
        // The first map: the whole suite, at head when the map follows it.
        let at = toHead ?? (baseCommit, baseTree)
        guard let files = toHead == nil ? baseFiles() : try? TreeFiles(repository: repository, commit: at.commit) else {
            return TestSelectionStage(
                recording: nil, notes: notes, key: nil, maps: nil, previous: nil, drift: nil, followsHead: false)
        }
        let atHead = toHead != nil
        let recording = ImpactOutcome.record(
            toolbox: toolbox, root: { atHead ? head : try? base.root() }, configuration: configuration,
            importPaths: importPaths, tree: at.tree.hex, commit: at.commit.hex, blobs: MapDrift.blobs(of: files.listing),
            settings: PytestSettings(files: files).fingerprint, wallSeconds: wallSeconds, side: atHead ? "head" : "base")
        for index in tasks.indices where tasks[index].testSelection == TestSelection.importGraph {
            tasks[index].testSelection = TestSelection.recordingImpactMap(at: atHead ? "head" : "base")
        }
        return TestSelectionStage(
            recording: recording, notes: notes, key: key, maps: maps, previous: nil, drift: nil, followsHead: false)
    }


    /// Waits for a recording or refresh and keeps the map; notes for the report.
    func finish() -> [String] {
        guard let recording, let maps, let key else { return [] }
        let text: String
        let kept: ImpactMap
        switch recording.wait() {
        case .recorded(let map, let side, let seconds):
            kept = map
            text = "impact map: recorded which of \(map.tests.count) test(s) run which functions, at \(side) in \(String(format: "%.1f", seconds)) s; later reviews select tests with it, also after the base moves"
        case .followed(let toHead, let beside, let seconds):
            guard let previous else { return [] }
            guard let toHead else {
                kept = previous
                text = "impact map: not brought to head (its files could not be read there); it stays at \(previous.commit.prefix(7))"
                break
            }
            guard !toHead.isCurrent else { return [] }
            let moved = "impact map: brought from \(previous.commit.prefix(7)) to head \(toHead.commit.prefix(7)) (\(toHead.changedFiles.count) file(s) changed)"
            switch beside {
            case .success(let again):
                kept = previous.merged(with: toHead, refresh: again.recording, refreshedFiles: again.files)
                text = moved + " by recording \(again.recording?.tests.count ?? 0) stale or new test(s) in \(String(format: "%.1f", seconds)) s"
            case .failure(let reason):
                kept = previous.merged(with: toHead, refresh: nil, refreshedFiles: [])
                text = moved + "; its stale entries could not be recorded again at head (\(reason.text)); they are left to the import graph"
            }
        case .refreshed(let refresh, let files, let seconds):
            guard let previous, let drift else { return [] }
            kept = previous.merged(with: drift, refresh: refresh, refreshedFiles: files)
            let count = refresh?.tests.count ?? 0
            text = "impact map: brought from \(previous.commit.prefix(7)) to base \(drift.commit.prefix(7)) (\(drift.changedFiles.count) file(s) changed) by recording \(count) stale or new test(s) in \(String(format: "%.1f", seconds)) s"
        case .failed(let reason):
            guard let previous, let drift else {
                return ["impact map not recorded (\(reason)); tests are selected by the import graph"]
            }
            kept = previous.merged(with: drift, refresh: nil, refreshedFiles: [])
            text = "impact map: stale entries could not be recorded again at base (\(reason)); they are left to the import graph"
        }
        if let warning = maps.store(kept, key: key) { return [text, warning] }
        return [text]
    }

    /// Waits for a recording without keeping it (the review failed).
    func abandon() {
        _ = recording?.wait()
    }
}

/// What recording at base (or at head) gave.
enum ImpactOutcome: Sendable {
    /// A whole map, recorded at `side` ("base" or "head").
    case recorded(ImpactMap, side: String, seconds: Double)
    /// A recording of some tests (`nil`: there was nothing to record), `files` whole.
    case refreshed(ImpactMap.Recording?, files: Set<String>, seconds: Double)
    /// The drift of the map to head (`nil`: head's files could not be read) and a recording
    /// at head of its stale entries and the test files it lacks, `files` whole, or why
    /// there is none.
    case followed(MapDrift?, beside: Result<RecordedAgain, Reason>, seconds: Double)
    case failed(String)

    /// Records the map on another thread: one run of the whole suite at the revision `root`
    /// gives (base, or head when the map follows it).
    static func record(
        toolbox: PythonToolbox, root: @escaping @Sendable () -> String?, configuration: Configuration,
        importPaths: [String], tree: String, commit: String, blobs: [String: String], settings: String,
        wallSeconds: Double, side: String
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            let tests: [String]
            switch testFiles(root: root(), configuration: configuration, toolbox: toolbox) {
            case .success(let files): tests = files
            case .failure(let reason): return .failed(reason.text)
            }
            switch run(tests, toolbox: toolbox, root: root(), importPaths: importPaths, wallSeconds: wallSeconds) {
            case .failure(let reason):
                return .failed(reason.text)
            case .success(let data):
                guard
                    let map = ImpactMap.recorded(
                        data, tree: tree, commit: commit, settings: settings, blobs: blobs, testFiles: tests)
                else { return .failed("the recorder's output was unreadable") }
                return .recorded(map, side: side, seconds: Date().timeIntervalSince(started))
            }
        }
    }

    /// Brings the map to head on another thread: its drift to head's tree (`listing`: head's
    /// tree listing), and a recording at head of the entries stale there and the test files
    /// it lacks.
    static func follow(
        map: ImpactMap, to head: (commit: ObjectID, tree: ObjectID), listing: TreeListing?,
        toolbox: PythonToolbox, root: String, configuration: Configuration, importPaths: [String], wallSeconds: Double
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            if map.tree == head.tree.hex { return .followed(MapDrift.none(map), beside: .success((nil, [])), seconds: 0) }
            guard let listing,
                let drift = MapDrift.compute(
                    map: map, files: DirectoryFiles(root: root), listing: listing, tree: head.tree.hex,
                    commit: head.commit.hex, configuration: configuration, needed: [],
                    fingerprint: { paths in fingerprints(paths, toolbox: toolbox, root: root) })
            else { return .followed(nil, beside: .success((nil, [])), seconds: 0) }
            guard !drift.isCurrent else { return .followed(drift, beside: .success((nil, [])), seconds: 0) }
            let again = recordAgain(
                drift, root: root, toolbox: toolbox, configuration: configuration, importPaths: importPaths,
                wallSeconds: wallSeconds)
            return .followed(drift, beside: again, seconds: Date().timeIntervalSince(started))
        }
    }

    /// Fingerprints of files of the revision at `root`, in the sandbox.
    static func fingerprints(_ files: [String], toolbox: PythonToolbox, root: String?) -> [String: ImpactMap.SourceFile]? {
        guard let root, let data = try? toolbox.fingerprints(files, root: root),
            let decoded = try? JSONDecoder().decode([String: ImpactMap.SourceFile?].self, from: data)
        else { return nil }
        return decoded.compactMapValues { $0 }
    }

    /// Records again, on another thread, the tests whose entries `drift` found stale and
    /// the test files the map does not hold.
    static func refresh(
        drift: MapDrift, toolbox: PythonToolbox, base: DeferredSnapshot, configuration: Configuration,
        importPaths: [String], wallSeconds: Double
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            switch recordAgain(
                drift, root: try? base.root(), toolbox: toolbox, configuration: configuration, importPaths: importPaths,
                wallSeconds: wallSeconds)
            {
            case .failure(let reason): return .failed(reason.text)
            case .success(let again):
                return .refreshed(again.recording, files: again.files, seconds: Date().timeIntervalSince(started))
            }
        }
    }

    /// A recording of the entries `drift` found stale and the test files the map lacks, at
    /// the revision at `root`; the test files recorded whole beside it. No recording when
    /// there is nothing to record.
    private static func recordAgain(
        _ drift: MapDrift, root: String?, toolbox: PythonToolbox, configuration: Configuration, importPaths: [String],
        wallSeconds: Double
    ) -> Result<RecordedAgain, Reason> {
        let all: [String]
        switch testFiles(root: root, configuration: configuration, toolbox: toolbox) {
        case .success(let files): all = files
        case .failure(let reason): return .failure(reason)
        }
        let targets = drift.refreshTargets(testFiles: all)
        guard !targets.files.isEmpty || !targets.nodes.isEmpty else { return .success((nil, [])) }
        switch run(targets.files + targets.nodes, toolbox: toolbox, root: root, importPaths: importPaths, wallSeconds: wallSeconds) {
        case .failure(let reason):
            return .failure(reason)
        case .success(let data):
            guard let recording = ImpactMap.Recording.decoded(data) else {
                return .failure(Reason(text: "the recorder's output was unreadable"))
            }
            return .success((recording, Set(targets.files)))
        }
    }

    struct Reason: Error {
        var text: String
    }

    /// Tests recorded again (none when there was nothing to record), `files` whole.
    typealias RecordedAgain = (recording: ImpactMap.Recording?, files: Set<String>)

    /// The test files of the revision at `root`, as pytest would collect them.
    private static func testFiles(
        root: String?, configuration: Configuration, toolbox: PythonToolbox
    ) -> Result<[String], Reason> {
        guard let root else { return .failure(Reason(text: "the revision could not be written")) }
        let files = DirectoryFiles(root: root)
        let tests = TestIndex(files: files, configuration: configuration, pytest: PytestSettings(files: files)).files
        guard !tests.isEmpty else { return .failure(Reason(text: "no test files")) }
        guard (try? toolbox.hasPytest()) == true else { return .failure(Reason(text: "it needs pytest")) }
        return .success(tests)
    }

    /// One recorder session over `targets` (files or node ids) of the revision at `root`.
    private static func run(
        _ targets: [String], toolbox: PythonToolbox, root: String?, importPaths: [String], wallSeconds: Double
    ) -> Result<Data, Reason> {
        guard let root else { return .failure(Reason(text: "the revision could not be written")) }
        do {
            let (data, execution) = try toolbox.recordImpact(targets, root: root, extraPaths: importPaths, wallSeconds: wallSeconds)
            guard let data, let status = try? JSONDecoder().decode(Status.self, from: data).status else {
                let last = (execution.stderr + execution.stdout).split(separator: "\n").last.map { ": \($0)" } ?? ""
                return .failure(Reason(text: "the suite \(execution.statusDescription)\(last)"))
            }
            // pytest: 0 passed, 1 some failed, 5 none collected; others mean it did not run.
            guard [0, 1, 5].contains(status) else { return .failure(Reason(text: "pytest exited \(status)")) }
            return .success(data)
        } catch {
            return .failure(Reason(text: "\(error)"))
        }
    }

    private struct Status: Decodable {
        var status: Int
    }
}
