import Foundation
import ReviewAgent
import ReviewGit
import ReviewSandbox

/// The test-selection stage: the planner chose each task's tests by the import graph; the
/// impact map of the base tree, when the cache holds one, narrows them to the tests that
/// ran the changed functions. When there is none, it is recorded now for later reviews:
/// one run of the suite at base on one core while this review runs the import graph's
/// selection on the other, so a first review takes about as long as the slower of the two.
struct TestSelectionStage {
    /// The recording started by ``select(_:range:store:...)``, if any.
    let recording: Background<ImpactOutcome>?
    private let key: CacheKey?
    private let store: ResultCache?

    /// Selects the tasks' tests; may start recording the map.
    static func select(
        _ tasks: inout [ReviewTask], range: ResolvedRange, store: ResultCache?, configuration: Configuration,
        toolbox: PythonToolbox, base: DeferredSnapshot, importPaths: [String]
    ) -> TestSelectionStage {
        let key = store == nil
            ? nil
            : range.baseTree.map {
                CacheKeys.impactMap(baseTree: $0, configuration: configuration, interpreter: toolbox.interpreter, importPaths: importPaths)
            }
        var recording: Background<ImpactOutcome>?
        if configuration.impactMap != .off, let store, let key {
            if let map = store.load(ImpactMap.self, key: key) {
                for index in tasks.indices {
                    ImpactMap.apply(map.select(for: tasks[index]), to: &tasks[index], baseTree: range.baseTree?.hex ?? "")
                }
            } else if configuration.impactMap == .auto, range.base != nil,
                tasks.contains(where: { !$0.isTestFile && $0.basePath != nil })
            {
                recording = ImpactOutcome.record(
                    toolbox: toolbox, base: base, configuration: configuration, importPaths: importPaths,
                    wallSeconds: Double(max(600, configuration.timeout * 5)))
                for index in tasks.indices where tasks[index].testSelection == TestSelection.importGraph {
                    tasks[index].testSelection = TestSelection.recordingImpactMap
                }
            }
        } else if configuration.impactMap != .off && store == nil {
            // Without a cache (cache-size-mb = 0) a recorded map could not be kept.
            for index in tasks.indices { tasks[index].testSelection = TestSelection.noCacheForImpactMap }
        }
        return TestSelectionStage(recording: recording, key: key, store: store)
    }

    /// Waits for a recording and keeps the map; the note for the report, if any.
    func finish() -> String? {
        guard let recording, let store, let key else { return nil }
        switch recording.wait() {
        case .recorded(let map, let seconds):
            store.store(map, key: key)
            return "impact map: recorded which of \(map.tests.count) test(s) run which functions, at base in \(String(format: "%.1f", seconds)) s; later reviews of this base tree select tests with it"
        case .failed(let reason):
            return "impact map not recorded (\(reason)); tests are selected by the import graph"
        }
    }

    /// Waits for a recording without keeping it (the review failed).
    func abandon() {
        _ = recording?.wait()
    }
}

/// What recording the impact map at base gave.
enum ImpactOutcome: Sendable {
    case recorded(ImpactMap, seconds: Double)
    case failed(String)

    /// Records the map on another thread: one run of the whole suite at base.
    static func record(
        toolbox: PythonToolbox, base: DeferredSnapshot, configuration: Configuration, importPaths: [String],
        wallSeconds: Double
    ) -> Background<ImpactOutcome> {
        Background {
            let started = Date()
            guard let root = try? base.root() else { return .failed("the base revision could not be written") }
            let files = DirectoryFiles(root: root)
            let tests = TestIndex(files: files, configuration: configuration, pytest: PytestSettings(files: files)).files
            guard !tests.isEmpty else { return .failed("no test files at base") }
            guard (try? toolbox.hasPytest()) == true else { return .failed("it needs pytest") }
            do {
                let (data, execution) = try toolbox.recordImpact(
                    tests, root: root, extraPaths: importPaths, wallSeconds: wallSeconds)
                guard let data, let map = ImpactMap.decode(data) else {
                    return .failed("the suite at base \(execution.statusDescription)")
                }
                // pytest: 0 passed, 1 some failed, 5 none collected; others mean it did not run.
                guard [0, 1, 5].contains(map.status) else { return .failed("pytest at base exited \(map.status)") }
                return .recorded(map, seconds: Date().timeIntervalSince(started))
            } catch {
                return .failed("\(error)")
            }
        }
    }
}
