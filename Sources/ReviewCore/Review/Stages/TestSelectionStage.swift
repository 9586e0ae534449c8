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
struct TestSelectionStage {
    /// The recording started by ``select(_:range:store:...)``, if any.
    let recording: Background<ImpactOutcome>?
    /// Notes about the map found (another format, damaged).
    let notes: [String]
    private let key: CacheKey?
    private let maps: ImpactMapStore?
    private let previous: ImpactMap?
    private let drift: MapDrift?

    /// Selects the tasks' tests; may start recording or refreshing the map.
    static func select(
        _ tasks: inout [ReviewTask], range: ResolvedRange, repository: Repository, store: ResultCache?,
        configuration: Configuration, toolbox: PythonToolbox, base: DeferredSnapshot, importPaths: [String]
    ) -> TestSelectionStage {
        let none = TestSelectionStage(recording: nil, notes: [], key: nil, maps: nil, previous: nil, drift: nil)
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
                    ) { paths in fingerprints(paths, toolbox: toolbox, base: base) }
                }
            if let drift {
                for index in tasks.indices {
                    map.apply(map.select(for: tasks[index], drift: drift), to: &tasks[index], drift: drift, baseCommit: baseCommit.hex)
                }
                var recording: Background<ImpactOutcome>?
                if !drift.isCurrent && configuration.impactMap == .auto {
                    recording = ImpactOutcome.refresh(
                        drift: drift, toolbox: toolbox, base: base, configuration: configuration,
                        importPaths: importPaths, wallSeconds: wallSeconds)
                }
                return TestSelectionStage(
                    recording: recording, notes: notes, key: key, maps: maps, previous: map, drift: drift)
            }
            notes.append("impact map: the pytest configuration at base collects differently from where the map was recorded; recording anew")
        }
        guard configuration.impactMap == .auto, let baseFiles = baseFiles(),
            tasks.contains(where: { !$0.isTestFile && $0.basePath != nil })
        else {
            return TestSelectionStage(recording: nil, notes: notes, key: nil, maps: nil, previous: nil, drift: nil)
        }
        let recording = ImpactOutcome.record(
            toolbox: toolbox, base: base, configuration: configuration, importPaths: importPaths,
            tree: baseTree.hex, commit: baseCommit.hex, blobs: MapDrift.blobs(of: baseFiles.listing),
            settings: PytestSettings(files: baseFiles).fingerprint, wallSeconds: wallSeconds)
        for index in tasks.indices where tasks[index].testSelection == TestSelection.importGraph {
            tasks[index].testSelection = TestSelection.recordingImpactMap
        }
        return TestSelectionStage(recording: recording, notes: notes, key: key, maps: maps, previous: nil, drift: nil)
    }

    /// Fingerprints of files at base, in the sandbox.
    private static func fingerprints(
        _ files: [String], toolbox: PythonToolbox, base: DeferredSnapshot
    ) -> [String: ImpactMap.SourceFile]? {
        guard let root = try? base.root(), let data = try? toolbox.fingerprints(files, root: root),
            let decoded = try? JSONDecoder().decode([String: ImpactMap.SourceFile?].self, from: data)
        else { return nil }
        return decoded.compactMapValues { $0 }
    }

    /// Waits for a recording or refresh and keeps the map; notes for the report.
    func finish() -> [String] {
        guard let recording, let maps, let key else { return [] }
        let text: String
        let kept: ImpactMap
        switch recording.wait() {
        case .recorded(let map, let seconds):
            kept = map
            text = "impact map: recorded which of \(map.tests.count) test(s) run which functions, at base in \(String(format: "%.1f", seconds)) s; later reviews select tests with it, also after the base moves"
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

/// What recording at base gave.
enum ImpactOutcome: Sendable {
    /// A whole map.
    case recorded(ImpactMap, seconds: Double)
    /// A recording of some tests (`nil`: there was nothing to record), `files` whole.
    case refreshed(ImpactMap.Recording?, files: Set<String>, seconds: Double)
    case failed(String)

    /// Records the map on another thread: one run of the whole suite at base.
    static func record(
        toolbox: PythonToolbox, base: DeferredSnapshot, configuration: Configuration, importPaths: [String],
        tree: String, commit: String, blobs: [String: String], settings: String, wallSeconds: Double
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            let tests: [String]
            switch testFiles(base: base, configuration: configuration, toolbox: toolbox) {
            case .success(let files): tests = files
            case .failure(let reason): return .failed(reason.text)
            }
            switch run(tests, toolbox: toolbox, base: base, importPaths: importPaths, wallSeconds: wallSeconds) {
            case .failure(let reason):
                return .failed(reason.text)
            case .success(let data):
                guard
                    let map = ImpactMap.recorded(
                        data, tree: tree, commit: commit, settings: settings, blobs: blobs, testFiles: tests)
                else { return .failed("the recorder's output was unreadable") }
                return .recorded(map, seconds: Date().timeIntervalSince(started))
            }
        }
    }

    /// Records again, on another thread, the tests whose entries `drift` found stale and
    /// the test files the map does not hold.
    static func refresh(
        drift: MapDrift, toolbox: PythonToolbox, base: DeferredSnapshot, configuration: Configuration,
        importPaths: [String], wallSeconds: Double
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            let all: [String]
            switch testFiles(base: base, configuration: configuration, toolbox: toolbox) {
            case .success(let files): all = files
            case .failure(let reason): return .failed(reason.text)
            }
            let targets = drift.refreshTargets(testFiles: all)
            guard !targets.files.isEmpty || !targets.nodes.isEmpty else {
                return .refreshed(nil, files: [], seconds: Date().timeIntervalSince(started))
            }
            switch run(
                targets.files + targets.nodes, toolbox: toolbox, base: base, importPaths: importPaths, wallSeconds: wallSeconds)
            {
            case .failure(let reason):
                return .failed(reason.text)
            case .success(let data):
                guard let recording = try? JSONDecoder().decode(ImpactMap.Recording.self, from: data) else {
                    return .failed("the recorder's output was unreadable")
                }
                return .refreshed(recording, files: Set(targets.files), seconds: Date().timeIntervalSince(started))
            }
        }
    }

    struct Reason: Error {
        var text: String
    }

    /// The test files at base, as pytest would collect them.
    private static func testFiles(
        base: DeferredSnapshot, configuration: Configuration, toolbox: PythonToolbox
    ) -> Result<[String], Reason> {
        guard let root = try? base.root() else { return .failure(Reason(text: "the base revision could not be written")) }
        let files = DirectoryFiles(root: root)
        let tests = TestIndex(files: files, configuration: configuration, pytest: PytestSettings(files: files)).files
        guard !tests.isEmpty else { return .failure(Reason(text: "no test files at base")) }
        guard (try? toolbox.hasPytest()) == true else { return .failure(Reason(text: "it needs pytest")) }
        return .success(tests)
    }

    /// One recorder session at base over `targets` (files or node ids).
    private static func run(
        _ targets: [String], toolbox: PythonToolbox, base: DeferredSnapshot, importPaths: [String], wallSeconds: Double
    ) -> Result<Data, Reason> {
        guard let root = try? base.root() else { return .failure(Reason(text: "the base revision could not be written")) }
        do {
            let (data, execution) = try toolbox.recordImpact(targets, root: root, extraPaths: importPaths, wallSeconds: wallSeconds)
            guard let data, let status = try? JSONDecoder().decode(Status.self, from: data).status else {
                let last = (execution.stderr + execution.stdout).split(separator: "\n").last.map { ": \($0)" } ?? ""
                return .failure(Reason(text: "the suite at base \(execution.statusDescription)\(last)"))
            }
            // pytest: 0 passed, 1 some failed, 5 none collected; others mean it did not run.
            guard [0, 1, 5].contains(status) else { return .failure(Reason(text: "pytest at base exited \(status)")) }
            return .success(data)
        } catch {
            return .failure(Reason(text: "\(error)"))
        }
    }

    private struct Status: Decodable {
        var status: Int
    }
}
